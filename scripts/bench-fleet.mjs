#!/usr/bin/env node
/**
 * npm run bench:fleet — many apps on the real kube-apiserver, each figure beside its kubectl anchor
 * (numbers, never a test: it never fails on slowness).
 *
 * Starts its own kube-apiserver + etcd (scripts/cluster.sh; state in ARGO_DOCTOR_E2E_DIR, default
 * /tmp/argo-doctor-bench-fleet-PID; torn down at the end) unless --kubeconfig is given, then:
 *  1. fleet, at each count of --apps: seeds generated Applications (test/support/fleet.ts, ~18 KB
 *     each, ~13% with findings) up to that count, then `explain -A --json` and
 *     `kubectl get --raw /apis/argoproj.io/v1alpha1/applications` (the same unpaginated LIST, raw
 *     bytes) in turn, A B A B … (--fleet-runs pairs after one warm-up each);
 *  2. bulk, at the largest count: `hard-refresh --all -n NS --yes --no-wait` and
 *     `kubectl annotate applications.argoproj.io --all -n NS argocd.argoproj.io/refresh=hard --overwrite`
 *     in turn (--bulk-runs pairs), the refresh annotations removed before every run; requests by
 *     verb from the API server's apiserver_request_total, and the backup files written.
 * Wall, CPU (user+sys) and peak RSS of each process from /usr/bin/time; medians, and the median of
 * the per-pair wall ratios. It ends with the rows of the README's fleet/bulk table.
 *
 *   node --import tsx scripts/bench-fleet.mjs [--apps 2000,10000] [--fleet-runs 3] [--bulk-runs 1]
 *     [--skip-fleet] [--skip-bulk] [--bin FILE (another build's bin/argo-doctor)] [--exe FILE (an executable instead,
 *     e.g. the single executable from release/)] [--kubeconfig FILE] [-n argocd]
 */
import {execFileSync} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {GNU_TIME, mb, measured, medians, median} from './lib/bench-measure.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const NOW = '2026-01-02T00:12:00Z'
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

const opts = {
  apps: arg('--apps', '2000,10000').split(',').map(Number).sort((a, b) => a - b),
  fleetRuns: Number(arg('--fleet-runs', 3)),
  bulkRuns: Number(arg('--bulk-runs', 1)),
  bin: arg('--bin', join(ROOT, 'bin', 'argo-doctor')),
  exe: arg('--exe', undefined),
  kubeconfig: arg('--kubeconfig', undefined),
  namespace: arg('-n', 'argocd'),
  skipFleet: process.argv.includes('--skip-fleet'),
  skipBulk: process.argv.includes('--skip-bulk'),
}

const tmp = mkdtempSync(join(tmpdir(), 'argo-doctor-bench-fleet-'))
/**
 * --exe is timed as a copy of itself. The single executable as the release build writes it
 * (postject) maps ~20 MB more of its own file into every process than the same bytes extracted
 * from the archive or copied, which is what users run: peak RSS would be overstated by that much.
 */
const exe = opts.exe && join(tmp, basename(opts.exe))
if (exe) {
  copyFileSync(opts.exe, exe)
  chmodSync(exe, 0o755)
}

/** The command and arguments that run argo-doctor ARGS: --exe, else this Node with --bin. */
const cli = (...args) => (exe ? [exe, args] : [process.execPath, [opts.bin, ...args]])
const REFRESH = 'argocd.argoproj.io/refresh'
const REFRESH_STAMP = 'argocd.argoproj.io/refresh-timestamp'
const APPS = '/apis/argoproj.io/v1alpha1'
const rows = []
const figure = (x) => `${(x.wall / 1000).toFixed(x.wall < 10_000 ? 2 : 1)} s, ${x.cpu === undefined ? '?' : `${(x.cpu / 1000).toFixed(2)} s CPU`}, ${x.rssKb === undefined ? '?' : mb(x.rssKb)}`

