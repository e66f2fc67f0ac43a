import jsonpatch from 'fast-json-patch'
import {humanDuration, refOf, secondsSince, type Application} from '../app.js'
import {DELETION_APPROVED, findLive, printable, pruneConfirmation, resourceKeyId, resourceLabel, rfc3339, type LiveMeta} from '../deletion.js'
import {ourCommand} from '../invocation.js'
import {describeGuards, resourceVersionGuard, type JsonPatchOp, type NoChange, type Outcome} from '../plan.js'

export interface ApprovePruneOptions {
  /** The approval time; fixed once per run so a re-plan writes the same value. */
  now: Date
  /** What was read of the pending resources' live metadata (cluster source only). */
  live?: readonly LiveMeta[]
}

/** How far ahead of our clock an operation's start may be (clock skew) before approving it is refused. */
export const MAX_SKEW_SECONDS = 300

/** One line per resource that the approval lets Argo CD delete. */
export function pendingLines(app: Application, opts: ApprovePruneOptions): string[] {
  const facts = pruneConfirmation(app, opts.now, opts.live)
  return facts.pending.map((r) => {
    const l = findLive(opts.live, r)
    const age = l?.creationTimestamp ? secondsSince(l.creationTimestamp, opts.now) : undefined
    const state = l === undefined ? '' : l.state === 'found' ? `, live${age === undefined ? '' : `, age ${humanDuration(age)}`}${l.deletionTimestamp ? ', already being deleted' : ''}` : l.state === 'unreadable' ? ` (live state not readable: ${printable(l.error ?? '')})` : ''
    return `${resourceLabel(r)}${state}`
  })
}

/**
 * Approve what a sync (Prune=confirm) or a cascading deletion (Delete=confirm) waits for: set
 * `argocd.argoproj.io/deletion-approved` to an RFC3339 time, like `argocd app confirm-deletion`.
 * Pure: the caller supplies the app as read, the clock and the live reads.
 */
