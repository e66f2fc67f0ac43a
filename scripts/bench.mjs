#!/usr/bin/env node
/**
 * npm run bench — numbers, not a test: it never fails on slowness.
 *
 *  1. start-up: `--help` and `explain -f examples/wealist-prod.yaml --json`, each run in turn with its
 *     anchor `kubectl version --client` (A B A B …, --pairs, median of the per-pair ratios; goal
 *     ≤ 1.5× for explain -f), and which modules --help and an offline explain load
 *     (@kubernetes/client-node must not be one). The floor beside them: `node -e 0`, with and without
 *     NODE_EXTRA_CA_CERTS (Node 20 reads every certificate of it at start-up).
 *  2. fleet: `explain --all --json` on the built CLI against N realistic Applications
 *     (test API server by default; a real cluster with --kubeconfig/--context or BENCH_KUBECONFIG),
 *     wall/CPU/peak RSS, the LIST alone, and diagnosis CPU in-process; with a real cluster (or a
 *     kubectl that can reach the test server) the anchor: `kubectl get --raw` of the same
 *     unpaginated list, run in turn with `explain --all -n NS --json` and with `explain -A --json`
 *     (A B A B …, --fleet-runs pairs; medians and the median of the per-pair ratios).
 *  3. single app: `explain APP` vs `kubectl get app APP -o yaml` (the same read), the floor (Node
 *     alone making that GET with the same TLS options: scripts/lib/floor-get.mjs), and
 *     `hard-refresh APP --dry-run` vs `kubectl annotate … --dry-run=server` (the same server dry run),
 *     each run in turn A B A B …, medians and the median of the per-pair ratios (goal ≤ 1.5×).
 *     On the real kube-apiserver when one is there: --kubeconfig, BENCH_KUBECONFIG, or the e2e
 *     cluster when `scripts/cluster.sh status` says it is up (its ARGO_DOCTOR_E2E_DIR); else the
 *     test API server.
 * Fleet and bulk figures on the real kube-apiserver at 2,000 and 10,000 apps (`explain -A` beside the
 * raw LIST, `hard-refresh --all` beside `kubectl annotate --all`): scripts/bench-fleet.mjs (npm run bench:fleet).
 *
 * Runs under tsx for the test API server: node --import tsx scripts/bench.mjs [--apps 2000] [--pairs 9]
 *   [--kubeconfig FILE] [--context NAME] [-n NAMESPACE] [--app NAME] [--load N] [--fleet-runs 5] [--skip-startup] [--skip-fleet] [--skip-single]
 *   [--bin FILE: time that executable, e.g. the single executable from release/, instead of node bin/argo-doctor]
 * At the end: the figures against their anchors as a Markdown table (the README's), with the machine.
 * On the e2e cluster: npm run cluster -- up && eval "$(npm run -s cluster -- env)" &&
 *   node --import tsx scripts/bench.mjs --kubeconfig "$KUBECONFIG" --load 2000
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os, {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {GNU_TIME, mb, measured, median, ms} from './lib/bench-measure.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const BIN = join(ROOT, 'bin', 'argo-doctor')
/** --bin FILE: time that executable (a single executable from release/) instead of `node bin/argo-doctor`. */
const EXE = (() => {
  const i = process.argv.indexOf('--bin')
  return i >= 0 ? process.argv[i + 1] : undefined
})()
/** The command and arguments that run argo-doctor ARGS. */
const cli = (...args) => (EXE ? [EXE, args] : [process.execPath, [BIN, ...args]])
const NOW = '2026-01-02T00:12:00Z'
/** The page size of a paginated fleet LIST (FLEET_PAGE_SIZE in src/lib/app.ts), read from the build. */
let PAGE_SIZE

