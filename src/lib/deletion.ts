/**
 * Facts about prune/deletion confirmation and stuck deletions, read once and shared by the
 * recipes (approve-prune, unblock-delete) and explain, so the fix and the diagnosis agree.
 * Pure: the caller supplies the app, the clock and (optionally) what it read of the live objects.
 *
 * Argo CD behaviour this follows (argo-cd v3.2, controller/appcontroller.go, controller/sync.go,
 * gitops-engine sync_context.go):
 * - A sync that must prune a resource whose `argocd.argoproj.io/sync-options` holds `Prune=confirm`
 *   (or, without a resource-level Prune option, an operation sync option `Prune=confirm`) stays
 *   Running with "waiting for pruning confirmation of <group>/<kind>/<name>[ and N more …]" until
 *   the app's `argocd.argoproj.io/deletion-approved` annotation holds an RFC3339 time at or after
 *   the operation's startedAt (`IsDeletionConfirmed(state.StartedAt)`).
 * - A cascading app deletion waits silently (no condition) while a managed resource has
 *   `requiresDeletionConfirmation` (Delete=confirm) and the annotation is older than the app's
 *   deletionTimestamp.
 * - A requested `operation` is processed before a deletion is finalized.
 * - When the destination cluster cannot be found, the controller itself drops the cascade and
 *   pre/post-delete finalizers ("Resource entries removed from undefined cluster"); when it is
 *   found but unreachable, every attempt fails with a DeletionError and nothing moves.
 * - Cascading deletion waits for every managed object that already has a deletionTimestamp;
 *   a hook resource that kept `argocd.argoproj.io/hook-finalizer` (#29464) never goes away.
 */
import {awaitsPrune, secondsSince, type Application, type ResourceStatus} from './app.js'
import {ARGOCD_FACTS} from './argocd-facts.js'

export const DELETION_APPROVED = 'argocd.argoproj.io/deletion-approved'
export const HOOK_FINALIZER = 'argocd.argoproj.io/hook-finalizer'
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options'
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc'

/** A managed resource, as named in status.resources / syncResult. */
export interface ResourceKey {
  group?: string
  version?: string
  kind: string
  namespace?: string
  name: string
}

/** What was read of a live object's metadata (never its data). */
export interface LiveMeta extends ResourceKey {
  state: 'found' | 'missing' | 'unreadable'
  creationTimestamp?: string
  deletionTimestamp?: string
  finalizers?: string[]
  /** The object's argocd.argoproj.io/sync-options annotation. */
  syncOptions?: string
  error?: string
}

/** Cluster text is untrusted: no control bytes (escape sequences) reach a terminal. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' || c === '\t' ? ' ' : '?'))
}

export function resourceKeyId(r: ResourceKey): string {
  return `${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`
}

/** How Argo CD prints a resource: "group/Kind namespace/name". */
export function resourceLabel(r: ResourceKey): string {
  return printable(`${r.group ? `${r.group}/` : ''}${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`)
}

export function findLive(live: readonly LiveMeta[] | undefined, r: ResourceKey): LiveMeta | undefined {
  const id = resourceKeyId(r)
  return live?.find((l) => resourceKeyId(l) === id)
}

/** `IsDeletionConfirmed(since)`: the annotation parses as RFC3339 and is at or after `since`. */
export function approvalCovers(app: Application, since: string | undefined): boolean {
  const value = app.metadata.annotations?.[DELETION_APPROVED]
  if (!value || !since) return false
  const t = Date.parse(value)
  const s = Date.parse(since)
  return !Number.isNaN(t) && !Number.isNaN(s) && Math.floor(t / 1000) >= Math.floor(s / 1000)
}

/** Go's time.RFC3339 (seconds, UTC "Z"), what `argocd app confirm-deletion` writes. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z')
}

/** The value of option `name` in a sync-options string/list ("Prune=confirm,Delete=false"). */
export function optionValue(options: string | readonly string[] | undefined, name: string): string | undefined {
  const list = typeof options === 'string' ? options.split(',') : (options ?? [])
  for (const o of list) {
    const [k, v] = String(o).split('=')
    if (k?.trim().toLowerCase() === name.toLowerCase()) return v?.trim()
  }

  return undefined
}

