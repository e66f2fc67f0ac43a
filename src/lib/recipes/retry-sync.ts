/**
 * retry-sync: re-run the last failed sync — only the resources that failed (a selective sync, as
 * `argocd app sync --resource`) or all of them — with the sync options that fix the recorded
 * failure. The options go on the operation only (operation.sync.syncOptions), never into the spec.
 *
 * What the controller does with them (controller/sync.go, v3.6.2): Replace=true → create/replace
 * instead of apply; syncStrategy.*.force → delete and re-create (with Replace); ServerSideApply=true
 * → server-side apply (no last-applied annotation, so no 262144-byte limit);
 * SkipDryRunOnMissingResource=true → no dry run for kinds the API server does not know yet. A sync
 * with `resources` set skips hooks (WithOperationSettings(…, skipHooks: apply strategy or
 * len(resources) > 0)).
 */
import {COMPLETED_PHASES, refOf, type Application, type Operation, type ResourceResult} from '../app.js'
import {describeGuards, resourceVersionGuard, type JsonPatchOp, type NoChange, type Outcome} from '../plan.js'
import {ourCommand} from '../invocation.js'
import {initiatorName, resourceName, syncBlocker, syncWindowAdvice, type ForcePresyncOptions} from './force-presync.js'

export type RetryOption = 'Replace=true' | 'ServerSideApply=true' | 'SkipDryRunOnMissingResource=true'

/** Failure messages → the sync option that fixes them, with where the message comes from. */
export const FAILURE_FIXES: ReadonlyArray<{pattern: RegExp; option: RetryOption; force?: boolean; why: string}> = [
  // k8s.io/apimachinery validation: "field is immutable". A replace (PUT) is validated the same way
  // as an apply, so only a forced replace (delete, then create) gets past it.
  {pattern: /field is immutable/, option: 'Replace=true', force: true, why: 'an immutable field changed ("field is immutable"): neither apply nor replace may change it, so the object is deleted and re-created (Replace=true with force)'},
  // k8s.io/apimachinery ValidateAnnotationsSize: "metadata.annotations: Too long: must have at most 262144 bytes"
  {pattern: /metadata\.annotations: Too long/, option: 'ServerSideApply=true', why: 'the last-applied-configuration annotation is over 262144 bytes ("metadata.annotations: Too long"): server-side apply does not write it'},
  // gitops-engine dry run: the kind is not known to the API server yet (its CRD arrives in the same sync)
  {pattern: /the server could not find the requested resource|no matches for kind|ensure CRDs are installed first/, option: 'SkipDryRunOnMissingResource=true', why: 'the kind is not known to the API server yet (its CRD arrives in the same sync): skip the dry run for it'},
]

export interface RetryOptions extends Pick<ForcePresyncOptions, 'now' | 'user' | 'conn' | 'syncWindows' | 'syncWindowsUnchecked'> {
  /** Sync every resource (hooks run) instead of only the failed ones. */
  allResources: boolean
  /** Options the user asked for; when none, they are chosen from the failure messages. */
  replace: boolean
  force: boolean
  serverSide: boolean
  skipDryRun: boolean
  prune: boolean
}

export interface FailedResource {
  resource: ResourceResult
  message: string
  options: RetryOption[]
}

export function failedResources(app: Application): FailedResource[] {
  return (app.status?.operationState?.syncResult?.resources ?? [])
    .filter((r) => r.status === 'SyncFailed' && !r.hookType)
    .map((r) => ({resource: r, message: r.message ?? '', options: FAILURE_FIXES.filter((f) => f.pattern.test(r.message ?? '')).map((f) => f.option)}))
}

const optionKey = (o: string) => o.split('=')[0]

/** The spec's options with ours added, ours winning for the same key (Replace=false → Replace=true). */
function mergeOptions(spec: string[], ours: string[]): string[] {
  const keys = new Set(ours.map((o) => optionKey(o)))
  return [...spec.filter((o) => !keys.has(optionKey(o))), ...ours]
}

