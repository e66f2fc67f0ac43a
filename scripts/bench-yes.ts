/**
 * The `--yes` benchmark (run it with `npm run bench:yes`, which starts the real kube-apiserver and a
 * real Argo CD controller with a status write about every second). Each command runs --runs times
 * (default 50) with `--yes --json` on an app the controller keeps writing, each run on a fresh
 * instance of the incident it fixes. It prints, per command: runs, successes, the success rate,
 * the re-plans used (`replans` in the JSON: a write that lost to the controller's own status write
 * and was applied again on a fresh read), the other exit codes seen and the median wall time.
 * Numbers, not a test: nothing here fails on a bad figure; the failing runs' output is kept.
 *
 *   node --import tsx scripts/bench-yes.ts [--runs 50] [--only hard-refresh,unstick,...] [--out FILE]
 */
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {
  apply, completeJob, configMap, createApp, deleteApps, deployment, doctor, getApp, gitPut, hookJob, kubectl,
  makeDeploymentAvailable, NS, REPO, requireArgocd, sleep, startJob, uniq, waitForApp, waitForObject, type Run,
} from '../test/e2e-argocd/support.js'
import {tempDir} from '../test/support/cli.js'

const argv = process.argv.slice(2)
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(name)
  return i === -1 ? fallback : argv[i + 1]
}

const RUNS = Number(arg('--runs', '50'))
const ONLY = new Set(arg('--only', '').split(',').filter(Boolean))
const OUT = arg('--out', join(tempDir('bench-yes-'), 'results.json'))
const FAILURES = join(OUT, '..', 'failures')
mkdirSync(FAILURES, {recursive: true})

interface Sample {
  exitCode: number
  replans: number
  seconds: number
}

/** One command's benchmark: `setup` once, then per run `prepare` (a fresh incident) and the command. */
interface Scenario {
  command: string
  setup: () => Promise<void>
  prepare: (i: number) => Promise<void>
  args: (i: number) => string[]
  /** After a run: put the app back so the next run has something to do (not timed). */
  after?: (i: number, r: Run) => Promise<void>
  env?: Record<string, string>
}

const replansOf = (stdout: string): number => {
  try {
    const doc = JSON.parse(stdout)
    const steps: Array<{replans?: number}> = doc.result?.steps ?? (doc.result?.apps ?? []).flatMap((a: {steps?: unknown[]}) => a.steps ?? [])
    return steps.reduce((n, s) => n + (s.replans ?? 0), 0)
  } catch {
    return 0
  }
}

const patchApp = (name: string, patch: unknown) => kubectl(['patch', 'applications.argoproj.io', name, '-n', NS, '--type', 'merge', '-p', JSON.stringify(patch)])
const idle = (a: any) => !a.operation && a.status?.operationState?.phase !== 'Running' && a.status?.operationState?.phase !== 'Terminating'

// ------------------------------------------------------------------ the incidents, one per command

function hardRefresh(): Scenario {
  const ns = uniq('by-refresh')
  const app = `${ns}-app`
  return {
    command: 'hard-refresh',
    async setup() {
      const sha = await gitPut(`apps/${ns}`, {'config.yaml': configMap('settings')})
      await createApp(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true']}})
      await waitForApp(app, 'Synced', (a) => a.status?.sync?.status === 'Synced' && idle(a))
    },
    async prepare() {},
    args: () => ['hard-refresh', app, '--yes', '--json', '--timeout', '60s'],
  }
}

function forcePresync(): Scenario {
  const ns = uniq('by-presync')
  const app = `${ns}-app`
  const hook = 'db-init'
  let sync: Promise<void> | undefined
  return {
    command: 'force-presync',
    async setup() {
      const sha = await gitPut(`apps/${ns}`, {'config.yaml': configMap('settings'), 'hook.yaml': hookJob(hook)})
      await createApp(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {syncOptions: ['CreateNamespace=true']}})
      await waitForApp(app, 'first comparison', (a) => a.status?.sync?.revision === sha)
    },
    async prepare() {
      // The job controller: the hook Job the sync creates completes as soon as it exists.
      sync = (async () => {
        const before = Date.now()
        for (;;) {
          const job = await waitForObject(['job', hook, '-n', ns], 90_000)
          if (Date.parse(job.metadata.creationTimestamp) >= before - 1000) break
          await sleep(200)
        }

        await completeJob(ns, hook)
      })()
      sync.catch(() => undefined)
    },
    args: () => ['force-presync', app, '--yes', '--json', '--timeout', '90s'],
    async after() {
      await sync?.catch(() => undefined)
      await waitForApp(app, 'the sync is over', idle)
    },
  }
}