export interface PruneConfirmation {
  /** sync: a running sync waits to prune; deletion: a cascading delete waits for Delete=confirm. */
  mode?: 'sync' | 'deletion'
  /** The resources waiting for the approval (best knowledge: status + message + live annotations). */
  pending: ResourceStatus[]
  /** The operation sync options (or spec.syncPolicy.syncOptions) say Prune=confirm. */
  appLevelConfirm: boolean
  /** "waiting for pruning confirmation of …" is the operation message. */
  messageSaysWaiting: boolean
  /** The time the approval must reach: operation startedAt or the app's deletionTimestamp. */
  since?: string
  approvedAt?: string
  /** The current annotation already covers this operation/deletion. */
  alreadyApproved: boolean
  /** A sync operation is running but no `operation` is requested: nothing continues after approval. */
  orphanedRun: boolean
  /** The existing annotation holds a time in the future: it would also approve later operations. */
  futureApproval: boolean
}

/**
 * gitops-engine's wording: newer "waiting for pruning confirmation of <group>/<kind>/<name>[ and N more …]";
 * the one Argo CD v3.2 ships "Waiting for pruning confirmation of <apiVersion>/<kind>/<name>[ and N more resources]".
 */
export const PRUNE_WAIT = /waiting for pruning confirmation of /i

/** The first resource the message names, in either wording. */
export function namedInMessage(message: string): {group: string; kind: string; name: string} | undefined {
  const m = /waiting for pruning confirmation of (\S+?)(?: and \d+ more \w+)?(?:$|[\s,;])/i.exec(message)
  if (!m) return undefined
  const parts = m[1].split('/')
  if (parts.length < 3) return undefined
  const name = parts.at(-1)!
  const kind = parts.at(-2)!
  // 4 parts: group/version/kind/name (apiVersion with a group); 3 parts: group/kind/name, or v1/kind/name (core apiVersion)
  const group = parts.length >= 4 ? parts[0] : /^v\d+(?:(?:alpha|beta)\d+)?$/.test(parts[0]) ? '' : parts[0]
  return {group, kind, name}
}

const CASCADE = /^resources-finalizer\.argocd\.argoproj\.io(?:\/(?:background|foreground))?$/

export function pruneConfirmation(app: Application, now: Date, live?: readonly LiveMeta[]): PruneConfirmation {
  const state = app.status?.operationState
  const message = state?.message ?? ''
  const messageSaysWaiting = PRUNE_WAIT.test(message)
  const opOptions = app.operation?.sync?.syncOptions ?? state?.operation?.sync?.syncOptions ?? app.spec?.syncPolicy?.syncOptions
  const appLevelConfirm = optionValue(opOptions as string[] | undefined, 'Prune')?.toLowerCase() === 'confirm'
  const approvedAt = app.metadata.annotations?.[DELETION_APPROVED]
  const futureApproval = approvedAt !== undefined && !Number.isNaN(Date.parse(approvedAt)) && Date.parse(approvedAt) > now.getTime() + 60_000
  const resources = app.status?.resources ?? []
  const base = {appLevelConfirm, messageSaysWaiting, approvedAt, futureApproval}

  if (app.metadata.deletionTimestamp) {
    const cascade = (app.metadata.finalizers ?? []).some((f) => CASCADE.test(f))
    const pending = cascade ? resources.filter((r) => r.requiresDeletionConfirmation && findLive(live, r)?.state !== 'missing') : []
    const since = app.metadata.deletionTimestamp
    return {...base, mode: pending.length > 0 ? 'deletion' : undefined, pending, since, alreadyApproved: approvalCovers(app, since), orphanedRun: false}
  }

  const running = state?.phase === 'Running'
  const since = state?.startedAt
  // No sync runs, so none waits to prune (the common case in a fleet: the resources are not looked at).
  if (!running) return {...base, mode: undefined, pending: [], since, alreadyApproved: approvalCovers(app, since), orphanedRun: false}
  const operationSet = app.operation !== undefined && app.operation !== null
  // Which resources need confirmation: the message names the first; a live Prune=confirm (or the
  // app-level option without a resource-level Prune option) marks the rest.
  const named = namedInMessage(message)
  const pending = resources.filter((r) => {
    if (!awaitsPrune(r)) return false
    const l = findLive(live, r)
    if (l?.state === 'missing') return false
    const own = optionValue(l?.syncOptions, 'Prune')?.toLowerCase()
    if (own !== undefined) return own === 'confirm'
    if (appLevelConfirm) return true
    if (named && named.group === (r.group ?? '') && named.kind === r.kind && named.name === r.name) return true
    // The message counts them ("and N more"): without live reads every requiresPruning resource may be one.
    return messageSaysWaiting && live === undefined
  })
  const waiting = messageSaysWaiting || pending.length > 0
  return {
    ...base,
    mode: waiting ? 'sync' : undefined,
    pending: waiting ? pending : [],
    since,
    alreadyApproved: approvalCovers(app, since),
    orphanedRun: waiting && !operationSet,
  }
}

