/**
 * Helpers for the argocd tier: a REAL Argo CD application-controller + repo-server (v3.6.x by
 * default, or the version of ARGO_DOCTOR_E2E_ARGOCD_MODULE; scripts/argocd.sh) on the real
 * kube-apiserver of scripts/cluster.sh. The test plays only
 * the controllers that do not exist here (job controller, deployment controller, HPA); every
 * Application state below is written by Argo CD itself.
 */
import {appendFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {execa} from 'execa'
import {stringify} from 'yaml'
import {ROOT, tempDir} from '../support/cli.js'
import {doctor, getApp, kubectl, NS, requireCluster, type Run} from '../e2e/support.js'

export {doctor, getApp, kubectl, NS}
export type {Run}

export const REPO = process.env.ARGOCD_GIT_REPO ?? ''
export const DEST = process.env.ARGOCD_DEST_SERVER ?? 'https://kubernetes.default.svc'
const LOG_DIR = process.env.ARGOCD_LOG_DIR ?? ''
/** The Argo CD version the tier runs (scripts/argocd.sh env), e.g. "v3.6.2". */
export const ARGOCD_VERSION = process.env.ARGOCD_VERSION ?? ''

/** Whether the tier's Argo CD is at least 3.<minor> (behaviour differs between releases). */
export function argocdAtLeast(minor: number): boolean {
  const m = /^v?3\.(\d+)\./.exec(ARGOCD_VERSION)
  if (!m) throw new Error(`cannot read the Argo CD version from ARGOCD_VERSION=${JSON.stringify(ARGOCD_VERSION)}`)
  return Number(m[1]) >= minor
}
const STATE_DIR = process.env.ARGO_DOCTOR_E2E_DIR ?? ''
/** Every argo-doctor run and before/after state, in full, for the lead to quote. */
export const SUMMARY_FILE = process.env.ARGO_DOCTOR_E2E_ARGOCD_SUMMARY ?? (STATE_DIR ? join(STATE_DIR, 'argocd-tier-summary.md') : join(tempDir('argocd-tier-'), 'summary.md'))

export function requireArgocd(): void {
  requireCluster()
  const pid = Number(process.env.ARGOCD_CONTROLLER_PID)
  if (!REPO || !pid) throw new Error('run the argocd tier with scripts/e2e.sh (or scripts/argocd.sh up && eval "$(scripts/argocd.sh env)")')
  try {
    process.kill(pid, 0)
  } catch {
    throw new Error(`the Argo CD application-controller (pid ${pid}) is not running`)
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A DNS-1123 name unique to this run: fresh namespaces and apps per scenario. */
export function uniq(prefix: string): string {
  return `${prefix}-${Date.now().toString(36).slice(-4)}${Math.floor(Math.random() * 1296).toString(36).padStart(2, '0')}`
}

// ------------------------------------------------------------------ git (scripts/argocd.sh put)

/** Commit files (name → object or YAML text) under `path` in the harness repo; returns the full SHA. */
export async function gitPut(path: string, files: Record<string, unknown>, message?: string): Promise<string> {
  const dir = tempDir('argocd-e2e-git-')
  for (const [name, content] of Object.entries(files)) {
    const text = typeof content === 'string' ? content : (Array.isArray(content) ? content : [content]).map((d) => stringify(d)).join('---\n')
    mkdirSync(join(dir, name, '..'), {recursive: true})
    writeFileSync(join(dir, name), text)
  }

  const r = await execa(join(ROOT, 'scripts', 'argocd.sh'), ['put', '-m', message ?? `e2e: ${path}`, path, dir], {reject: false})
  if (r.exitCode !== 0) throw new Error(`argocd.sh put ${path} failed: ${r.stderr}`)
  const sha = String(r.stdout).trim().split('\n').at(-1)!
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`argocd.sh put printed no SHA: ${r.stdout}`)
  return sha
}

// ------------------------------------------------------------------ manifests

export interface AppSpecOptions {
  project?: string
  path: string
  revision: string
  namespace: string
  syncPolicy?: Record<string, unknown>
  annotations?: Record<string, string>
  labels?: Record<string, string>
}

export function appManifest(name: string, o: AppSpecOptions): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {name, namespace: NS, ...(o.annotations ? {annotations: o.annotations} : {}), ...(o.labels ? {labels: o.labels} : {})},
    spec: {
      project: o.project ?? 'default',
      source: {repoURL: REPO, targetRevision: o.revision, path: o.path},
      destination: {server: DEST, namespace: o.namespace},
      ...(o.syncPolicy ? {syncPolicy: o.syncPolicy} : {}),
    },
  }
}

