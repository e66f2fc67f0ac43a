import {expect} from 'chai'
import type {Application, ResourceResult, ResourceStatus} from '../../../src/lib/app.js'
import {SEVERITY_RANK, type Finding, type Severity} from '../../../src/lib/diagnose/index.js'
import {explainSingle, singleExitCode} from '../../../src/lib/explain.js'

/**
 * The never-blind invariant, on generated Application states: every field that is not green is
 * quoted by some finding (at least as severe as the state asks), no evidence contradicts the
 * object, and a non-green app never exits 0. The generator is a seeded PRNG: the same states on
 * every run, and a failure names the state that broke it.
 */

function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const NOW = new Date('2026-03-01T12:00:00Z')
const ago = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z')

const KINDS: Array<[string, string]> = [
  ['apps', 'Deployment'], ['', 'Service'], ['batch', 'Job'], ['batch', 'CronJob'], ['', 'ConfigMap'], ['argoproj.io', 'Rollout'],
  ['example.com', 'Widget'], ['apps', 'StatefulSet'], ['networking.k8s.io', 'Ingress'], ['', 'PersistentVolumeClaim'], ['', 'Secret'],
  ['argoproj.io', 'Application'], ['autoscaling', 'HorizontalPodAutoscaler'], ['apiregistration.k8s.io', 'APIService'], ['external-secrets.io', 'ExternalSecret'],
]
const HEALTH = ['Healthy', 'Progressing', 'Degraded', 'Missing', 'Unknown', 'Suspended', undefined]
const MESSAGES = [
  'Deployment "web" exceeded its progress deadline',
  '<string>:4: attempt to index a non-table object(nil) with key \'replicas\'',
  'Job has reached the specified backoff limit',
  'one or more objects failed to apply, reason: Deployment.apps "web" is invalid: spec.selector: Invalid value: field is immutable',
  'the server could not find the requested resource',
  'waiting for healthy state of apps/Deployment/web',
  'waiting for completion of hook batch/Job/db-migrate',
  'Retrying attempt #3 at 10:00PM: one or more synchronization tasks completed unsuccessfully',
  'rpc error: code = Unknown desc = Manifest generation error (cached): `helm template .` failed exit status 1',
  'namespaces "payments" not found',
  'something nobody has seen before',
  'Failed last sync attempt to abc123: one or more synchronization tasks completed unsuccessfully (retried 5 times).',
  'ConfigMap/shared is part of applications argocd/a and b',
  'pruned',
  '',
]
const CONDITIONS = ['ComparisonError', 'SyncError', 'OrphanedResourceWarning', 'SharedResourceWarning', 'InvalidSpecError', 'ExcludedResourceWarning', 'RepeatedResourceWarning', 'UnknownError', 'OperationError']