// ---------------------------------------------------------------- stuck deletion

export type FinalizerRole = 'cascade' | 'pre-delete' | 'post-delete' | 'foreign'

export interface AppFinalizer {
  index: number
  name: string
  role: FinalizerRole
}

export function finalizerRole(name: string): FinalizerRole {
  if (CASCADE.test(name)) return 'cascade'
  if (/^pre-delete-finalizer\.argocd\.argoproj\.io(?:\/.+)?$/.test(name)) return 'pre-delete'
  if (/^post-delete-finalizer\.argocd\.argoproj\.io(?:\/.+)?$/.test(name)) return 'post-delete'
  return 'foreign'
}

/*
 * What a DeletionError says, matched on the controller's own wording only (the condition holds
 * finalizeApplicationDeletion's error, argo-cd controller/appcontroller.go v3.2.11 and v3.6.2).
 * Other conditions (a ComparisonError from a Helm chart that mentions a "cluster", …) never count.
 */

/**
 * The destination cluster is not configured: util/db GetCluster `cluster %q not found` (a gRPC
 * NotFound status, so "rpc error: code = NotFound desc = …"), optionally wrapped by util/argo
 * GetDestinationCluster ("error getting cluster by server %q: …", "error getting cluster by URL: …");
 * util/argo GetDestinationServer "there are no clusters with this name: %s". Current controllers drop
 * the finalizers themselves in this case; older ones (and a failed finalizer update) leave this error.
 */