export function deployment(name: string, replicas: number, annotations?: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name, ...(annotations ? {annotations} : {})},
    spec: {
      replicas,
      selector: {matchLabels: {app: name}},
      template: {metadata: {labels: {app: name}}, spec: {containers: [{name, image: 'registry.invalid/e2e/app:1'}]}},
    },
  }
}

export function configMap(name: string, data: Record<string, string> = {k: 'v'}, annotations?: Record<string, string>): Record<string, unknown> {
  return {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name, ...(annotations ? {annotations} : {})}, data}
}

/** A PreSync hook Job, as in seed 002 (db-init). */
export function hookJob(name: string, hook = 'PreSync'): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {name, annotations: {'argocd.argoproj.io/hook': hook, 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation'}},
    spec: {
      backoffLimit: 0,
      template: {spec: {restartPolicy: 'Never', containers: [{name, image: 'registry.invalid/e2e/db-init:1', command: ['/bin/init-db']}]}},
    },
  }
}

/** kubectl apply an object (client-side, like a user bootstrapping a root app). */
export async function apply(obj: unknown): Promise<void> {
  await kubectl(['apply', '-f', '-'], JSON.stringify(obj))
}

export async function createNamespace(name: string): Promise<void> {
  await kubectl(['create', 'namespace', name])
}

/** Create an Application and ask for a hard first reconcile (targetRevision branches go through the repo-server's revision cache). */
export async function createApp(name: string, o: AppSpecOptions): Promise<void> {
  await apply(appManifest(name, {...o, annotations: {...o.annotations}}))
  await kubectl(['annotate', 'applications.argoproj.io', name, '-n', NS, 'argocd.argoproj.io/refresh=hard', '--overwrite'])
}

export async function deleteApps(...names: string[]): Promise<void> {
  for (const name of names) await kubectl(['delete', 'applications.argoproj.io', name, '-n', NS, '--ignore-not-found', '--wait=false']).catch(() => undefined)
}

export async function appExists(name: string): Promise<boolean> {
  const out = await kubectl(['get', 'applications.argoproj.io', '-n', NS, '--field-selector', `metadata.name=${name}`, '-o', 'name'])
  return out.trim() !== ''
}

// ------------------------------------------------------------------ playing the missing controllers

const rfc3339 = (d = new Date()) => d.toISOString().replace(/\.\d+Z$/, 'Z')

/** Job controller: the hook's pod is running (and never finishes unless completeJob is called). */
export async function startJob(ns: string, name: string): Promise<void> {
  await kubectl(['patch', 'job', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({status: {startTime: rfc3339(), active: 1, ready: 0}})])
}

