import {awaitsPrune, COMPLETED_PHASES, refOf, type Application, type Operation, type ResourceStatus} from '../app.js'
import {DoctorError} from '../errors.js'
import {operationFacts} from '../operation.js'
import {describeGuards, resourceVersionGuard, type JsonPatchOp, type NoChange, type Outcome} from '../plan.js'
import {describeWindow, evaluateSyncWindows, type SyncWindow} from '../sync-windows.js'
import {ourCommand, type CommandSpelling} from '../invocation.js'
import type {Related} from '../diagnose/types.js'

export interface ForcePresyncOptions {
  now: Date
  /** Who asks: the kubeconfig user, else $USER (see initiatorName). */
  user: string
  /** Delete resources that are no longer in Git (off by default, like `argocd app sync`). */
  prune: boolean
  /** Sync to this revision instead of the spec's target revision. */
  revision?: string
  /** Free text recorded in operation.info as "Reason". */
  reason?: string
  /** The user's --kubeconfig/--context, repeated in the commands hints suggest. */
  conn?: CommandSpelling
  /** The AppProject's spec.syncWindows; undefined when the project could not be read. */
  syncWindows?: SyncWindow[]
  /** Why sync windows were not checked (offline, 403, …); shown as a note. */
  syncWindowsUnchecked?: string
}

/** The sync-window inputs of the recipe, from the AppProject as read (or not) by AppSource.readRelated. */
export function syncWindowInputs(project: Related['project'], want: {namespace: string; name: string}): Pick<ForcePresyncOptions, 'syncWindows' | 'syncWindowsUnchecked'> {
  if (project?.status === 'found') return {syncWindows: project.value.syncWindows as SyncWindow[]}
  const reason = project?.status === 'unreadable' ? project.reason : project?.status === 'missing' ? 'it does not exist' : 'not read'
  if (reason.startsWith('offline')) return {syncWindowsUnchecked: reason}
  return {syncWindowsUnchecked: `could not read AppProject "${want.name}" in namespace "${want.namespace}" (${reason})`}
}

/** How argo-doctor signs operations: the user, marked as coming from argo-doctor. */
export function initiatorName(user: string | undefined): string {
  return `${user?.trim() || 'unknown'} (via argo-doctor)`
}

const firstNonEmpty = (...values: Array<string | undefined>) => values.find((v) => v !== undefined && v !== '') ?? ''

function automatedSyncEnabled(app: Application): boolean {
  const automated = app.spec.syncPolicy?.automated as {enabled?: boolean} | undefined
  return automated !== undefined && automated !== null && automated.enabled !== false
}

export function resourceName(r: Pick<ResourceStatus, 'group' | 'kind' | 'name' | 'namespace'>): string {
  return `${r.group ? `${r.group}/` : ''}${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`
}

/** The `operation` `argocd app sync APP` writes (server side), minus what needs the repo-server. */
export function buildSyncOperation(app: Application, opts: Pick<ForcePresyncOptions, 'user' | 'prune' | 'revision' | 'reason'>): Operation {
  const policy = app.spec.syncPolicy
  const sync: NonNullable<Operation['sync']> = {}
  if (opts.revision) sync.revision = opts.revision
  if (opts.prune) sync.prune = true
  if (policy?.syncOptions?.length) sync.syncOptions = [...policy.syncOptions]
  // The hook strategy runs PreSync/Sync/PostSync hooks; `resources` stays unset because a
  // selective sync skips hooks.
  sync.syncStrategy = {hook: {}}
  const operation: Operation = {
    initiatedBy: {username: initiatorName(opts.user)},
    info: [
      ...(opts.reason ? [{name: 'Reason', value: opts.reason}] : []),
      {name: 'Initiated by', value: 'argo-doctor force-presync'},
    ],
  }
  if (policy?.retry && Object.keys(policy.retry).length > 0) operation.retry = structuredClone(policy.retry)
  operation.sync = sync
  return operation
}

/** Warnings and notes about the AppProject's sync windows for a sync started now (shared by every verb that starts one). */
export function syncWindowAdvice(app: Application, opts: Pick<ForcePresyncOptions, 'now' | 'syncWindows' | 'syncWindowsUnchecked'>, warnings: string[], notes: string[]): void {
  const {name} = app.metadata
  const target = refOf(app)
  if (opts.syncWindows === undefined) {
    notes.push(`Sync windows were not checked${opts.syncWindowsUnchecked ? `: ${opts.syncWindowsUnchecked}` : ''}.`)
  } else {
    const verdict = evaluateSyncWindows(opts.syncWindows, app, opts.now)
    if (!verdict.canSync) {
      warnings.push(`A sync window of project "${app.spec.project ?? 'default'}" blocks this sync now: ${verdict.reason}. ` +
        `The operation will wait in phase Running ("Sync operation blocked by sync window")${verdict.nextOpen ? ` until ${verdict.nextOpen.toISOString()}` : ' until the window allows it'}, and blocks other syncs meanwhile; cancel it with argo-doctor unstick ${name} -n ${target.namespace}.`)
    } else if (verdict.reason) {
      notes.push(`Sync windows: ${verdict.reason}.`)
    } else if (verdict.matching.length > 0) {
      notes.push(`Sync windows: allowed now (${verdict.matching.map((m) => `${describeWindow(m.window)}: ${m.active ? 'open' : 'closed'}`).join('; ')}).`)
    }
  }
}