function unstick(): Scenario {
  const ns = uniq('by-unstick')
  const app = `${ns}-app`
  const hook = 'db-migrate'
  const waiting = `waiting for completion of hook batch/Job/${hook}`
  let sha = ''
  return {
    command: 'unstick',
    async setup() {
      sha = await gitPut(`apps/${ns}`, {'config.yaml': configMap('settings'), 'hook.yaml': hookJob(hook)})
      await createApp(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {syncOptions: ['CreateNamespace=true']}})
      await waitForApp(app, 'first comparison', (a) => a.status?.sync?.revision === sha)
    },
    async prepare(i) {
      // A sync whose PreSync hook never finishes: the real controller waits for it for ever.
      await patchApp(app, {operation: {initiatedBy: {username: `bench-${i}`}, sync: {revision: sha, syncOptions: ['CreateNamespace=true']}}})
      await waitForObject(['job', hook, '-n', ns])
      await startJob(ns, hook).catch(() => undefined)
      await waitForApp(app, waiting, (a) => a.status?.operationState?.phase === 'Running' && a.status.operationState.message === waiting)
    },
    args: () => ['unstick', app, '--yes', '--json', '--min-age', '0s', '--timeout', '60s'],
    async after() {
      await waitForApp(app, 'the operation is over', idle)
    },
  }
}

