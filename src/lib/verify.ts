import {COMPLETED_PHASES, IN_PROGRESS_PHASES, REFRESH_ANNOTATION, type Application} from './app.js'
import type {Verify} from './plan.js'
import {PRUNE_WAIT, resourceKeyId, resourceLabel} from './deletion.js'

/** Pure helpers the pipeline uses to wait for and judge a change. */

export interface VerifyOutcome {
  status: 'ok' | 'failed' | 'timeout' | 'not-waited' | 'deleted' | 'unverified'
  message: string
  /** unverified: why the result could not be read (the change was applied). */
  error?: {code: string; message: string}
  phase?: string
  syncStatus?: string
  healthStatus?: string
  reconciledAt?: string
  hooks?: Array<{kind: string; name: string; hookType?: string; hookPhase?: string; message?: string}>
  /** reconcile with expectSynced: the resources still OutOfSync after the reconcile. */
  outOfSync?: string[]
}

export function isDone(verify: Verify, app: Application, written: Application): boolean {
  switch (verify.kind) {
    case 'none':
      return true
    case 'refresh':
      return app.metadata.annotations?.[REFRESH_ANNOTATION] === undefined
    case 'terminate': {
      const phase = app.status?.operationState?.phase
      return phase === undefined || !IN_PROGRESS_PHASES.has(phase)
    }

    case 'operation': {
      const state = app.status?.operationState
      const ended = state?.phase !== undefined && COMPLETED_PHASES.has(state.phase) && app.operation === undefined
      if (!ended || !verify.health || state.phase !== 'Succeeded') return ended
      return healthSettled(app)
    }

    case 'pruned': {
      const state = app.status?.operationState
      if (!app.metadata.deletionTimestamp && (state?.phase === 'Failed' || state?.phase === 'Error')) return true
      // A finished sync is judged once the controller's next comparison dropped the pruned resources.
      if (stillPending(verify, app).length > 0) return false
      return state?.phase === undefined || COMPLETED_PHASES.has(state.phase) || !PRUNE_WAIT.test(state?.message ?? '')
    }

    case 'deleted':
      return false

    case 'reconcile': {
      const before = written.status?.reconciledAt
      const now = app.status?.reconciledAt
      return now !== undefined && now !== before && app.metadata.annotations?.[REFRESH_ANNOTATION] === undefined
    }
  }
}

/**
 * Health the controller computed after the sync finished and that is no longer Progressing. Both
 * times have one-second resolution: a reconcile in the same second as finishedAt may have run
 * before the sync's changes reached the controller's cache, so there only Healthy counts; a bad
 * health must come from a later reconcile (the controller reconciles again when a resource changes).
 * A later reconcile can still read a lagging cache (seen on a loaded controller: a rollback reported
 * the Degraded of the Deployment it had just replaced). So a health other than Healthy counts only
 * once it was reached after the sync started: the controller sets status.health.lastTransitionTime
 * whenever the health changes, and a sync that changes a workload first makes it Progressing. A bad
 * health left over from before the sync keeps the wait going (until --timeout, which then says
 * the sync succeeded and what the health still is).
 */
export function healthSettled(app: Application): boolean {
  const state = app.status?.operationState
  const reconciled = app.status?.reconciledAt
  const health = app.status?.health?.status
  if (state?.finishedAt === undefined || reconciled === undefined || health === undefined || health === 'Progressing') return false
  const after = Date.parse(reconciled) - Date.parse(state.finishedAt)
  if (health === 'Healthy') return after >= 0
  const changed = app.status?.health?.lastTransitionTime
  if (changed !== undefined && state.startedAt !== undefined && Date.parse(changed) < Date.parse(state.startedAt)) return false
  return after > 0
}

const BAD_HEALTH = new Set(['Degraded', 'Missing'])

/** The resources of a `pruned` verify that status.resources still lists as waiting to be deleted. */
export function stillPending(verify: Extract<Verify, {kind: 'pruned'}>, app: Application): string[] {
  const want = new Set(verify.pending)
  return (app.status?.resources ?? [])
    .filter((r) => want.has(resourceKeyId(r)) && (app.metadata.deletionTimestamp ? true : r.requiresPruning))
    .map((r) => resourceLabel(r))
}