const WHY =
  'PreSync, Sync and PostSync hooks run only inside a sync *operation*. Auto-sync starts one only when the app is OutOfSync, so a hook that was added or fixed while the app stayed Synced (for example a db-init PreSync Job added to an app that was already Synced) never runs. ' +
  'This writes the operation `argocd app sync` would: the hook sync strategy, no `resources` (a selective sync skips hooks), the app\'s syncOptions and retry copied from spec.syncPolicy, and who asked. ' +
  'The common manual recipe `kubectl patch app --type merge -p \'{"operation":{"sync":{}}}\'` drops the syncOptions (CreateNamespace, ServerSideApply, …) and the retry policy and records no initiator.'

/**
 * Why no new sync may start now (the app is deleting, an operation is set, or the last one is
 * still in progress), as a refusal naming the next step; undefined when a sync may start.
 */
export function syncBlocker(app: Application, recipe: string, opts: {now: Date; conn?: CommandSpelling}): NoChange | undefined {
  const facts = operationFacts(app, opts.now)
  const target = refOf(app)
  const name = app.metadata.name
  const unstickHint = `Clear it first: ${ourCommand(['unstick', name, '-n', target.namespace], opts.conn)}`
  const refuse = (reason: string, hint?: string): NoChange => ({kind: 'refused', recipe, target, reason, hint, notes: []})

  if (app.metadata.deletionTimestamp) {
    return refuse(`${name} is being deleted (deletionTimestamp ${app.metadata.deletionTimestamp}); Argo CD refuses to sync an application that is deleting.`,
      `If the deletion is stuck, see: ${ourCommand(['explain', name, '-n', target.namespace], opts.conn)}`)
  }

  if (facts.operationSet) {
    const state = facts.phase ? ` (status.operationState.phase: ${facts.phase}${facts.message ? `, "${facts.message}"` : ''})` : ''
    const leftover = facts.phase && COMPLETED_PHASES.has(facts.phase)
      ? ' The phase is complete, so this is a leftover `operation` that blocks every sync.'
      : ''
    return refuse(`Another operation is already in progress on ${name}: top-level \`operation\` is set${state}.${leftover} argocd app sync refuses the same way ("another operation is already in progress").`, unstickHint)
  }

  if (facts.inProgress) {
    return refuse(`The last sync of ${name} is still ${facts.phase} (status.operationState) although no operation is requested: it is stuck, and a new operation would resume it instead of starting over.`, unstickHint)
  }

  return undefined
}

/** Decide how to start a full sync (hooks included). Pure: the caller reads the project and the user. */
export function buildForcePresyncPlan(app: Application, opts: ForcePresyncOptions): Outcome {
  const facts = operationFacts(app, opts.now)
  const target = refOf(app)
  const name = app.metadata.name
  const refuse = (reason: string, hint?: string): NoChange => ({kind: 'refused', recipe: 'force-presync', target, reason, hint, notes: []})

  const blocked = syncBlocker(app, 'force-presync', opts)
  if (blocked) return blocked

  if (opts.revision && app.spec.sources?.length) {
    throw new DoctorError('USAGE', `${name} has ${app.spec.sources.length} sources; --revision applies to single-source apps only.`, 'Leave --revision out to sync every source to its targetRevision.')
  }

  const targetRevision = firstNonEmpty(app.spec.source?.targetRevision, 'HEAD')
  if (opts.revision && opts.revision !== targetRevision && automatedSyncEnabled(app)) {
    return refuse(`Cannot sync to ${opts.revision}: auto-sync currently set to ${targetRevision} (${name} has spec.syncPolicy.automated, and auto-sync would move it back).`,
      'Leave --revision out, or disable auto-sync first.')
  }

  const operation = buildSyncOperation(app, opts)
  const patch: JsonPatchOp[] = [...resourceVersionGuard(app)]
  const state = app.status?.operationState
  if (state) {
    // Same as argocd app sync (SetAppOperation sets operationState to nil): without this, the
    // old result would look like the outcome of the new sync.
    if (facts.phase !== undefined) patch.push({op: 'test', path: '/status/operationState/phase', value: facts.phase})
    patch.push({op: 'remove', path: '/status/operationState'})
  }

  patch.push({op: 'add', path: '/operation', value: operation})

  const warnings: string[] = []
  const notes: string[] = []
  const pruning = (app.status?.resources ?? []).filter(awaitsPrune)
  if (opts.prune) {
    if (pruning.length > 0) warnings.push(`--prune: this sync DELETES ${pruning.length} resource(s) that are no longer in Git: ${pruning.map((r) => resourceName(r)).join(', ')}.`)
    else notes.push('--prune: no resource is marked requiresPruning right now, so nothing is expected to be deleted.')
  } else if (pruning.length > 0) {
    notes.push(`${pruning.length} resource(s) are no longer in Git and will be left alone (pass --prune to delete them): ${pruning.map((r) => resourceName(r)).join(', ')}.`)
  }

  syncWindowAdvice(app, opts, warnings, notes)

  if (facts.phase && COMPLETED_PHASES.has(facts.phase)) {
    notes.push(`The previous result (phase ${facts.phase}${state?.finishedAt ? `, finished ${state.finishedAt}` : ''}) is removed in the same write, exactly as argocd app sync does (successful syncs remain listed in status.history).`)
  }

  const revision = opts.revision ? `revision ${opts.revision}` : `${app.spec.sources?.length ? 'each source\'s' : 'the'} target revision (${app.spec.sources?.length ? app.spec.sources.map((s) => firstNonEmpty(s.targetRevision, 'HEAD')).join(', ') : targetRevision})`
  return {
    kind: 'plan',
    recipe: 'force-presync',
    action: 'sync',
    target,
    summary: `Start a full sync of ${name} with hooks (PreSync → Sync → PostSync) to ${revision}${opts.prune ? ', pruning' : ''}, as \`argocd app sync\` would.`,
    why: WHY,
    patch,
    guards: describeGuards(patch),
    warnings,
    notes,
    verify: {kind: 'operation', description: 'following the sync operation'},
  }
}