/** ignore-status and undo take turns on the same app: undo puts back what ignore-status wrote. */
function hpaDrift(backups: string): Scenario[] {
  const ns = uniq('by-hpa')
  const app = `${ns}-app`
  const hpa = {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: {name: 'api'},
    spec: {scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'api'}, minReplicas: 2, maxReplicas: 10},
  }
  const outOfSync = (a: any) => a.status?.sync?.status === 'OutOfSync' && (a.status.resources ?? []).some((r: any) => r.kind === 'Deployment' && r.status === 'OutOfSync')
  const env = {ARGO_DOCTOR_BACKUP_DIR: backups}
  return [{
    command: 'ignore-status',
    env,
    async setup() {
      const sha = await gitPut(`apps/${ns}`, {'api.yaml': deployment('api', 2), 'hpa.yaml': hpa})
      await createApp(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true']}})
      await waitForApp(app, 'auto-sync Succeeded', (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.status === 'Synced')
      await kubectl(['scale', 'deployment', 'api', '-n', ns, '--replicas', '5']) // the HPA scaled it
      await makeDeploymentAvailable(ns, 'api')
    },
    async prepare() {
      await waitForApp(app, 'OutOfSync on replicas', outOfSync)
    },
    args: () => ['ignore-status', app, '--yes', '--json', '--timeout', '60s'],
  }, {
    command: 'undo',
    env,
    async setup() {},
    async prepare() {},
    args: () => ['undo', app, '--yes', '--json'],
  }]
}

function approvePrune(): Scenario {
  const ns = uniq('by-prune')
  const app = `${ns}-app`
  const waiting = /waiting for pruning confirmation of (?:v1)?\/ConfigMap\/legacy-report/i
  let withIt = ''
  let without = ''
  return {
    command: 'approve-prune',
    async setup() {
      withIt = await gitPut(`apps/${ns}`, {'keep.yaml': configMap('settings'), 'legacy.yaml': configMap('legacy-report', {k: 'v'}, {'argocd.argoproj.io/sync-options': 'Prune=confirm'})})
      without = await gitPut(`apps/${ns}`, {'keep.yaml': configMap('settings')}, 'bench: legacy-report removed')
      await createApp(app, {path: `apps/${ns}`, revision: withIt, namespace: ns, syncPolicy: {automated: {prune: true}, syncOptions: ['CreateNamespace=true']}})
    },
    async prepare() {
      // The ConfigMap is in Git and live; then it is removed from Git and the auto-sync waits for approval.
      await patchApp(app, {spec: {source: {targetRevision: withIt}}})
      await waitForObject(['configmap', 'legacy-report', '-n', ns], 90_000)
      await waitForApp(app, 'Synced with the ConfigMap', (a) => a.status?.sync?.revision === withIt && a.status.sync.status === 'Synced' && idle(a))
      await patchApp(app, {spec: {source: {targetRevision: without}}})
      await waitForApp(app, String(waiting), (a) => a.status?.operationState?.phase === 'Running' && waiting.test(a.status.operationState.message ?? ''))
    },
    args: () => ['approve-prune', app, '--yes', '--json', '--timeout', '90s'],
  }
}

function unblockDelete(): Scenario {
  const ns = uniq('by-delete')
  const server = 'https://127.0.0.1:9' // nothing listens there: the destination cluster is gone
  const name = (i: number) => `${ns}-${i}`
  let sha = ''
  return {
    command: 'unblock-delete',
    async setup() {
      sha = await gitPut(`apps/${ns}`, {'config.yaml': configMap('settings')})
      await apply({
        apiVersion: 'v1', kind: 'Secret',
        metadata: {name: `${ns}-cluster`, namespace: NS, labels: {'argocd.argoproj.io/secret-type': 'cluster'}},
        stringData: {name: `${ns}-edge`, server, config: JSON.stringify({bearerToken: 'bench', tlsClientConfig: {insecure: true}})},
      })
    },
    async prepare(i) {
      await apply({
        apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
        metadata: {name: name(i), namespace: NS, finalizers: ['resources-finalizer.argocd.argoproj.io']},
        spec: {project: 'default', source: {repoURL: REPO, targetRevision: sha, path: `apps/${ns}`}, destination: {server, namespace: ns}},
      })
      await waitForApp(name(i), 'first reconcile', (a) => a.status?.reconciledAt !== undefined || (a.status?.conditions ?? []).length > 0)
      await kubectl(['delete', 'applications.argoproj.io', name(i), '-n', NS, '--wait=false'])
      await waitForApp(name(i), 'DeletionError', (a) => (a.status?.conditions ?? []).some((c: {type: string}) => c.type === 'DeletionError'))
    },
    args: (i) => ['unblock-delete', name(i), '--yes', '--json', '--timeout', '30s'],
    async after(i) {
      await patchApp(name(i), {metadata: {finalizers: null}}).catch(() => undefined)
    },
  }
}

// ------------------------------------------------------------------ running and reporting

/** How often the controller writes one app: distinct resourceVersions seen in `seconds`. */
async function writeRate(app: string, seconds = 10): Promise<number> {
  const seen = new Set<string>()
  const end = Date.now() + seconds * 1000
  while (Date.now() < end) {
    seen.add((await getApp(app)).metadata.resourceVersion)
    await sleep(200)
  }

  return seen.size - 1
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)]
}

