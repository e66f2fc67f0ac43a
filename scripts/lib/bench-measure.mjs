/**
 * How the benches time a whole process: wall, CPU (user+sys) and peak RSS of the child from
 * /usr/bin/time (wall only without it), and the medians they quote. Shared by scripts/bench.mjs and
 * scripts/bench-fleet.mjs.
 */
import {existsSync} from 'node:fs'
import {spawn} from 'node:child_process'

export const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
export const ms = (n) => `${n.toFixed(0)} ms`
export const mb = (kb) => `${(kb / 1024).toFixed(0)} MB`
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * Run `cmd args` and time it. Asynchronous: a test API server living in the calling process must
 * keep answering while the child runs.
 */
export function measured(cmd, args, env = {}, cwd = process.cwd()) {
  const marker = 'BENCH-TIME'
  const t0 = process.hrtime.bigint()
  const [file, argv] = GNU_TIME ? [GNU_TIME, ['-f', `${marker} %e %U %S %M`, cmd, ...args]] : [cmd, args]
  const child = spawn(file, argv, {cwd, env: {...process.env, NODE_OPTIONS: '', ...env}})
  const out = []
  const err = []
  child.stdout.on('data', (d) => out.push(d))
  child.stderr.on('data', (d) => err.push(d))
  return new Promise((resolve) => child.on('close', (status) => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e6
    const stderr = Buffer.concat(err).toString('utf8')
    const line = stderr.split('\n').find((l) => l.startsWith(marker))
    const [, , user, sys, rss] = line ? line.split(' ').map(Number) : []
    resolve({
      wall, cpu: line ? (user + sys) * 1000 : undefined, rssKb: line ? rss : undefined, status, stdout: Buffer.concat(out).toString('utf8'),
      stderr: stderr.split('\n').filter((l) => !l.startsWith(marker) && !l.startsWith('Command exited with non-zero status')).join('\n'),
    })
  }))
}

/** Medians of wall, CPU and peak RSS over runs (CPU/RSS undefined when any run lacks them). */
export function medians(runs) {
  const med = (f) => (runs.every((x) => f(x) !== undefined) ? median(runs.map(f)) : undefined)
  return {wall: med((x) => x.wall), cpu: med((x) => x.cpu), rssKb: med((x) => x.rssKb)}
}