function arg(name, fallback) {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

const opts = {
  apps: Number(arg('--apps', process.env.BENCH_APPS ?? 2000)),
  /** Pairs (ours, anchor) of each start-up and single-app figure. */
  pairs: Number(arg('--pairs', arg('--runs', 9))),
  kubeconfig: arg('--kubeconfig', process.env.BENCH_KUBECONFIG) ?? e2eKubeconfig(),
  context: arg('--context', process.env.BENCH_CONTEXT),
  namespace: arg('-n', arg('--namespace', 'argocd')),
  skipStartup: process.argv.includes('--skip-startup'),
  skipFleet: process.argv.includes('--skip-fleet'),
  skipSingle: process.argv.includes('--skip-single'),
  /** Real cluster: the Application the single-app figure reads (default: the first in the namespace). */
  app: arg('--app', process.env.BENCH_APP),
  /** Real cluster only: create this many generated Applications first (throwaway clusters). */
  load: Number(arg('--load', 0)),
  /** Pairs of (explain, kubectl get --raw) in the fleet comparison. */
  fleetRuns: Number(arg('--fleet-runs', 5)),
}

/** The e2e cluster's kubeconfig (scripts/cluster.sh, same ARGO_DOCTOR_E2E_DIR) when it is up. */
function e2eKubeconfig() {
  if (spawnSync(join(ROOT, 'scripts', 'cluster.sh'), ['status'], {stdio: 'ignore'}).status !== 0) return undefined
  const file = join(process.env.ARGO_DOCTOR_E2E_DIR || '/tmp/argo-doctor-e2e', 'kubeconfig')
  return existsSync(file) ? file : undefined
}

const tmp = mkdtempSync(join(tmpdir(), 'argo-doctor-bench-'))
/** Every figure against its anchor, for the table printed at the end. */
const figures = []

function timeRun(argv, env = {}) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, argv, {cwd: ROOT, env: {...process.env, NODE_OPTIONS: '', ...env}, encoding: 'utf8', maxBuffer: 1 << 30})
  return {ms: Number(process.hrtime.bigint() - t0) / 1e6, status: r.status, stdout: r.stdout, stderr: r.stderr}
}

// ------------------------------------------------------------------------------------------ 1

/** A resolve hook in a loader thread that appends every module URL to a file. */
function moduleTracer() {
  const hooks = join(tmp, 'trace-hooks.mjs')
  const register = join(tmp, 'trace-register.mjs')
  writeFileSync(hooks, `import {appendFileSync} from 'node:fs'
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  if (process.env.BENCH_TRACE_FILE) appendFileSync(process.env.BENCH_TRACE_FILE, r.url + '\\n')
  return r
}
`)
  // ESM goes through the resolve hook (loader thread); CommonJS (oclif is CJS) through Module._resolveFilename.
  writeFileSync(register, `import Module, {register} from 'node:module'
import {appendFileSync} from 'node:fs'
import {pathToFileURL} from 'node:url'
register(${JSON.stringify(pathToFileURL(hooks).href)})
const resolveFilename = Module._resolveFilename
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args)
  if (process.env.BENCH_TRACE_FILE && file.startsWith('/')) appendFileSync(process.env.BENCH_TRACE_FILE, pathToFileURL(file).href + '\\n')
  return file
}
`)
  return (argv, env = {}) => {
    const file = join(tmp, `trace-${Math.random().toString(36).slice(2)}.txt`)
    writeFileSync(file, '')
    timeRun(['--import', register, ...argv], {BENCH_TRACE_FILE: file, ...env})
    return readFileSync(file, 'utf8').split('\n').filter(Boolean)
  }
}