/** The kubeconfig's server and credentials, for the bench's own requests (seeding, resets, metrics). */
function restClient(conn) {
  const view = JSON.parse(execFileSync('kubectl', ['config', 'view', '--raw', '--minify', '-o', 'json', ...conn]).toString())
  const cluster = view.clusters[0].cluster
  const user = view.users[0].user ?? {}
  const b64 = (s) => (s ? Buffer.from(s, 'base64') : undefined)
  const tls = {
    ca: b64(cluster['certificate-authority-data']) ?? (cluster['certificate-authority'] ? readFileSync(cluster['certificate-authority']) : undefined),
    cert: b64(user['client-certificate-data']) ?? (user['client-certificate'] ? readFileSync(user['client-certificate']) : undefined),
    key: b64(user['client-key-data']) ?? (user['client-key'] ? readFileSync(user['client-key']) : undefined),
    rejectUnauthorized: !cluster['insecure-skip-tls-verify'],
  }
  const headers = user.token ? {Authorization: `Bearer ${user.token}`} : {}
  const once = async (method, path, body, contentType) => {
    const url = new URL(path, cluster.server)
    const {request} = await import(url.protocol === 'https:' ? 'node:https' : 'node:http')
    return new Promise((resolve, reject) => {
      const req = request(url, {method, headers: {...headers, ...(body ? {'Content-Type': contentType} : {})}, ...tls}, (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          if (res.statusCode >= 400) reject(Object.assign(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`), {statusCode: res.statusCode}))
          else resolve(text)
        })
      })
      req.on('error', reject)
      req.end(body === undefined ? undefined : JSON.stringify(body))
    })
  }
  // A 429 (a fresh server's "storage is (re)initializing" right after the CRDs are installed): wait and ask again.
  return async (method, path, body, contentType = 'application/json-patch+json') => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(method, path, body, contentType)
      } catch (error) {
        if (error.statusCode !== 429 || attempt >= 30) throw error
        await new Promise((r) => setTimeout(r, 1000))
      }
    }
  }
}

/** `fn` over `items`, `n` at a time. */
async function eachLimited(items, n, fn) {
  let next = 0
  await Promise.all(Array.from({length: n}, async () => {
    while (next < items.length) await fn(items[next++])
  }))
}

const listApps = async (rest) => JSON.parse(await rest('GET', `${APPS}/namespaces/${opts.namespace}/applications`)).items

/** Create generated Applications until the namespace holds `count` (16 requests at a time). Only for throwaway clusters. */
async function seed(rest, count) {
  const have = (await listApps(rest)).length
  if (have >= count) return have
  const {makeFleet} = await import(pathToFileURL(join(ROOT, 'test', 'support', 'fleet.ts')).href)
  const items = makeFleet({count, now: new Date(NOW)}).slice(have).map((a) => {
    const metadata = {...a.metadata, namespace: opts.namespace}
    for (const key of ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields']) delete metadata[key]
    return {...a, metadata}
  })
  const t0 = Date.now()
  await eachLimited(items, 16, (app) => rest('POST', `${APPS}/namespaces/${opts.namespace}/applications`, app, 'application/json'))
  console.log(`  seeded ${items.length} Applications in ${((Date.now() - t0) / 1000).toFixed(0)} s (${have} were there)`)
  return count
}

/** Ours and the anchor in turn (one warm-up each, then `runs` pairs): medians and the median of the per-pair wall ratios. */
async function paired(runs, ours, theirs) {
  await measured(...ours)
  await measured(...theirs)
  const a = []
  const k = []
  for (let i = 0; i < runs; i++) {
    a.push(await measured(...ours))
    k.push(await measured(...theirs))
  }

  return {ours: medians(a), theirs: medians(k), ratio: median(a.map((x, i) => x.wall / k[i].wall)), a, k}
}

async function fleet(conn, rest, count) {
  await seed(rest, count)
  console.log(`\n== fleet, ${count} apps: explain -A --json vs kubectl get --raw ${APPS}/applications (${opts.fleetRuns} pairs, in turn)`)
  const ours = [...cli('explain', '-A', '--json', ...conn), {ARGO_DOCTOR_NOW: NOW}]
  const theirs = ['kubectl', ['get', '--raw', `${APPS}/applications`, ...conn]]
  const r = await paired(opts.fleetRuns, ours, theirs)
  const bad = r.a.find((x) => x.status !== 0 && x.status !== 20) ?? r.k.find((x) => x.status !== 0)
  if (bad) console.log(`  a run failed (exit ${bad.status}): ${bad.stderr.trim().split('\n')[0]}`)
  const bytes = Buffer.byteLength((await measured(...theirs)).stdout)
  console.log(`  explain -A --json           ${figure(r.ours)}`)
  console.log(`  kubectl get --raw (${(bytes / 1024 / 1024).toFixed(0)} MB)    ${figure(r.theirs)}`)
  const cpu = r.ours.cpu / r.theirs.cpu
  console.log(`  ratio: wall ${r.ratio.toFixed(2)}× (goal ≤ 1.2×), CPU ${cpu.toFixed(1)}× (goal ≤ 3×), peak RSS ${mb(r.ours.rssKb)}${count >= 10_000 ? ' (goal < 100 MB)' : ''}`)
  rows.push([`fleet, ${count.toLocaleString('en')} apps (${(bytes / 1024 / 1024).toFixed(0)} MB): \`explain -A --json\` / \`kubectl get --raw\``, figure(r.ours), figure(r.theirs), `${r.ratio.toFixed(2)}× wall, ${cpu.toFixed(1)}× CPU`])
}

/** Remove the refresh annotations (ours and kubectl's) from every app, 16 requests at a time. Returns how many apps there are. */
async function resetRefresh(rest) {
  const items = await listApps(rest)
  const todo = items.filter((a) => a.metadata.annotations?.[REFRESH] !== undefined || a.metadata.annotations?.[REFRESH_STAMP] !== undefined)
  const esc = (k) => k.replaceAll('~', '~0').replaceAll('/', '~1')
  await eachLimited(todo, 16, (a) => rest('PATCH', `${APPS}/namespaces/${opts.namespace}/applications/${a.metadata.name}`,
    [REFRESH, REFRESH_STAMP].filter((k) => a.metadata.annotations[k] !== undefined).map((k) => ({op: 'remove', path: `/metadata/annotations/${esc(k)}`}))))
  return items.length
}

/** apiserver_request_total for applications and events, by verb (dry runs apart). */
async function requestCounts(rest) {
  const counts = {}
  for (const line of (await rest('GET', '/metrics')).split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (labels.resource !== 'applications' && labels.resource !== 'events') continue
    const key = `${labels.verb}${labels.dry_run ? ' (dry run)' : ''} ${labels.resource}`
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1))
  }

  return counts
}

const showCounts = (after, before) => Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v > 0).sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'none'

function dirStats(dir) {
  const names = existsSync(dir) ? readdirSync(dir) : []
  return {files: names.length, bytes: names.reduce((n, name) => n + statSync(join(dir, name)).size, 0)}
}

async function bulk(conn, rest, count) {
  await seed(rest, count)
  console.log(`\n== bulk, ${count} apps: hard-refresh --all --yes --no-wait vs kubectl annotate --all --overwrite (${opts.bulkRuns} pairs, in turn; annotations removed before every run)`)
  const ours = (backups) => [...cli('hard-refresh', '--all', '-n', opts.namespace, '--yes', '--no-wait', ...conn), {ARGO_DOCTOR_BACKUP_DIR: backups}]
  const theirs = ['kubectl', ['annotate', 'applications.argoproj.io', '--all', '-n', opts.namespace, `${REFRESH}=hard`, '--overwrite', ...conn]]
  const run = async (label, cmd, backups) => {
    const apps = await resetRefresh(rest)
    const before = await requestCounts(rest)
    const r = await measured(...cmd)
    const requests = showCounts(await requestCounts(rest), before)
    const refreshed = (await listApps(rest)).filter((a) => a.metadata.annotations?.[REFRESH] === 'hard').length
    const stats = backups ? dirStats(backups) : undefined
    const bad = r.status !== 0 || refreshed !== apps
    console.log(`  ${label.padEnd(12)} ${figure(r)}; requests: ${requests}${stats ? `; backups: ${stats.files} files, ${(stats.bytes / 1024 / 1024).toFixed(1)} MB` : ''}` +
      `${bad ? `  ← exit ${r.status}, ${refreshed}/${apps} refreshed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}` : ''}`)
    return r
  }

  const a = []
  const k = []
  for (let i = 0; i < opts.bulkRuns; i++) {
    const backups = mkdtempSync(join(tmp, 'backups-'))
    if (i % 2 === 0) {
      a.push(await run('argo-doctor', ours(backups), backups))
      k.push(await run('kubectl', theirs))
    } else {
      k.push(await run('kubectl', theirs))
      a.push(await run('argo-doctor', ours(backups), backups))
    }

    rmSync(backups, {recursive: true, force: true})
  }

  await resetRefresh(rest)
  const [ourRow, theirRow] = [medians(a), medians(k)]
  const ratio = median(a.map((x, i) => x.wall / k[i].wall))
  console.log(`  medians: argo-doctor ${figure(ourRow)}; kubectl ${figure(theirRow)}`)
  console.log(`  ratio: wall ${ratio.toFixed(2)}× (goal ≤ 1.0×), CPU ${(ourRow.cpu / theirRow.cpu).toFixed(2)}× (goal ≤ 1.0×), peak RSS ${mb(ourRow.rssKb)} (goal ≤ 300 MB)`)
  rows.push([`bulk, ${count.toLocaleString('en')} apps: \`hard-refresh --all --yes --no-wait\` / \`kubectl annotate --all --overwrite\``, figure(ourRow), figure(theirRow), `${ratio.toFixed(2)}× wall, ${(ourRow.cpu / theirRow.cpu).toFixed(2)}× CPU`])
}

const env = {...process.env, ARGO_DOCTOR_E2E_DIR: process.env.ARGO_DOCTOR_E2E_DIR ?? join(tmpdir(), `argo-doctor-bench-fleet-${process.pid}`)}
const cluster = (cmd) => execFileSync(join(ROOT, 'scripts', 'cluster.sh'), [cmd], {env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']})
let started = false
try {
  console.log(`argo-doctor bench:fleet — node ${process.version}, ${process.platform}/${process.arch}, ${(await import('node:os')).cpus().length} CPUs${GNU_TIME ? '' : ' (no /usr/bin/time: CPU and RSS not measured)'}; ${opts.exe ?? opts.bin}`)
  let kubeconfig = opts.kubeconfig
  if (!kubeconfig) {
    started = true
    cluster('up')
    kubeconfig = /KUBECONFIG=(\S+)/.exec(cluster('env'))[1]
  }

  const conn = ['--kubeconfig', kubeconfig]
  console.log(`kube-apiserver ${JSON.parse(execFileSync('kubectl', ['version', '-o', 'json', ...conn]).toString()).serverVersion.gitVersion}`)
  const rest = restClient(conn)
  if (!opts.skipFleet) for (const count of opts.apps) await fleet(conn, rest, count)
  if (!opts.skipBulk) await bulk(conn, rest, opts.apps.at(-1))
  console.log('\n| | argo-doctor (wall, CPU, peak RSS) | kubectl (wall, CPU, peak RSS) | ratio |\n|---|---|---|---|')
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
} finally {
  if (started) cluster('down')
  rmSync(tmp, {recursive: true, force: true})
}
