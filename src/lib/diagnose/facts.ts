/**
 * Every fact of an Application that is not green, enumerated from its status alone. Pure.
 * The coverage pass (coverage.ts) checks each one against the findings' evidence: a fact no
 * specific finding quotes gets a generic finding, so explain is never blind to a non-green state.
 */
import {awaitsPrune, secondsSince, type Application, type ResourceResult, type ResourceStatus} from '../app.js'
import {ARGOCD_FACTS} from '../argocd-facts.js'
import {operationFacts, type OperationFacts} from '../operation.js'
import type {Evidence, Severity} from './types.js'
import {resourceId} from './util.js'

export type FactKind = 'app-sync' | 'app-health' | 'operation' | 'condition' | 'resource-health' | 'resource-sync' | 'requires-pruning' | 'sync-result'

export interface NonGreenFact {
  kind: FactKind
  /** The field quoted as evidence, e.g. `status.resources[3].health.status`. */
  path: string
  value: Evidence['value']
  /** The state in Argo CD's words: Degraded, OutOfSync, SyncFailed, Failed, a condition type … */
  state: string
  /** Evidence at any of these paths quotes this fact. */
  coveredBy: string[]
  /** The finding that quotes it must be at least this severe (Degraded, failed hooks: warning). */
  minSeverity: Severity
  /** The message that goes with the state, when the object has one. */
  message?: string
  /** Where the message lives, for evidence. */
  messagePath?: string
  /** "Deployment.apps shop/web", for resource facts. */
  resource?: string
  /** The note on the quoted field, when it is not `resource` (see appTreeHealthFacts). */
  evidenceNote?: string
  /** The status.resources / syncResult.resources entry. */
  entry?: ResourceStatus | ResourceResult
  index?: number
}

const UNHEALTHY = new Set(['Degraded', 'Missing', 'Unknown', 'Suspended'])
const HEALTH_SEVERITY: Record<string, Severity> = {Degraded: 'warning', Missing: 'warning', Unknown: 'warning', Suspended: 'info', Progressing: 'info'}

/** A resource Progressing this long after the last sync finished (or while a sync runs this long) is not just rolling out. */
export const PROGRESSING_THRESHOLD = ARGOCD_FACTS.orphanPhase

/** Is the app's Progressing state past the point where a rollout should have finished? */
function progressingTooLong(app: Application, facts: OperationFacts, now: Date): boolean {
  if (facts.inProgress) return facts.ageSeconds !== undefined && facts.ageSeconds >= ARGOCD_FACTS.longOperation
  const finished = secondsSince(app.status?.operationState?.finishedAt, now)
  return finished !== undefined && finished >= PROGRESSING_THRESHOLD
}

/** A sync is running and is younger than the point where explain calls it long-running. */
function youngSync(facts: OperationFacts): boolean {
  return facts.inProgress && facts.ageSeconds !== undefined && facts.ageSeconds < ARGOCD_FACTS.longOperation
}

function isHook(r: ResourceResult): boolean {
  return Boolean(r.hookType) || Boolean(r.hookPhase && !r.status)
}