async function startup() {
  console.log(`\n== start-up, each against kubectl version --client (${opts.pairs} pairs, in turn)`)
  const anchor = ['kubectl', ['version', '--client']]
  if (kubectlAvailable()) {
    await pairFigure('`--help`', cli('--help'), '`kubectl version --client`', anchor)
    await pairFigure('`explain -f examples/wealist-prod.yaml --json`', [...cli('explain', '-f', 'examples/wealist-prod.yaml', '--json'), {ARGO_DOCTOR_NOW: NOW}], '`kubectl version --client`', anchor, 1.5)
    // The floor under both: this Node starting and exiting, with this environment (Node 20 reads
    // NODE_EXTRA_CA_CERTS at start-up, every certificate of it) and without that variable.
    if (!EXE) {
      await pairFigure('floor: `node -e 0` (Node alone)', [process.execPath, ['-e', '0']], '`kubectl version --client`', anchor)
      if (process.env.NODE_EXTRA_CA_CERTS) await pairFigure('floor: `node -e 0` without NODE_EXTRA_CA_CERTS', [process.execPath, ['-e', '0'], {NODE_EXTRA_CA_CERTS: ''}], '`kubectl version --client`', anchor)
    }
  } else {
    console.log('  skipped: no kubectl on PATH')
  }

  const trace = moduleTracer()
  const check = (label, argv) => {
    const urls = [...new Set(trace(argv, {ARGO_DOCTOR_NOW: NOW}))]
    // The library itself, or its bundles' loaders (dist/lib/cluster/client-node.js: the API classes;
    // client-node-light.js: the kubeconfig and HTTP client; the bundles are read, not resolved).
    const full = urls.filter((u) => u.includes('/@kubernetes/client-node/') || u.endsWith('/dist/lib/cluster/client-node.js'))
    const light = urls.filter((u) => u.endsWith('/dist/lib/cluster/client-node-light.js'))
    const ours = urls.filter((u) => u.startsWith(pathToFileURL(join(ROOT, 'dist')).href)).length
    const shown = full.length ? `LOADED (${full.length} files)` : light.length ? 'kubeconfig and HTTP client only' : 'not loaded'
    console.log(`  ${label.padEnd(44)} ${String(urls.length).padStart(4)} modules (${ours} of ours); @kubernetes/client-node: ${shown}`)
    return {urls: urls.length, clientNode: full.length + light.length}
  }

  const help = check('--help', [BIN, '--help'])
  const offline = check('explain -f examples/wealist-prod.yaml', [BIN, 'explain', '-f', 'examples/wealist-prod.yaml'])
  // Positive control: a command that talks to a cluster must show up, or the tracer is broken.
  const kubeconfig = join(tmp, 'unreachable-kubeconfig')
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: x, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: x}}]\ncurrent-context: x\n')
  const control = check('explain x (cluster; control: must load it)', [BIN, 'explain', 'x', '--kubeconfig', kubeconfig, '--request-timeout', '1'])
  if (control.clientNode === 0) console.log('  (tracer saw no client-node even for a cluster command: the module check above is not trustworthy)')
  return {helpLoadsClientNode: help.clientNode > 0, offlineLoadsClientNode: offline.clientNode > 0}
}

/**
 * Ours and its anchor as whole processes in turn (A B A B …, opts.pairs pairs after one warm-up
 * each): medians of wall, CPU and peak RSS, and the median of the per-pair wall ratios. Printed,
 * and kept for the table at the end.
 */