function generate(seed: number): Application {
  const r = prng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
  const maybe = (p = 0.5) => r() < p
  const message = () => pick(MESSAGES) || undefined
  const resources: ResourceStatus[] = []
  const names = ['web', 'api', 'db-migrate', 'shop', 'data-0', 'checkout']
  for (let i = 0, n = Math.floor(r() * 7); i < n; i++) {
    const [group, kind] = pick(KINDS)
    const health = pick(HEALTH)
    const res: ResourceStatus = {kind, name: pick(names) + (maybe(0.3) ? `-${i}` : ''), namespace: maybe(0.9) ? pick(['shop', 'argocd', 'payments']) : undefined, status: pick(['Synced', 'OutOfSync', 'Unknown', undefined])}
    if (group) res.group = group
    res.version = group === 'example.com' ? 'v1alpha1' : 'v1'
    if (health) res.health = {status: health, ...(maybe() ? {message: message()} : {})}
    if (maybe(0.15)) res.requiresPruning = true
    if (maybe(0.1)) res.hook = true
    resources.push(res)
  }

  const phase = pick(['Running', 'Terminating', 'Succeeded', 'Failed', 'Error', undefined])
  const results: ResourceResult[] = []
  for (let i = 0, n = phase ? Math.floor(r() * 4) : 0; i < n; i++) {
    const [group, kind] = pick(KINDS)
    const hook = maybe(0.4)
    results.push({
      group, version: 'v1', kind, name: pick(names), namespace: 'shop', message: message(),
      ...(hook ? {hookType: pick(['PreSync', 'Sync', 'PostSync', 'SyncFail']), hookPhase: pick(['Running', 'Succeeded', 'Failed', 'Error', 'Terminating'])} : {status: pick(['Synced', 'SyncFailed', 'PruneSkipped', 'Pruned'])}),
    })
  }

  const conditions = []
  for (let i = 0, n = maybe(0.6) ? Math.floor(r() * 3) : 0; i < n; i++) conditions.push({type: pick(CONDITIONS), message: message() ?? 'x', ...(maybe() ? {lastTransitionTime: ago(Math.floor(r() * 50_000))} : {})})
  const app: Application = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {name: pick(['shop', 'payments', 'root']), namespace: 'argocd', resourceVersion: String(seed)},
    spec: {
      project: pick(['default', 'team-a']),
      source: {repoURL: 'https://example.com/repo.git', path: pick(['apps/shop', 'charts/x']), targetRevision: 'main'},
      destination: {server: 'https://kubernetes.default.svc', namespace: pick(['shop', 'argocd'])},
      ...(maybe() ? {syncPolicy: {automated: {prune: maybe(), selfHeal: maybe()}, ...(maybe(0.2) ? {syncOptions: ['Prune=confirm']} : {})}} : {}),
    },
    status: {
      reconciledAt: maybe(0.9) ? ago(Math.floor(r() * 2000)) : undefined,
      sync: maybe(0.95) ? {status: pick(['Synced', 'Synced', 'OutOfSync', 'Unknown']), revision: 'abc123'} : undefined,
      health: maybe(0.95) ? {status: pick(['Healthy', 'Healthy', ...HEALTH.filter(Boolean) as string[]]), ...(maybe(0.3) ? {message: message()} : {})} : undefined,
      resources,
      ...(conditions.length ? {conditions} : {}),
      ...(maybe(0.3) ? {history: [{revision: 'aaa111', deployedAt: ago(90_000), id: 1}, {revision: 'bbb222', deployedAt: ago(4000), id: 2}]} : {}),
    },
  }
  if (phase) {
    app.status!.operationState = {
      phase, message: message(), ...(maybe(0.85) ? {startedAt: ago(Math.floor(r() * 20_000))} : {}),
      ...(phase !== 'Running' && phase !== 'Terminating' && maybe(0.8) ? {finishedAt: ago(Math.floor(r() * 10_000))} : {}),
      operation: {sync: {revision: 'abc123'}}, ...(results.length ? {syncResult: {resources: results, revision: 'abc123'}} : {}),
    }
    if (maybe(0.5)) app.operation = {sync: {revision: 'abc123'}, initiatedBy: maybe() ? {username: 'alice'} : {automated: true}}
  }

  if (maybe(0.05)) app.metadata.deletionTimestamp = ago(Math.floor(r() * 5000))
  if (maybe(0.1)) app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
  return app
}

interface Required {
  paths: string[]
  min: Severity
  what: string
}

const UNHEALTHY = new Set(['Degraded', 'Missing', 'Unknown', 'Suspended'])

/** The non-green fields, written down from the rule itself (not from the code under test). */
function requiredFields(app: Application): Required[] {
  const out: Required[] = []
  const s = app.status ?? {}
  if (s.sync?.status && s.sync.status !== 'Synced') out.push({paths: ['status.sync.status'], min: 'info', what: `sync ${s.sync.status}`})
  // Missing while a sync younger than 30 min runs: the sync has not created the resources yet.
  const youngSync = (Boolean(app.operation) || s.operationState?.phase === 'Running' || s.operationState?.phase === 'Terminating') && s.operationState?.startedAt !== undefined && NOW.getTime() - Date.parse(s.operationState.startedAt) < 1_800_000
  if (s.health?.status && s.health.status !== 'Healthy' && s.health.status !== 'Progressing') out.push({paths: ['status.health.status'], min: s.health.status === 'Suspended' || (s.health.status === 'Missing' && youngSync) ? 'info' : 'warning', what: `health ${s.health.status}`})
  const op = s.operationState
  const started = op?.startedAt ? (NOW.getTime() - Date.parse(op.startedAt)) / 1000 : undefined
  if (op?.phase === 'Failed' || op?.phase === 'Error' || op?.phase === 'Terminating' || (op?.phase === 'Running' && (started === undefined || started >= 1800))) {
    out.push({paths: ['status.operationState.phase'], min: 'info', what: `operation ${op.phase}`})
  }

  ;(s.conditions ?? []).forEach((c, i) => out.push({paths: [`status.conditions[${i}].type`, `status.conditions[${i}].message`], min: 'info', what: `condition ${c.type}`}))
  ;(s.resources ?? []).forEach((r, i) => {
    if (UNHEALTHY.has(r.health?.status ?? '')) {
      out.push({paths: [`status.resources[${i}].health.status`, `status.resources[${i}].health.message`], min: r.health!.status === 'Suspended' ? 'info' : 'warning', what: `${r.kind} ${r.name} ${r.health!.status}`})
    }

    if (r.status === 'OutOfSync' || (r.requiresPruning && !r.hook)) out.push({paths: [`status.resources[${i}].status`, `status.resources[${i}].requiresPruning`], min: 'info', what: `${r.kind} ${r.name} OutOfSync`})
  })
  ;(op?.syncResult?.resources ?? []).forEach((r, i) => {
    const base = `status.operationState.syncResult.resources[${i}]`
    const hookFailed = r.hookType && (r.hookPhase === 'Failed' || r.hookPhase === 'Error')
    if (hookFailed || r.status === 'SyncFailed' || r.status === 'PruneSkipped') {
      out.push({paths: [`${base}.status`, `${base}.message`, `${base}.hookPhase`], min: hookFailed ? 'warning' : 'info', what: `${r.kind} ${r.name} ${r.hookPhase ?? r.status}`})
    }
  })
  return out
}