export function buildApprovePrunePlan(app: Application, opts: ApprovePruneOptions): Outcome {
  const target = refOf(app)
  const name = app.metadata.name
  const facts = pruneConfirmation(app, opts.now, opts.live)
  const noChange = (kind: NoChange['kind'], reason: string, hint?: string, notes: string[] = []): NoChange => ({kind, recipe: 'approve-prune', target, reason, hint, notes})
  const explain = ourCommand(['explain', name, '-n', target.namespace])

  if (!facts.mode) {
    const phase = app.status?.operationState?.phase
    return noChange('nothing', app.metadata.deletionTimestamp
      ? `The deletion of ${name} is not waiting for a Delete=confirm approval (no managed resource has requiresDeletionConfirmation${(app.metadata.finalizers ?? []).length === 0 ? ', and no cascading-delete finalizer' : ''}).`
      : `Nothing on ${name} waits for pruning confirmation (operation phase: ${phase ?? 'none'}${app.status?.operationState?.message ? `, "${printable(app.status.operationState.message)}"` : ''}).`,
    app.metadata.deletionTimestamp ? `If the deletion is stuck, try: ${ourCommand(['unblock-delete', name, '-n', target.namespace])}` : `To see what the app is doing: ${explain}`)
  }

  if (facts.orphanedRun) {
    return noChange('refused', `The sync of ${name} shows Running and waits for pruning confirmation, but no operation is requested any more (top-level \`operation\` is empty): approving would not make anything continue.`,
      `Clear the dead operation first: ${ourCommand(['unstick', name, '-n', target.namespace])} — the next sync with prune asks for confirmation again.`)
  }

  if (facts.alreadyApproved && !facts.futureApproval) {
    return noChange('nothing', `${name} already carries ${DELETION_APPROVED}: ${printable(facts.approvedAt ?? '')}, which covers this ${facts.mode === 'sync' ? `operation (started ${facts.since})` : `deletion (requested ${facts.since})`}; Argo CD acts on it at its next reconcile.`,
      `If nothing moves, is the application-controller running? ${explain}`)
  }

  // The controller compares the annotation with its own timestamps: never write a time before them
  // (clock skew) — but only within a few minutes. Any time that approves an operation "started" far
  // ahead (a broken or hostile status, a badly wrong clock) stands until then and approves every later
  // prune too, so there is no safe value to write: refuse.
  const sinceMs = facts.since ? Date.parse(facts.since) : Number.NaN
  if (!Number.isNaN(sinceMs) && sinceMs > opts.now.getTime() + MAX_SKEW_SECONDS * 1000) {
    const ahead = humanDuration(Math.round((sinceMs - opts.now.getTime()) / 1000))
    return noChange('refused', `The ${facts.mode === 'sync' ? `operation of ${name} says it started at ${printable(facts.since!)}` : `deletion of ${name} says it was requested at ${printable(facts.since!)}`}, ${ahead} after this machine's clock (${rfc3339(opts.now)}). Argo CD only honours an approval at or after that time, and such an approval would stay valid until then and approve every later prune and Delete=confirm deletion too, so nothing was written.`,
      `Check this machine's clock and the cluster's (they should agree within ${MAX_SKEW_SECONDS / 60} minutes). If the status is wrong, clear the operation: ${ourCommand(['unstick', name, '-n', target.namespace])}`)
  }

  const stamp = rfc3339(!Number.isNaN(sinceMs) && sinceMs > opts.now.getTime() ? new Date(sinceMs) : opts.now)
  const path = `/metadata/annotations/${jsonpatch.escapePathComponent(DELETION_APPROVED)}`
  const ops: JsonPatchOp[] = []
  const annotations = app.metadata.annotations
  if (!annotations) ops.push({op: 'add', path: '/metadata/annotations', value: {[DELETION_APPROVED]: stamp}})
  else if (annotations[DELETION_APPROVED] === undefined) ops.push({op: 'add', path, value: stamp})
  else ops.push({op: 'test', path, value: annotations[DELETION_APPROVED]}, {op: 'replace', path, value: stamp})
  const patch = [...resourceVersionGuard(app), ...ops]

  const lines = pendingLines(app, opts)
  const count = facts.pending.length
  const what = count > 0 ? `${count} resource${count === 1 ? '' : 's'}` : 'the resources named in the operation message'
  const why = facts.mode === 'sync'
    ? `The sync of ${name} (started ${facts.since ?? '?'}) reached resources it must prune under Prune=confirm${facts.appLevelConfirm ? ' (an app-level sync option)' : ''} and waits ("${printable(app.status?.operationState?.message ?? 'waiting for pruning confirmation')}"). ` +
      `Argo CD prunes them once ${DELETION_APPROVED} holds a time at or after the operation's start — the annotation \`argocd app confirm-deletion\` writes. Approving lets the same sync finish; unstick would throw it away and the next sync would wait again.`
    : `${name} is being deleted (since ${facts.since}) and its cascading delete waits, without any error, for approval to delete ${what} marked Delete=confirm. ` +
      `Argo CD deletes them once ${DELETION_APPROVED} holds a time at or after the deletionTimestamp.`
  const warnings: string[] = []
  if (facts.futureApproval) warnings.push(`The existing ${DELETION_APPROVED} (${printable(facts.approvedAt ?? '')}) is in the future: until then it silently approves every prune and Delete=confirm deletion on ${name}. This run replaces it with the current time.`)
  if (count === 0) warnings.push('status.resources does not say which resources wait (no requiresPruning entry matched); the operation message names the first one only.')
  const unreadable = facts.pending.filter((r) => findLive(opts.live, r)?.state === 'unreadable')
  if (unreadable.length > 0) warnings.push(`Could not read ${unreadable.length} of them live; the list comes from status.resources.`)
  return {
    kind: 'plan',
    recipe: 'approve-prune',
    action: facts.mode === 'sync' ? 'approve-prune' : 'approve-deletion',
    target,
    summary: `Approve ${facts.mode === 'sync' ? 'pruning' : 'deleting'} ${what} of ${name}: ${DELETION_APPROVED}=${stamp}.`,
    why: `${why}${lines.length > 0 ? `\nArgo CD will delete:\n${lines.map((l) => `  - ${l}`).join('\n')}` : ''}`,
    patch,
    guards: describeGuards(patch),
    warnings,
    notes: [
      `The annotation stays on ${name}. Argo CD only honours it for operations that started (or a deletion requested) at or before ${stamp}, so it cannot approve a later sync; remove it when you like: kubectl annotate applications.argoproj.io ${name} -n ${target.namespace} ${DELETION_APPROVED}-`,
    ],
    verify: {
      kind: 'pruned',
      description: facts.mode === 'sync' ? 'waiting for the controller to prune them and move the sync on' : 'waiting for the controller to delete them and finish the deletion',
      pending: facts.pending.map((r) => resourceKeyId(r)),
    },
  }
}