async function main(): Promise<void> {
  requireArgocd()
  const backups = tempDir('bench-yes-backups-')
  const [ignore, undo] = hpaDrift(backups)
  const all = [hardRefresh(), forcePresync(), unstick(), ignore, undo, approvePrune(), unblockDelete()]
  const chosen = all.filter((s) => ONLY.size === 0 || ONLY.has(s.command))
  const samples = new Map<string, Sample[]>()
  for (const s of chosen) await s.setup()
  const probe = chosen.find((s) => s.command === 'hard-refresh') ? (await kubectl(['get', 'applications.argoproj.io', '-n', NS, '-o', 'name'])).trim().split('\n').map((n) => n.replace(/^.*\//, '')).find((n) => n.startsWith('by-refresh')) : undefined
  if (probe) {
    const writes = await writeRate(probe)
    console.log(`the controller wrote ${probe} ${writes} times in 10 s (one status write every ${(10 / Math.max(writes, 1)).toFixed(1)} s)`)
  }

  // ignore-status and undo alternate on one app; the others run one after another.
  const order: Array<{scenario: Scenario; i: number}> = []
  const paired = chosen.filter((s) => s === ignore || s === undo)
  for (const s of chosen.filter((x) => !paired.includes(x))) for (let i = 1; i <= RUNS; i++) order.push({scenario: s, i})
  for (let i = 1; i <= RUNS; i++) for (const s of paired) order.push({scenario: s, i})

  for (const {scenario, i} of order) {
    try {
      await scenario.prepare(i)
    } catch (error) {
      console.log(`${scenario.command} #${i}: the incident could not be reproduced (not counted): ${(error as Error).message.split('\n')[0]}`)
      continue
    }

    const started = Date.now()
    const r = await doctor(scenario.args(i), scenario.env)
    const sample = {exitCode: r.exitCode, replans: replansOf(r.stdout), seconds: (Date.now() - started) / 1000}
    samples.set(scenario.command, [...(samples.get(scenario.command) ?? []), sample])
    if (r.exitCode !== 0) writeFileSync(join(FAILURES, `${scenario.command}-${i}.txt`), `exit ${r.exitCode}\n${r.stdout}\n--- stderr\n${r.stderr}\n`)
    process.stdout.write(`${scenario.command} #${i}: exit ${r.exitCode}, replans ${sample.replans}, ${sample.seconds.toFixed(1)}s\n`)
    await scenario.after?.(i, r).catch((error) => console.log(`${scenario.command} #${i}: cleanup: ${(error as Error).message.split('\n')[0]}`))
  }

  const rows = [...samples.entries()].map(([command, xs]) => {
    const ok = xs.filter((x) => x.exitCode === 0).length
    const other = [...new Set(xs.filter((x) => x.exitCode !== 0).map((x) => x.exitCode))].map((code) => `${code}×${xs.filter((x) => x.exitCode === code).length}`).join(' ')
    return {
      command, runs: xs.length, ok, rate: `${((100 * ok) / xs.length).toFixed(0)}%`,
      replans: xs.reduce((n, x) => n + x.replans, 0), runsWithReplans: xs.filter((x) => x.replans > 0).length,
      maxReplans: Math.max(...xs.map((x) => x.replans)), otherExits: other || '-', medianSeconds: median(xs.map((x) => x.seconds)),
    }
  })
  writeFileSync(OUT, `${JSON.stringify({resyncSeconds: Number(process.env.ARGO_DOCTOR_E2E_ARGOCD_RESYNC ?? 10), runs: RUNS, rows}, null, 2)}\n`)
  console.log(`\n--yes against a live controller (--app-resync ${process.env.ARGO_DOCTOR_E2E_ARGOCD_RESYNC ?? '10'} s), ${RUNS} runs each:`)
  const header = ['COMMAND', 'RUNS', 'OK', 'RATE', 'REPLANS', 'RUNS-REPLANNED', 'MAX', 'OTHER-EXITS', 'MEDIAN']
  const table = [header, ...rows.map((r) => [r.command, r.runs, r.ok, r.rate, r.replans, r.runsWithReplans, r.maxReplans, r.otherExits, `${r.medianSeconds.toFixed(1)}s`].map(String))]
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)))
  for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd())
  console.log(`\nresults: ${OUT}${rows.some((r) => r.ok < r.runs) ? `; failing runs' output: ${FAILURES}` : ''}`)
  await deleteApps(...(await kubectl(['get', 'applications.argoproj.io', '-n', NS, '-o', 'name'])).trim().split('\n').map((n) => n.replace(/^.*\//, '')).filter((n) => n.startsWith('by-')))
}

await main()