async function pairFigure(label, ours, anchorLabel, anchor, goal) {
  const a0 = await measured(...ours)
  const k0 = await measured(...anchor)
  if ((a0.status !== 0 && a0.status !== 20) || k0.status !== 0) {
    console.log(`  ${label}: skipped (${k0.status !== 0 ? `anchor exit ${k0.status}: ${k0.stderr.trim().split('\n')[0]}` : `exit ${a0.status}: ${a0.stderr.trim().split('\n')[0]}`})`)
    return undefined
  }

  const a = []
  const k = []
  for (let i = 0; i < opts.pairs; i++) {
    a.push(await measured(...ours))
    k.push(await measured(...anchor))
  }

  const med = (xs, f) => (xs.every((x) => f(x) !== undefined) ? median(xs.map(f)) : undefined)
  const stats = (xs) => ({wall: med(xs, (x) => x.wall), cpu: med(xs, (x) => x.cpu), rssKb: med(xs, (x) => x.rssKb)})
  const fig = {label, anchorLabel, ours: stats(a), anchor: stats(k), ratio: median(a.map((x, i) => x.wall / k[i].wall)), cpuRatio: median(a.map((x, i) => (x.cpu && k[i].cpu ? x.cpu / k[i].cpu : Number.NaN))), goal}
  const show = (x) => `wall ${ms(x.wall).padStart(7)}, CPU ${x.cpu === undefined ? '?' : ms(x.cpu)}, peak RSS ${x.rssKb === undefined ? '?' : mb(x.rssKb)}`
  console.log(`  ${label.replaceAll('`', '')}: ${show(fig.ours)}`)
  console.log(`    ${anchorLabel.replaceAll('`', '')}: ${show(fig.anchor)}`)
  console.log(`    ratio ${fig.ratio.toFixed(2)}× wall, ${fig.cpuRatio.toFixed(2)}× CPU (medians of per-pair ratios)${goal ? `; goal ≤ ${goal}×${fig.ratio <= goal ? '' : '  ← above goal'}` : ''}`)
  figures.push(fig)
  return fig
}

/** The figures as the README's Markdown table. */
function printTable(server) {
  if (figures.length === 0) return
  const sec = (x) => (x === undefined ? '?' : `${(x / 1000).toFixed(2)} s`)
  console.log(`\n== table (${server}; node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? '?'}, load average ${os.loadavg()[0].toFixed(1)}; medians of ${opts.pairs} pairs)`)
  console.log('| figure | argo-doctor wall (CPU) | anchor | anchor wall (CPU) | ratio wall (CPU) | goal |')
  console.log('|---|---|---|---|---|---|')
  for (const f of figures) console.log(`| ${f.label} | ${sec(f.ours.wall)} (${sec(f.ours.cpu)}) | ${f.anchorLabel} | ${sec(f.anchor.wall)} (${sec(f.anchor.cpu)}) | ${f.ratio.toFixed(2)}× (${f.cpuRatio.toFixed(2)}×) | ${f.goal ? `≤ ${f.goal}×` : ''} |`)
}

// ------------------------------------------------------------------------------------------ 2

async function listAll(server, namespace, token) {
  // The LIST alone, paginated (limit=FLEET_PAGE_SIZE) and parsed page by page: the baseline explain adds to.
  const https = server.startsWith('https')
  const {request} = await import(https ? 'node:https' : 'node:http')
  let cont
  let items = 0
  let pages = 0
  let bytes = 0
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  do {
    const url = new URL(`/apis/argoproj.io/v1alpha1/namespaces/${namespace}/applications`, server)
    url.searchParams.set('limit', String(PAGE_SIZE))
    if (cont) url.searchParams.set('continue', cont)
    const body = await new Promise((resolve, reject) => {
      const req = request(url, {headers: {Authorization: `Bearer ${token}`}, rejectUnauthorized: false}, (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => resolve(Buffer.concat(chunks)))
      })
      req.on('error', reject)
      req.end()
    })
    bytes += body.length
    const page = JSON.parse(body.toString('utf8'))
    items += page.items.length
    pages++
    cont = page.metadata?.continue || undefined
  } while (cont)
  const cpu = process.cpuUsage(cpu0)
  return {items, pages, bytes, wall: Number(process.hrtime.bigint() - t0) / 1e6, cpu: (cpu.user + cpu.system) / 1000}
}

async function diagnoseInProcess(apps) {
  const {diagnose} = await import(pathToFileURL(join(ROOT, 'dist', 'lib', 'diagnose', 'index.js')).href)
  const now = new Date(NOW)
  const cpu0 = process.cpuUsage()
  let findings = 0
  for (const app of apps) findings += diagnose(app, undefined, now, {fleet: true, style: {bin: 'argo-doctor'}}).length
  const cpu = process.cpuUsage(cpu0)
  return {cpu: (cpu.user + cpu.system) / 1000, findings}
}

function kubectlAvailable() {
  try {
    execFileSync('kubectl', ['version', '--client'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

async function fleet() {
  const real = Boolean(opts.kubeconfig)
  console.log(`\n== explain --all --json: ${real ? `real cluster (${opts.kubeconfig}${opts.context ? `, context ${opts.context}` : ''}), namespace ${opts.namespace}` : `${opts.apps} Applications on the test API server`}`)
  let server
  let kubeconfig = opts.kubeconfig
  let apps
  if (!real) {
    let startFakeApiServer
    let makeFleet
    try {
      ({startFakeApiServer} = await import(pathToFileURL(join(ROOT, 'test', 'support', 'fake-apiserver.ts')).href))
      ;({makeFleet} = await import(pathToFileURL(join(ROOT, 'test', 'support', 'fleet.ts')).href))
    } catch (error) {
      console.log(`  skipped: cannot load the test API server (${error.message.split('\n')[0]}); run with: node --import tsx scripts/bench.mjs`)
      return undefined
    }

    const tls = existsSync('/usr/bin/openssl') || spawnSync('openssl', ['version']).status === 0
    server = await startFakeApiServer({crdDir: false, tls})
    kubeconfig = server.writeKubeconfig(tmp)
    apps = makeFleet({count: opts.apps, now: new Date(NOW)})
    const t0 = Date.now()
    for (const app of apps) server.put(app, {validate: false})
    const size = apps.reduce((n, a) => n + JSON.stringify(a).length, 0)
    console.log(`  loaded ${apps.length} apps (${(size / 1024 / 1024).toFixed(1)} MB of JSON, avg ${(size / apps.length / 1024).toFixed(1)} KB/app; status.resources 5–60 each) in ${Date.now() - t0} ms`)
  } else if (opts.load > 0) {
    // --load N: put N generated Applications into the real cluster first (kubectl create; status is
    // stored with them since the CRD has no status subresource). Only for throwaway clusters. They
    // are generated as of NOW and explained as of NOW (ARGO_DOCTOR_NOW), as on the test API server:
    // the same fleet, mostly healthy, whenever the bench runs.
    const {makeFleet} = await import(pathToFileURL(join(ROOT, 'test', 'support', 'fleet.ts')).href)
    const k = ['--kubeconfig', opts.kubeconfig, ...(opts.context ? ['--context', opts.context] : [])]
    const have = JSON.parse(execFileSync('kubectl', [...k, 'get', 'applications.argoproj.io', '-n', opts.namespace, '-o', 'json'], {maxBuffer: 1 << 30}).toString()).items.length
    if (have < opts.load) {
      const items = makeFleet({count: opts.load, now: new Date(NOW)}).slice(have).map((a) => {
        const metadata = {...a.metadata, namespace: opts.namespace}
        for (const key of ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields']) delete metadata[key]
        return {...a, metadata}
      })
      const t0 = Date.now()
      for (let i = 0; i < items.length; i += 250) {
        const file = join(tmp, `load-${i}.json`)
        writeFileSync(file, JSON.stringify({apiVersion: 'v1', kind: 'List', items: items.slice(i, i + 250)}))
        execFileSync('kubectl', [...k, 'create', '-f', file], {stdio: 'ignore'})
      }

      console.log(`  loaded ${items.length} generated apps into the cluster in ${Date.now() - t0} ms (${have} were there)`)
    }
  }

  const conn = ['--kubeconfig', kubeconfig, ...(opts.context ? ['--context', opts.context] : [])]
  try {
    // The generated fleet's timestamps are relative to NOW; a real cluster without --load is explained as of now.
    const env = real && !opts.load ? {} : {ARGO_DOCTOR_NOW: NOW}
    const version = await measured(process.execPath, [BIN, '--version'], env)
    // Same command on a namespace with no apps: start-up + loading @kubernetes/client-node + one empty LIST.
    const empty = real ? undefined : await measured(process.execPath, [BIN, 'explain', '--all', '-n', 'bench-empty', '--json', ...conn], env)
    const run = await measured(process.execPath, [BIN, 'explain', '--all', '-n', opts.namespace, '--json', ...conn], env)
    if (run.status !== 0 && run.status !== 20) {
      console.log(`  explain failed (exit ${run.status}): ${run.stderr.trim()} ${run.stdout.trim().slice(0, 400)}`)
      return undefined
    }

    // The JSON envelope: {command, status, exitCode, result, warnings}.
    const doc = JSON.parse(run.stdout).result
    console.log(`  explain --all --json: exit ${run.status}, ${doc.summary.apps} apps, ${doc.summary.withFindings} with findings (${doc.summary.critical} critical, ${doc.summary.warning} warning, ${doc.summary.info} info)`)
    console.log(`    wall ${ms(run.wall)}, CPU ${run.cpu === undefined ? '?' : ms(run.cpu)}, peak RSS ${run.rssKb === undefined ? '?' : mb(run.rssKb)} (target < 250 MB)`)
    console.log(`    start-up alone (--version): wall ${ms(version.wall)}, CPU ${version.cpu === undefined ? '?' : ms(version.cpu)}, RSS ${version.rssKb === undefined ? '?' : mb(version.rssKb)}`)

    let list
    let diag
    if (!real) {
      list = await listAll(server.url, opts.namespace, 'admin-token')
      console.log(`  the LIST alone, in-process (${list.items} items, ${(list.bytes / 1024 / 1024).toFixed(1)} MB over ${list.pages} pages of ${PAGE_SIZE}, parsed): wall ${ms(list.wall)}, CPU ${ms(list.cpu)} (includes the test server's own work: same process)`)
      diag = await diagnoseInProcess(apps)
      console.log(`  diagnosis alone, in-process (dist/lib/diagnose): CPU ${ms(diag.cpu)} for ${apps.length} apps (${(diag.cpu / apps.length * 1000).toFixed(0)} µs/app, ${diag.findings} findings) (target: well under 2 s beyond the LIST)`)
      if (run.cpu !== undefined && version.cpu !== undefined && empty?.cpu !== undefined) {
        console.log(`  explain --all on an empty namespace (start-up + client-node + one LIST): wall ${ms(empty.wall)}, CPU ${ms(empty.cpu)}, RSS ${mb(empty.rssKb)}`)
        console.log(`  CLI CPU for the ${apps.length} apps (paging, parsing, diagnosis, output) = full run − empty run: ${ms(run.cpu - empty.cpu)}; RSS added: ${mb(run.rssKb - empty.rssKb)}`)
      }
    }

    let anchors
    if (kubectlAvailable() && (real || server.caPem)) {
      const args = ['get', 'applications.argoproj.io', '-n', opts.namespace, '-o', 'json', ...conn]
      const k = await measured('kubectl', args)
      if (k.status === 0) {
        console.log(`  kubectl ${args.slice(0, 6).join(' ')} (pages of 500): wall ${ms(k.wall)}, CPU ${k.cpu === undefined ? '?' : ms(k.cpu)}, peak RSS ${k.rssKb === undefined ? '?' : mb(k.rssKb)}`)
      } else {
        console.log(`  kubectl get failed (exit ${k.status}): ${k.stderr.trim().split('\n')[0]}`)
      }

      // The anchor: the same list, unpaginated, as raw bytes (no decoding or printing by kubectl).
      anchors = {
        namespace: await paired(`explain --all -n ${opts.namespace} --json`, [process.execPath, [BIN, 'explain', '--all', '-n', opts.namespace, '--json', ...conn], env],
          `kubectl get --raw /apis/argoproj.io/v1alpha1/namespaces/${opts.namespace}/applications`, ['kubectl', ['get', '--raw', `/apis/argoproj.io/v1alpha1/namespaces/${opts.namespace}/applications`, ...conn]], doc.summary.apps),
        all: await paired('explain -A --json', [process.execPath, [BIN, 'explain', '-A', '--json', ...conn], env],
          'kubectl get --raw /apis/argoproj.io/v1alpha1/applications', ['kubectl', ['get', '--raw', '/apis/argoproj.io/v1alpha1/applications', ...conn]], undefined),
      }
    }

    return {run, version, list, diag, anchors}
  } finally {
    await server?.stop()
  }
}

/**
 * Ours and the kubectl anchor in turn (A B A B …, opts.fleetRuns pairs after one warm-up each):
 * medians of wall/CPU/peak RSS and the median of the per-pair wall ratios. Noisy on a shared
 * machine: medians, never a single run.
 */
async function paired(ourLabel, ours, theirLabel, theirs, apps) {
  const runs = Math.max(1, opts.fleetRuns)
  console.log(`  ${ourLabel} vs ${theirLabel} (${runs} pairs, in turn; medians)`)
  const a0 = await measured(...ours)
  const k0 = await measured(...theirs)
  if ((a0.status !== 0 && a0.status !== 20) || k0.status !== 0) {
    console.log(`    skipped: ${a0.status !== 0 && a0.status !== 20 ? `explain exit ${a0.status}: ${a0.stderr.trim().split('\n')[0]}` : `kubectl exit ${k0.status}: ${k0.stderr.trim().split('\n')[0]}`}`)
    return undefined
  }

  const n = apps ?? JSON.parse(a0.stdout).result.summary.apps
  const a = []
  const k = []
  for (let i = 0; i < runs; i++) {
    a.push(await measured(...ours))
    k.push(await measured(...theirs))
  }

  const med = (xs, f) => (xs.every((x) => f(x) !== undefined) ? median(xs.map(f)) : undefined)
  const row = (label, xs) => {
    const cpu = med(xs, (x) => x.cpu)
    const rss = med(xs, (x) => x.rssKb)
    console.log(`    ${label.padEnd(40)} wall ${ms(med(xs, (x) => x.wall)).padStart(8)}, CPU ${cpu === undefined ? '?' : ms(cpu)}, peak RSS ${rss === undefined ? '?' : mb(rss)}`)
    return {wall: med(xs, (x) => x.wall), cpu, rssKb: rss}
  }

  const ourRow = row(ourLabel, a)
  const theirRow = row(`kubectl get --raw (${(Buffer.byteLength(k0.stdout) / 1024 / 1024).toFixed(0)} MB)`, k)
  const ratio = median(a.map((x, i) => x.wall / k[i].wall))
  const cpuRatio = ourRow.cpu && theirRow.cpu ? ` CPU ${(ourRow.cpu / theirRow.cpu).toFixed(2)}×;` : ''
  console.log(`    ${ourLabel} / kubectl get --raw: wall ${ratio.toFixed(2)}× (median of per-pair ratios; goal ≤ 1.5×)${ratio <= 1.5 ? '' : '  ← above goal'};${cpuRatio}` +
    ` ${n} apps, ${ms(ourRow.wall / n * 1000)} wall per 1,000; peak RSS ${ourRow.rssKb === undefined ? '?' : mb(ourRow.rssKb)} (goal ≤ 100 MB at 10,000 apps)`)
  return {apps: n, ours: ourRow, kubectl: theirRow, ratio}
}

// ------------------------------------------------------------------------------------------ 3

async function singleApp() {
  const real = Boolean(opts.kubeconfig)
  console.log(`\n== one app, live, ${real ? `real cluster (${opts.kubeconfig})` : 'test API server'} (${opts.pairs} pairs, in turn)`)
  if (!kubectlAvailable()) {
    console.log('  skipped: no kubectl on PATH')
    return undefined
  }

  let server
  let kubeconfig = opts.kubeconfig
  let name = opts.app
  if (!real) {
    const {startFakeApiServer} = await import(pathToFileURL(join(ROOT, 'test', 'support', 'fake-apiserver.ts')).href)
    const {makeFleet} = await import(pathToFileURL(join(ROOT, 'test', 'support', 'fleet.ts')).href)
    // kubectl sends the kubeconfig's token only to a TLS server.
    server = await startFakeApiServer({crdDir: false, tls: true})
    kubeconfig = server.writeKubeconfig(tmp, {file: 'single-kubeconfig'})
    const [app] = makeFleet({count: 1, now: new Date(NOW)})
    server.put(app, {validate: false})
    name = app.metadata.name
  }

  const conn = ['--kubeconfig', kubeconfig, ...(opts.context ? ['--context', opts.context] : []), '-n', opts.namespace]
  try {
    if (!name) {
      const list = JSON.parse(execFileSync('kubectl', ['get', 'applications.argoproj.io', ...conn, '-o', 'json'], {maxBuffer: 1 << 30}).toString())
      name = list.items[0]?.metadata?.name
      if (!name) {
        console.log(`  skipped: no Application in namespace ${opts.namespace} (pass --app NAME, -n NAMESPACE, or --load 1 on a throwaway cluster)`)
        return undefined
      }
    }

    const env = real ? {} : {ARGO_DOCTOR_NOW: NOW}
    const app = ['applications.argoproj.io', name, ...conn]
    await pairFigure('live `explain APP`', [...cli('explain', name, ...conn), env], '`kubectl get application APP -o yaml`', ['kubectl', ['get', ...app, '-o', 'yaml']], 1.5)
    // The floor: Node alone making the same first GET (TLS as client-node sets it up), nothing else.
    if (!EXE) await pairFigure('floor: Node alone, one HTTPS GET of APP', [process.execPath, [join(ROOT, 'scripts', 'lib', 'floor-get.mjs'), await floorRequest(kubeconfig, name)], env], '`kubectl get application APP -o yaml`', ['kubectl', ['get', ...app, '-o', 'yaml']])
    await pairFigure('live `hard-refresh APP --dry-run`', [...cli('hard-refresh', name, ...conn, '--dry-run'), env],
      '`kubectl annotate … --dry-run=server`', ['kubectl', ['annotate', ...app, 'argocd.argoproj.io/refresh=hard', '--overwrite', '--dry-run=server']], 1.5)
    return {name}
  } finally {
    await server?.stop()
  }
}

/** The GET of APP as https.request options (client-node's TLS options for the kubeconfig), in a JSON file for floor-get.mjs. */
async function floorRequest(kubeconfig, name) {
  const {KubeConfig} = await import('@kubernetes/client-node')
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfig)
  if (opts.context) kc.setCurrentContext(opts.context)
  const options = {headers: {Accept: 'application/json'}}
  await kc.applyToHTTPSOptions(options)
  for (const k of ['ca', 'cert', 'key']) if (Buffer.isBuffer(options[k])) options[k] = options[k].toString('utf8')
  const file = join(tmp, 'floor-request.json')
  const url = `${kc.getCurrentCluster().server}/apis/argoproj.io/v1alpha1/namespaces/${opts.namespace}/applications/${name}`
  writeFileSync(file, JSON.stringify({url, options: {ca: options.ca, cert: options.cert, key: options.key, headers: options.headers, rejectUnauthorized: options.rejectUnauthorized}}))
  return file
}

try {
  console.log(`argo-doctor bench — node ${process.version}, ${process.platform}/${process.arch}${GNU_TIME ? '' : ' (no /usr/bin/time: CPU and RSS not measured)'}${process.env.NODE_EXTRA_CA_CERTS ? `; NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS}` : ''}`)
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) throw new Error('dist/ is missing: run npm run build first (npm run bench does)')
  PAGE_SIZE = (await import(pathToFileURL(join(ROOT, 'dist', 'lib', 'app.js')).href)).FLEET_PAGE_SIZE ?? 100
  if (opts.kubeconfig) console.log(`real cluster: ${opts.kubeconfig}${process.env.BENCH_KUBECONFIG || process.argv.includes('--kubeconfig') ? '' : ' (the e2e cluster, up)'}`)
  if (!opts.skipStartup) await startup()
  if (!opts.skipFleet) await fleet()
  if (!opts.skipSingle) await singleApp()
  printTable(opts.kubeconfig ? 'real kube-apiserver' : 'test API server')
} finally {
  rmSync(tmp, {recursive: true, force: true})
}
