#!/usr/bin/env node
/**
 * npm run bench:sea — start-up of the linux-x64 single executable from release/ (npm run release
 * first), numbers only, never a pass/fail test. Paired runs, medians:
 *   - first run: HOME, XDG dirs and TMPDIR fresh and empty, as on a machine that never ran it;
 *   - warm run: the same directories again after a run (what a cache, if any, would have kept);
 *   - the npm form (node bin/argo-doctor) on the Node running this script.
 * Command: `explain -f examples/wealist-prod.yaml --json` (8 apps, offline), and `--help`.
 *
 *   node scripts/bench-sea.mjs [--exe FILE] [--runs 9]
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const ROOT = join(import.meta.dirname, '..')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : fallback
}

const runs = Number(arg('--runs', '9'))
const work = mkdtempSync(join(tmpdir(), 'argo-doctor-bench-sea-'))
let exe = arg('--exe')
if (!exe) {
  const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  execFileSync('tar', ['xzf', join(ROOT, 'release', `argo-doctor_${version}_linux_amd64.tar.gz`), '-C', work, 'argo-doctor'])
  exe = join(work, 'argo-doctor')
}

const example = join(ROOT, 'examples', 'wealist-prod.yaml')
const home = (dir) => ({...process.env, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data'), TMPDIR: dir})
/** Wall seconds of one run (exit 20: findings). */
function time(cmd, args, env) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
  if (r.status !== 0 && r.status !== 20) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`)
  return Number(process.hrtime.bigint() - t0) / 1e9
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const cases = {first: [], warm: [], npm: [], help: [], nodeE: []}
const explain = ['explain', '-f', example, '--json']
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(work, 'home-'))
  cases.first.push(time(exe, explain, home(dir)))
  cases.warm.push(time(exe, explain, home(dir)))
  cases.npm.push(time(process.execPath, [join(ROOT, 'bin', 'argo-doctor'), ...explain], home(dir)))
  cases.help.push(time(exe, ['--help'], home(dir)))
  cases.nodeE.push(time(process.execPath, ['-e', '0'], home(dir)))
  rmSync(dir, {recursive: true, force: true})
}

const ratio = (a, b) => median(a.map((x, i) => x / b[i])).toFixed(2)
const s = (xs) => `${median(xs).toFixed(2)} s`
console.log(`single executable ${exe} (${(statSync(exe).size / 1024 / 1024).toFixed(1)} MB, ${execFileSync(exe, ['--version'], {encoding: 'utf8'}).trim()}), ${runs} paired runs, medians`)
console.log(`explain -f (8 apps) --json, first run (empty HOME/XDG/TMPDIR): ${s(cases.first)}`)
console.log(`explain -f (8 apps) --json, warm run:                          ${s(cases.warm)}   first/warm ${ratio(cases.first, cases.warm)}×`)
console.log(`explain -f (8 apps) --json, npm form on Node ${process.versions.node}:     ${s(cases.npm)}   first/npm ${ratio(cases.first, cases.npm)}×`)
console.log(`--help: ${s(cases.help)} (${ratio(cases.help, cases.nodeE)}× node -e 0)`)
rmSync(work, {recursive: true, force: true})