/** Job controller: the hook's pod succeeded (README: one status patch with both conditions). */
export async function completeJob(ns: string, name: string): Promise<void> {
  const t = rfc3339()
  const cond = (type: string) => ({type, status: 'True', lastProbeTime: t, lastTransitionTime: t, reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods'})
  const job = JSON.parse(await kubectl(['get', 'job', name, '-n', ns, '-o', 'json']))
  const status = {startTime: job.status?.startTime ?? t, completionTime: t, succeeded: 1, active: 0, ready: 0, conditions: [cond('SuccessCriteriaMet'), cond('Complete')]}
  await kubectl(['patch', 'job', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({status})])
}

/** Deployment controller: all replicas of the current generation available. */
export async function makeDeploymentAvailable(ns: string, name: string): Promise<void> {
  const d = JSON.parse(await kubectl(['get', 'deployment', name, '-n', ns, '-o', 'json']))
  const n = d.spec.replicas ?? 1
  const t = rfc3339()
  const status = {
    observedGeneration: d.metadata.generation,
    replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n,
    conditions: [
      {type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: t, lastTransitionTime: t},
      {type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}-e2e" has successfully progressed.`, lastUpdateTime: t, lastTransitionTime: t},
    ],
  }
  await kubectl(['patch', 'deployment', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({status})])
}

/** A Deployment of `deployment()` with another image. */
export function withImage(name: string, image: string): Record<string, unknown> {
  const d = deployment(name, 1) as any
  d.spec.template.spec.containers[0].image = image
  return d
}

/** Deployment controller: the new ReplicaSet `rs` never becomes available (its image does not exist): progress deadline exceeded. */
export async function failRollout(ns: string, name: string, rs = `${name}-e2e`): Promise<void> {
  const d = JSON.parse(await kubectl(['get', 'deployment', name, '-n', ns, '-o', 'json']))
  const t = rfc3339()
  const status = {
    observedGeneration: d.metadata.generation, replicas: 1, updatedReplicas: 1, unavailableReplicas: 1,
    conditions: [
      {type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: t, lastTransitionTime: t},
      {type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rs}" has timed out progressing.`, lastUpdateTime: t, lastTransitionTime: t},
    ],
  }
  await kubectl(['patch', 'deployment', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({status})])
}

export async function waitForObject(args: string[], timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const out = await kubectl(['get', ...args, '-o', 'json', '--ignore-not-found'])
    if (out.trim()) return JSON.parse(out)
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${args.join(' ')} to exist\n${controllerLogTail()}`)
    await sleep(300)
  }
}

// ------------------------------------------------------------------ observing Argo CD

export interface Abridged {
  phase?: string
  message?: string
  startedAt?: string
  finishedAt?: string
  operation: boolean
  sync?: string
  revision?: string
  health?: string
  reconciledAt?: string
}

export function abridged(app: any): Abridged {
  const s = app?.status ?? {}
  return {
    phase: s.operationState?.phase,
    message: s.operationState?.message,
    startedAt: s.operationState?.startedAt,
    finishedAt: s.operationState?.finishedAt,
    operation: Boolean(app?.operation),
    sync: s.sync?.status,
    revision: s.sync?.revision?.slice(0, 8),
    health: s.health?.status,
    reconciledAt: s.reconciledAt,
  }
}

export function show(app: any): string {
  const a = abridged(app)
  return `phase=${a.phase ?? '-'} message=${JSON.stringify(a.message ?? '')} operation=${a.operation ? 'set' : 'absent'} sync=${a.sync ?? '-'}@${a.revision ?? '-'} health=${a.health ?? '-'} reconciledAt=${a.reconciledAt ?? '-'}`
}

export function controllerLogTail(lines = 25, grep?: string): string {
  if (!LOG_DIR) return ''
  try {
    let all = readFileSync(join(LOG_DIR, 'application-controller.log'), 'utf8').split('\n')
    if (grep) all = all.filter((l) => l.includes(grep))
    return `--- application-controller.log (last ${lines}${grep ? ` lines mentioning ${grep}` : ''})\n${all.slice(-lines).join('\n')}`
  } catch {
    return ''
  }
}

/** Poll the Application until `pred` holds; the error says what the controller last wrote. */
export async function waitForApp(name: string, what: string, pred: (app: any) => boolean, timeoutMs = 90_000): Promise<any> {
  const deadline = Date.now() + timeoutMs
  let last: any
  for (;;) {
    last = await getApp(name).catch(() => undefined)
    if (last && pred(last)) return last
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${name}: ${what}\nlast: ${show(last)}\n${controllerLogTail(15, name)}`)
    await sleep(400)
  }
}

// ------------------------------------------------------------------ evidence for the report

function note(text: string): void {
  try {
    appendFileSync(SUMMARY_FILE, `${text}\n`)
  } catch {
    // the summary is a convenience; never fail a test on it
  }
}