/** A verify that succeeds when the Application disappears; undefined when a deletion is not the goal. */
export function judgeDeleted(verify: Verify): VerifyOutcome | undefined {
  if (verify.kind === 'deleted') return {status: 'ok', message: 'The Application is gone: its deletion finished.'}
  if (verify.kind === 'pruned') return {status: 'ok', message: 'The Application is gone: its cascading deletion finished.'}
  return undefined
}

export function hooksOf(app: Application): NonNullable<VerifyOutcome['hooks']> {
  return (app.status?.operationState?.syncResult?.resources ?? [])
    .filter((r) => r.hookType)
    .map((r) => ({kind: r.kind, name: r.name, hookType: r.hookType, hookPhase: r.hookPhase, message: r.message}))
}

/** One line for the spinner. */
export function progressLine(verify: Verify, app: Application): string {
  const state = app.status?.operationState
  if ((verify.kind === 'operation' || verify.kind === 'terminate') && !(verify.kind === 'operation' && verify.health && state?.phase === 'Succeeded')) {
    const hooks = hooksOf(app).map((h) => `${h.hookType} ${h.kind}/${h.name}: ${h.hookPhase ?? '?'}`).join(', ')
    return `${verify.description}: ${state?.phase ?? 'pending'}${state?.message ? ` — ${state.message}` : ''}${hooks ? ` [${hooks}]` : ''}`
  }

  return `${'description' in verify ? verify.description : ''} (sync ${app.status?.sync?.status ?? '?'}, health ${app.status?.health?.status ?? '?'})`
}

export function judge(verify: Verify, app: Application): VerifyOutcome {
  const state = app.status?.operationState
  const base = {
    phase: state?.phase,
    syncStatus: app.status?.sync?.status,
    healthStatus: app.status?.health?.status,
    reconciledAt: app.status?.reconciledAt,
  }
  switch (verify.kind) {
    case 'operation': {
      const ok = state?.phase === 'Succeeded'
      const message = `Sync ${state?.phase ?? 'finished'}${state?.message ? `: ${state.message}` : ''}`
      if (!verify.health || !ok) return {...base, status: ok ? 'ok' : 'failed', hooks: hooksOf(app), message}
      const health = `health ${base.healthStatus ?? '?'}${app.status?.health?.message ? ` (${app.status.health.message})` : ''}`
      return {...base, status: BAD_HEALTH.has(base.healthStatus ?? '') ? 'failed' : 'ok', hooks: hooksOf(app), message: `${message}; ${health}, sync ${base.syncStatus ?? '?'}`}
    }

    case 'pruned': {
      const left = stillPending(verify, app)
      if (left.length > 0) return {...base, status: 'ok', message: `Approved; Argo CD has not deleted ${left.join(', ')} yet (${state?.phase ?? 'no operation'}${state?.message ? `: ${state.message}` : ''})`}
      const failed = state?.phase === 'Failed' || state?.phase === 'Error'
      return {...base, status: failed ? 'failed' : 'ok', hooks: hooksOf(app), message: `Pruned${verify.pending.length > 0 ? ` ${verify.pending.length} resource${verify.pending.length === 1 ? '' : 's'}` : ''}; sync ${state?.phase ?? 'finished'}${state?.message ? `: ${state.message}` : ''}`}
    }

    case 'deleted':
      return {...base, status: 'ok', message: `The Application is still there (finalizers: ${(app.metadata.finalizers ?? []).join(', ') || 'none'})`}
    case 'terminate':
      return {...base, status: 'ok', message: `Operation ended: ${state?.phase ?? 'cleared'}${state?.message ? ` (${state.message})` : ''}`}
    case 'reconcile': {
      const message = `Reconciled at ${base.reconciledAt ?? '?'}: sync ${base.syncStatus ?? '?'}, health ${base.healthStatus ?? '?'}`
      if (!verify.expectSynced || base.syncStatus === 'Synced') return {...base, status: 'ok', message}
      // Still OutOfSync is reported, not failed: the change was applied and the controller acted on it.
      const outOfSync = (app.status?.resources ?? []).filter((r) => r.status === 'OutOfSync')
        .map((r) => `${r.group ? `${r.group}/` : ''}${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`)
      return {...base, status: 'ok', outOfSync, message: `${message}${outOfSync.length > 0 ? ` — still OutOfSync: ${outOfSync.join(', ')}` : ''}`}
    }

    default:
      return {...base, status: 'ok', message: `Refreshed${base.reconciledAt ? ` at ${base.reconciledAt}` : ''}: sync ${base.syncStatus ?? '?'}, health ${base.healthStatus ?? '?'}`}
  }
}