/** The non-green facts of `app`, in status order. `facts` are the operation facts diagnosis already computed. */
export function nonGreenFacts(app: Application, facts: OperationFacts, now: Date): NonGreenFact[] {
  const out: NonGreenFact[] = []
  const status = app.status ?? {}
  const sync = status.sync?.status
  if (sync && sync !== 'Synced') {
    out.push({kind: 'app-sync', path: 'status.sync.status', value: sync, state: sync, coveredBy: ['status.sync.status'], minSeverity: 'info'})
  }

  const health = status.health?.status
  if (health && health !== 'Healthy' && (health !== 'Progressing' || progressingTooLong(app, facts, now))) {
    out.push({
      kind: 'app-health', path: 'status.health.status', value: health, state: health, coveredBy: ['status.health.status'],
      // Missing while a young sync runs: it has not created the resources yet (from v3.4 an app is Missing when none exists).
      minSeverity: health === 'Missing' && youngSync(facts) ? 'info' : HEALTH_SEVERITY[health] ?? 'warning',
      message: status.health?.message, messagePath: status.health?.message ? 'status.health.message' : undefined,
    })
  }

  const op = status.operationState
  const phase = op?.phase
  const longRunning = phase === 'Running' && facts.inProgress && (facts.ageUnknown || (facts.ageSeconds !== undefined && facts.ageSeconds >= ARGOCD_FACTS.longOperation))
  if (phase === 'Failed' || phase === 'Error' || phase === 'Terminating' || longRunning) {
    out.push({
      kind: 'operation', path: 'status.operationState.phase', value: phase, state: phase, coveredBy: ['status.operationState.phase'],
      minSeverity: phase === 'Failed' || phase === 'Error' ? 'info' : 'warning', message: op?.message, messagePath: op?.message ? 'status.operationState.message' : undefined,
    })
  }

  const conditions = Array.isArray(status.conditions) ? status.conditions : []
  conditions.forEach((c, i) => {
    if (!c) return
    out.push({
      kind: 'condition', path: `status.conditions[${i}].type`, value: c.type ?? null, state: String(c.type ?? 'condition'),
      coveredBy: [`status.conditions[${i}].type`, `status.conditions[${i}].message`], minSeverity: 'info', message: c.message, messagePath: `status.conditions[${i}].message`, index: i,
    })
  })

  const resources = Array.isArray(status.resources) ? status.resources : []
  const progressingLong = progressingTooLong(app, facts, now)
  resources.forEach((r, i) => {
    if (!r) return
    const h = r.health?.status
    if (h && (UNHEALTHY.has(h) || (h === 'Progressing' && progressingLong))) {
      out.push({
        kind: 'resource-health', path: `status.resources[${i}].health.status`, value: h, state: h,
        coveredBy: [`status.resources[${i}].health.status`, `status.resources[${i}].health.message`], minSeverity: HEALTH_SEVERITY[h] ?? 'warning',
        message: r.health?.message, messagePath: r.health?.message ? `status.resources[${i}].health.message` : undefined, resource: resourceId(r), entry: r, index: i,
      })
    }

    if (awaitsPrune(r)) {
      out.push({
        kind: 'requires-pruning', path: `status.resources[${i}].requiresPruning`, value: true, state: 'requiresPruning',
        coveredBy: [`status.resources[${i}].requiresPruning`, `status.resources[${i}].status`], minSeverity: 'info', resource: resourceId(r), entry: r, index: i,
      })
    } else if (r.status === 'OutOfSync') {
      out.push({
        kind: 'resource-sync', path: `status.resources[${i}].status`, value: 'OutOfSync', state: 'OutOfSync',
        coveredBy: [`status.resources[${i}].status`], minSeverity: 'info', resource: resourceId(r), entry: r, index: i,
      })
    }
  })

  const results = Array.isArray(op?.syncResult?.resources) ? op!.syncResult!.resources! : []
  results.forEach((r, i) => {
    if (!r) return
    const base = `status.operationState.syncResult.resources[${i}]`
    const hookFailed = isHook(r) && (r.hookPhase === 'Failed' || r.hookPhase === 'Error')
    if (!hookFailed && r.status !== 'SyncFailed' && r.status !== 'PruneSkipped') return
    const state = hookFailed ? `hook ${r.hookPhase}` : r.status!
    out.push({
      kind: 'sync-result', path: hookFailed ? `${base}.hookPhase` : `${base}.status`, value: hookFailed ? r.hookPhase! : r.status!, state,
      coveredBy: [`${base}.status`, `${base}.message`, `${base}.hookPhase`], minSeverity: hookFailed ? 'warning' : 'info',
      message: r.message, messagePath: r.message ? `${base}.message` : undefined, resource: resourceId(r), entry: r, index: i,
    })
  })

  return out
}

/**
 * The operation facts as of `now`. When `now` is only a lower bound on when a file was saved (the
 * newest timestamp in it), an age measured from that very timestamp is unknown, not zero.
 */
export function operationFactsAsOf(app: Application, now: Date, lowerBound: boolean): OperationFacts {
  const facts = operationFacts(app, now)
  if (lowerBound && facts.inProgress && facts.ageSeconds === 0) return {...facts, ageSeconds: undefined, ageUnknown: true}
  return facts
}

/**
 * Argo CD 3.x keeps resource health in the app tree, not in status.resources, unless
 * controller.resource.health.persist is true (status.resourceHealthSource: appTree): an unhealthy
 * app then names no unhealthy resource. One fact per resource whose live objects (read by
 * explain: health-evidence.ts) say why, quoting the app's own health.
 */
export function appTreeHealthFacts(app: Application, hasLiveCause: (r: ResourceStatus) => boolean): NonGreenFact[] {
  const status = app.status ?? {}
  const health = status.health?.status
  if (status.resourceHealthSource !== 'appTree' || !health || health === 'Healthy') return []
  const resources = Array.isArray(status.resources) ? status.resources : []
  return resources.flatMap((r, i) => (r && !r.health?.status && !r.hook && hasLiveCause(r)
    ? [{
      kind: 'resource-health' as const, path: 'status.health.status', value: health, state: health, coveredBy: ['status.health.status'],
      minSeverity: HEALTH_SEVERITY[health] ?? 'warning', resource: resourceId(r), entry: r, index: i,
      evidenceNote: `the app's health; ${resourceId(r)}'s own is kept in the app tree (status.resourceHealthSource: appTree), so its live objects were read`,
    }]
    : []))
}