const rows: string[] = []

/** Print the abridged Application state (and keep it for the tier's closing summary). */
export function record(scenario: string, label: string, app: any): void {
  const line = `[${scenario}] ${label.padEnd(26)} ${show(app)}`
  rows.push(line)
  console.log(`      ${line}`)
  note(`- ${line}`)
}

/** A line of evidence that is not an Application state (e.g. "the app is gone"). */
export function recordText(scenario: string, label: string, text: string): void {
  const line = `[${scenario}] ${label.padEnd(26)} ${text}`
  rows.push(line)
  console.log(`      ${line}`)
  note(`- ${line}`)
}

/** Run `kubectl argo-doctor …`, print the command, exit code and the lines that matter; the full output goes to the summary file. */
export async function run(scenario: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = Date.now()
  const r = await doctor(args, env)
  const secs = ((Date.now() - started) / 1000).toFixed(1)
  const envText = Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')
  const head = `[${scenario}] $ ${envText}kubectl argo-doctor ${args.join(' ')}  → exit ${r.exitCode} (${secs}s)`
  rows.push(head)
  console.log(`      ${head}`)
  const keep = (line: string) => /^(✔|✖|Applied:|Error:|warning:|Warning:|Not applied|The graceful|\[\d+\] |\d+ findings?:|Fix:|\$ )/.test(line) || /— (refused|nothing to do)/.test(line)
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim())) if (keep(line)) console.log(`        ${line}`)
  note(`\n#### ${head}\n\`\`\`\n${r.stdout}${r.stderr ? `\n--- stderr\n${r.stderr}` : ''}\n\`\`\``)
  return r
}

export function heading(scenario: string, text: string): void {
  note(`\n## ${scenario}: ${text}\n`)
}

/** The tier's closing summary: every state and command, in order (only under mocha: the --yes benchmark imports these helpers too). */
if (typeof after === 'function') after(function () {
  if (rows.length === 0) return
  console.log(`\n  argocd tier summary (full outputs: ${SUMMARY_FILE})`)
  for (const row of rows) console.log(`    ${row}`)
})

/**
 * A PreSync hook Job whose pod never finishes, on an auto-synced app: the real controller then waits
 * "for completion of hook batch/Job/<hook>" for ever. Returns the stuck Application.
 */
export async function reproduceHangingHook(app: string, ns: string, hook: string, project?: string): Promise<any> {
  const waiting = `waiting for completion of hook batch/Job/${hook}`
  const sha = await gitPut(`apps/${ns}`, {'config.yaml': configMap('app-config'), [`${hook}.yaml`]: hookJob(hook)})
  await createApp(app, {project, path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true']}})
  await waitForObject(['job', hook, '-n', ns])
  await startJob(ns, hook) // the job controller started its pod; it hangs
  return waitForApp(app, waiting, (a) => a.status?.operationState?.phase === 'Running' && a.status.operationState.message === waiting)
}

/** An AppProject that allows everything (like the tier's default one), with these sync windows. */
export function project(name: string, syncWindows: Array<Record<string, unknown>> = []): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: {name, namespace: NS},
    spec: {
      sourceRepos: ['*'],
      destinations: [{server: '*', namespace: '*'}],
      clusterResourceWhitelist: [{group: '*', kind: '*'}],
      ...(syncWindows.length ? {syncWindows} : {}),
    },
  }
}

/** What `argocd app sync` writes (no CLI here): the operation, with the old operationState removed in the same patch. */
export async function requestSync(name: string, revision: string, syncOptions: string[] = []): Promise<void> {
  const patch = [
    {op: 'add', path: '/operation', value: {sync: {revision, ...(syncOptions.length ? {syncOptions} : {})}, initiatedBy: {username: 'e2e'}}},
  ]
  const app = await getApp(name)
  if (app.status?.operationState) patch.push({op: 'remove', path: '/status/operationState'} as any)
  await kubectl(['patch', 'applications.argoproj.io', name, '-n', NS, '--type', 'json', '-p', JSON.stringify(patch)])
}