export function buildRetrySyncPlan(app: Application, opts: RetryOptions): Outcome {
  const target = refOf(app)
  const name = app.metadata.name
  const ns = target.namespace
  const refuse = (kind: NoChange['kind'], reason: string, hint?: string): NoChange => ({kind, recipe: 'retry-sync', target, reason, hint, notes: []})
  const blocked = syncBlocker(app, 'retry-sync', opts)
  if (blocked) return blocked
  const state = app.status?.operationState
  if (state?.phase !== 'Failed' && state?.phase !== 'Error') {
    return refuse('nothing', `The last sync of ${name} did not fail (status.operationState.phase: ${state?.phase ?? 'none'}); there is no failed sync to retry.`,
      `To start a full sync anyway: ${ourCommand(['force-presync', name, '-n', ns], opts.conn)}`)
  }

  const failed = failedResources(app)
  const all = opts.allResources || failed.length === 0
  const message = state.message ?? ''
  // The operation's message repeats the resources' messages; it decides only when no resource result is recorded.
  const fromMessage = failed.length > 0 ? [] : FAILURE_FIXES.filter((f) => f.pattern.test(message)).map((f) => f.option)
  const explicit = opts.replace || opts.force || opts.serverSide || opts.skipDryRun
  const chosen: RetryOption[] = explicit
    ? [...(opts.replace || opts.force ? ['Replace=true' as const] : []), ...(opts.serverSide ? ['ServerSideApply=true' as const] : []), ...(opts.skipDryRun ? ['SkipDryRunOnMissingResource=true' as const] : [])]
    : [...new Set([...failed.flatMap((f) => f.options), ...fromMessage])]
  const fixes = failed.length > 0 ? FAILURE_FIXES.filter((f) => failed.some((x) => f.pattern.test(x.message))) : FAILURE_FIXES.filter((f) => f.pattern.test(message))
  const force = explicit ? opts.force : fixes.some((f) => f.force)
  // A kind whose CRD arrives in the same sync needs the CRD applied in that sync: a selective sync of the custom resources alone fails again.
  const needsAll = !explicit && chosen.includes('SkipDryRunOnMissingResource=true') && !opts.allResources && failed.length > 0

  const policy = app.spec.syncPolicy
  const sync: NonNullable<Operation['sync']> = {}
  if (opts.prune) sync.prune = true
  const syncOptions = mergeOptions(policy?.syncOptions ?? [], chosen)
  if (syncOptions.length > 0) sync.syncOptions = syncOptions
  sync.syncStrategy = {hook: force ? {force: true} : {}}
  if (!all && !needsAll) sync.resources = failed.map(({resource: r}) => ({group: r.group ?? '', kind: r.kind, name: r.name, ...(r.namespace ? {namespace: r.namespace} : {})}))
  const operation: Operation = {
    initiatedBy: {username: initiatorName(opts.user)},
    info: [{name: 'Initiated by', value: `argo-doctor retry-sync${chosen.length ? ` (${chosen.join(', ')})` : ''}`}],
  }
  if (policy?.retry && Object.keys(policy.retry).length > 0) operation.retry = structuredClone(policy.retry)
  operation.sync = sync

  const patch: JsonPatchOp[] = [...resourceVersionGuard(app), {op: 'test', path: '/status/operationState/phase', value: state.phase}, {op: 'remove', path: '/status/operationState'}, {op: 'add', path: '/operation', value: operation}]
  const warnings: string[] = []
  const notes: string[] = []
  for (const f of failed) {
    const why = f.options.length ? FAILURE_FIXES.filter((x) => f.options.includes(x.option)).map((x) => x.why).join('; ') : 'failed; no sync option is known to fix its message'
    notes.push(`Retried: ${resourceName(f.resource)} — ${why}. Message: "${f.message}"`)
  }

  if (explicit) notes.push(`Sync options as asked: ${chosen.join(', ') || 'none'}${opts.force ? ' and force (delete and re-create)' : ''}.`)
  else if (chosen.length > 0) notes.push(`Sync options chosen from the failure messages: ${chosen.join(', ')}${force ? ' and force' : ''} (override with --replace, --force, --server-side, --skip-dry-run).`)
  else warnings.push('No recorded failure message is one a sync option fixes: this retries the same sync. Fix the cause the messages name first (usually in Git), or pick an option yourself.')
  if (force) warnings.push(`Force: the ${sync.resources ? 'failed objects are' : 'objects that cannot be updated are'} DELETED and re-created (kubectl replace --force): a Job runs again, a Service may get a new clusterIP, a PersistentVolumeClaim's data may be lost.`)
  else if (chosen.includes('Replace=true')) warnings.push('Replace=true replaces the failed objects (kubectl replace); a change to an immutable field still fails without --force.')
  if (needsAll) notes.push('A kind that arrives with its CRD needs the CRD applied in the same sync, so every resource is synced (not only the failed ones).')
  const hasHooks = (app.status?.resources ?? []).some((r) => r.hook) || (state.syncResult?.resources ?? []).some((r) => r.hookType)
  if (sync.resources && hasHooks) {
    warnings.push(`A selective sync does not run hooks, and ${name} has hooks (PreSync/Sync/PostSync). To run them too, sync everything: ${ourCommand(['retry-sync', name, '-n', ns, '--all-resources'], opts.conn)}`)
  }

  notes.push(`The options are set on this operation only (operation.sync.syncOptions), never in spec.syncPolicy; \`argocd app sync --replace\` would have sent only its own options, dropping the app's (${(policy?.syncOptions ?? []).join(', ') || 'none'}).`)
  syncWindowAdvice(app, opts, warnings, notes)
  if (COMPLETED_PHASES.has(state.phase)) notes.push(`The failed result (finished ${state.finishedAt ?? '?'}) is removed in the same write, as argocd app sync does.`)
  const scope = sync.resources ? `the ${sync.resources.length} failed resource${sync.resources.length === 1 ? '' : 's'}` : 'all resources'
  return {
    kind: 'plan',
    recipe: 'retry-sync',
    action: 'sync',
    target,
    summary: `Retry the failed sync of ${name} for ${scope}${chosen.length ? ` with ${chosen.join(', ')}` : ''}${force ? ' and force' : ''}${opts.prune ? ', pruning' : ''}.`,
    why: `The last sync failed: "${message}". This starts the sync \`argocd app sync${sync.resources ? ' --resource …' : ''}${chosen.includes('Replace=true') ? ' --replace' : ''}${force ? ' --force' : ''}${chosen.includes('ServerSideApply=true') ? ' --server-side' : ''}\` would, with the app's own syncOptions kept and the fixing options added for this operation only.`,
    patch,
    guards: describeGuards(patch),
    warnings,
    notes,
    verify: {kind: 'operation', description: 'following the retried sync', health: true},
  }
}