/** The value at a path like `status.resources[3].health.status`; undefined when absent; NaN-like marker when the path is not a plain field path. */
const NOT_A_PATH = Symbol('not a path')
function valueAt(obj: unknown, path: string): unknown {
  if (!/^(?:status|spec|metadata|operation)(?:\.[A-Za-z]+|\[\d+\])*$/.test(path)) return NOT_A_PATH
  let cur: any = obj
  for (const seg of path.match(/[A-Za-z]+|\[\d+\]/g)!) {
    if (cur === undefined || cur === null) return undefined
    cur = seg.startsWith('[') ? cur[Number(seg.slice(1, -1))] : cur[seg]
  }

  return cur
}

function contradictions(app: Application, findings: Finding[]): string[] {
  const out: string[] = []
  for (const f of findings) {
    for (const e of f.evidence) {
      const actual = valueAt(app, e.path)
      if (actual === NOT_A_PATH || (actual !== null && typeof actual === 'object')) continue
      if (actual === undefined ? e.value !== null : actual !== e.value) out.push(`${f.id}: ${e.path} quoted as ${JSON.stringify(e.value)}, is ${JSON.stringify(actual)}`)
    }

    if (/Running for 0s|for 0s\b/.test(`${f.title} ${f.explanation}`)) out.push(`${f.id}: claims an age of 0s`)
  }

  return out
}

describe('explain is never blind (generated states)', () => {
  const STATES = 600

  it(`quotes every non-green field of ${STATES} generated Applications, at the severity the state asks, without contradicting them`, async () => {
    let nonGreen = 0
    let generic = 0
    for (let seed = 1; seed <= STATES; seed++) {
      const app = generate(seed)
      const report = await explainSingle(structuredClone(app), NOW, {bin: 'argo-doctor'})
      const {findings} = report
      const where = () => `state #${seed}: ${JSON.stringify(app.status)}\nfindings: ${JSON.stringify(findings.map((f) => [f.id, f.severity, f.evidence.map((e) => e.path)]))}`
      const required = requiredFields(app)
      for (const req of required) {
        const quoted = findings.filter((f) => f.evidence.some((e) => req.paths.includes(e.path)))
        expect(quoted, `${req.what} (${req.paths[0]}) is quoted by no finding\n${where()}`).to.have.length.greaterThan(0)
        expect(quoted.some((f) => SEVERITY_RANK[f.severity] <= SEVERITY_RANK[req.min]), `${req.what} is only quoted below ${req.min}\n${where()}`).to.equal(true)
      }

      expect(contradictions(app, findings), where()).to.deep.equal([])
      if (required.length > 0) {
        nonGreen++
        expect(findings, where()).to.have.length.greaterThan(0)
        expect(singleExitCode(report), where()).to.equal(20)
      }

      if (findings.some((f) => /^(resource-|hook-failed|resources-|app-|prune-skipped|operation-(failed|error|running|terminating))/.test(f.id))) generic++
    }

    // The generator must exercise both sides: most states are non-green, and the generic pass is reached.
    expect(nonGreen).to.be.greaterThan(STATES / 2)
    expect(generic).to.be.greaterThan(STATES / 10)
  })

  it('a green app has no findings and exits 0', async () => {
    const app = generate(1)
    app.status = {sync: {status: 'Synced'}, health: {status: 'Healthy'}, reconciledAt: ago(30), resources: [{group: 'apps', version: 'v1', kind: 'Deployment', name: 'web', namespace: 'shop', status: 'Synced', health: {status: 'Healthy'}}]}
    delete app.operation
    const report = await explainSingle(app, NOW, {bin: 'argo-doctor'})
    expect(report.findings).to.deep.equal([])
    expect(singleExitCode(report)).to.equal(0)
  })
})