const CLUSTER_GONE = [
  /^(?:error getting cluster by (?:server "[^"]*"|URL): )?rpc error: code = NotFound desc = cluster "[^"]*" not found$/,
  /^(?:unable to find destination server: )?there are no clusters with this (?:name|URL): \S+$/,
]
/** Texts that say the destination's API server cannot be reached (or refuses Argo CD's credentials). */
const CLUSTER_UNREACHABLE = /dial tcp|no such host|connection refused|i\/o timeout|context deadline exceeded|TLS handshake timeout|network is unreachable|no route to host|failed to sync cluster|the server has asked for the client to provide credentials|Unauthorized|x509: /i
/**
 * Errors that only the pre-/post-delete hook stage returns. PreDelete (v3.6.2): "error executing
 * pre-delete hooks: …", "error cleaning up pre-delete hooks: …". Both stages, from executeHooks
 * (controller/hook.go v3.6.2): "<PreDelete|PostDelete> hook(s) failed: …", "<type> hook <key> is not
 * permitted: …", "failed to determine scope of <type> hook …", "failed to set app instance tracking
 * on <type> hook …". Post-delete errors are otherwise returned unwrapped (v3.2.11 and v3.6.2), so
 * those are told by the stage the finalizers put the app in (see deletionStage).
 */
const HOOK_STAGE_ERROR = [
  /^error (?:executing|cleaning up) pre-delete hooks: /,
  /^(?:PreDelete|PostDelete) hook\(s\) failed: /,
  /^(?:PreDelete|PostDelete) hook \S.* is not permitted: /,
  /^failed to (?:determine scope of|set app instance tracking on) (?:PreDelete|PostDelete) hook /,
]

export type DeletionStage = 'pre-delete' | 'cascade' | 'post-delete' | 'pre-delete-cleanup' | 'post-delete-cleanup' | 'none'

/**
 * The stage finalizeApplicationDeletion is in, from the finalizers it has left, in the controller's
 * order: pre-delete hooks, cascading delete, post-delete hooks, then the hooks' cleanup.
 */
export function deletionStage(finalizers: readonly string[]): DeletionStage {
  const has = (re: RegExp) => finalizers.some((f) => re.test(f))
  if (has(/^pre-delete-finalizer\.argocd\.argoproj\.io$/)) return 'pre-delete'
  if (has(CASCADE)) return 'cascade'
  if (has(/^post-delete-finalizer\.argocd\.argoproj\.io$/)) return 'post-delete'
  if (has(/^pre-delete-finalizer\.argocd\.argoproj\.io\/cleanup$/)) return 'pre-delete-cleanup'
  if (has(/^post-delete-finalizer\.argocd\.argoproj\.io\/cleanup$/)) return 'post-delete-cleanup'
  return 'none'
}

/** Which hook stage returned this DeletionError, if one did. */
export function hookStageOf(error: string, stage: DeletionStage): 'pre-delete' | 'post-delete' | undefined {
  if (HOOK_STAGE_ERROR.some((re) => re.test(error))) return /^error \w+(?: up)? pre-delete|^PreDelete |(?:of|on) PreDelete hook /.test(error) ? 'pre-delete' : 'post-delete'
  // Only post-delete hooks run in these stages, and their errors come back unwrapped.
  return stage === 'post-delete' || stage === 'post-delete-cleanup' ? 'post-delete' : undefined
}

export const isClusterGoneError = (error: string): boolean => CLUSTER_GONE.some((re) => re.test(error.trim()))

export interface DeletionFacts {
  deleting: boolean
  deletionAgeSeconds?: number
  finalizers: AppFinalizer[]
  argoFinalizers: AppFinalizer[]
  errors: string[]
  destination: string
  inCluster: boolean
  clusterGone: boolean
  clusterUnreachable: boolean
  /** The DeletionError came from this hook stage (its hooks cannot run or be cleaned up). */
  hookStageError?: 'pre-delete' | 'post-delete'
  /**
   * The PreDelete stage (v3.3+) has waited longer than a hook may run, with no error and a live
   * controller: the controller waits silently for a PreDelete hook that does not complete.
   */
  preDeleteHooksHang: boolean
  operationSet: boolean
  controllerAlive: boolean
  reconciledAgoSeconds?: number
  /** Managed objects being deleted that keep Argo CD's hook finalizer (#29464). */
  hookLeaks: LiveMeta[]
  /** Child Applications (App-of-Apps) that are being deleted themselves and are still there. */
  stuckChildren: LiveMeta[]
  /** Managed objects being deleted that wait on someone else's finalizer. */
  otherTerminating: LiveMeta[]
  /** Delete=confirm resources the cascade waits for (approve-prune handles those). */
  awaitingApproval: ResourceStatus[]
  /** What a removal of the cascade finalizer leaves running, unmanaged. */
  orphans: Array<ResourceStatus & {live?: LiveMeta}>
}

export function deletionFacts(app: Application, now: Date, opts: {live?: readonly LiveMeta[]; controllerFreshSeconds: number}): DeletionFacts {
  const meta = app.metadata
  const finalizers = (meta.finalizers ?? []).map((name, index) => ({index, name, role: finalizerRole(name)}))
  const conditions = app.status?.conditions ?? []
  const rawErrors = conditions.filter((c) => c.type === 'DeletionError').map((c) => c.message ?? '').filter(Boolean)
  const errors = rawErrors.map((e) => printable(e))
  const dest = app.spec?.destination ?? {}
  const destination = printable(dest.server ?? (dest.name ? `name ${dest.name}` : '(none)'))
  const inCluster = dest.server === IN_CLUSTER_SERVER || dest.name === 'in-cluster'
  const clusterGone = rawErrors.some((e) => isClusterGoneError(e))
  const clusterUnreachable = !clusterGone && errors.some((e) => CLUSTER_UNREACHABLE.test(e))
  const reconciledAgoSeconds = secondsSince(app.status?.reconciledAt, now)
  const live = opts.live ?? []
  const terminating = live.filter((l) => l.state === 'found' && l.deletionTimestamp)
  const hookLeaks = terminating.filter((l) => l.finalizers?.includes(HOOK_FINALIZER))
  const stuckChildren = terminating.filter((l) => l.group === 'argoproj.io' && l.kind === 'Application' && !hookLeaks.includes(l))
  const otherTerminating = terminating.filter((l) => !hookLeaks.includes(l) && !stuckChildren.includes(l) && (l.finalizers ?? []).length > 0)
  const cascade = finalizers.some((f) => f.role === 'cascade')
  const awaitingApproval = cascade && !approvalCovers(app, meta.deletionTimestamp) ? (app.status?.resources ?? []).filter((r) => r.requiresDeletionConfirmation) : []
  const orphans = (app.status?.resources ?? [])
    .filter((r) => !r.hook || findLive(live, r)?.state === 'found')
    .map((r) => ({...r, live: findLive(live, r)}))
    .filter((r) => r.live?.state !== 'missing')
  const stage = deletionStage(meta.finalizers ?? [])
  const controllerAlive = reconciledAgoSeconds !== undefined && reconciledAgoSeconds <= opts.controllerFreshSeconds
  return {
    deleting: Boolean(meta.deletionTimestamp),
    deletionAgeSeconds: secondsSince(meta.deletionTimestamp, now),
    finalizers,
    argoFinalizers: finalizers.filter((f) => f.role !== 'foreign'),
    errors,
    destination,
    inCluster,
    clusterGone,
    clusterUnreachable,
    hookStageError: clusterGone || clusterUnreachable || rawErrors.length !== 1 ? undefined : hookStageOf(rawErrors[0], stage),
    preDeleteHooksHang: stage === 'pre-delete' && rawErrors.length === 0 && controllerAlive && (secondsSince(meta.deletionTimestamp, now) ?? 0) >= ARGOCD_FACTS.hook,
    operationSet: app.operation !== undefined && app.operation !== null,
    controllerAlive,
    reconciledAgoSeconds,
    hookLeaks,
    stuckChildren,
    otherTerminating,
    awaitingApproval,
    orphans,
  }
}

/** The guarded kubectl command that removes Argo CD's hook finalizer from a leaked hook resource. */
export function hookFinalizerCommand(l: LiveMeta): string {
  return removeFinalizerCommand(l, HOOK_FINALIZER)
}

/**
 * The guarded kubectl command that removes `finalizer` from a live resource: a JSON patch whose
 * test op makes it fail if the list changed since it was read. (Kubernetes only accepts qualified
 * names as finalizers, so the name needs no shell quoting inside the single quotes.)
 */
export function removeFinalizerCommand(l: LiveMeta, finalizer: string): string {
  const index = (l.finalizers ?? []).indexOf(finalizer)
  const patch = JSON.stringify([
    {op: 'test', path: `/metadata/finalizers/${index}`, value: printable(finalizer)},
    {op: 'remove', path: `/metadata/finalizers/${index}`},
  ])
  const kind = `${l.kind.toLowerCase()}${l.group ? `.${l.group}` : ''}`
  return `kubectl patch ${kind} ${l.name}${l.namespace ? ` -n ${l.namespace}` : ''} --type json -p '${patch}'`
}
