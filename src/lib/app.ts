/** The parts of an Argo CD Application (argoproj.io/v1alpha1) that argo-doctor reads. */

export const GROUP = 'argoproj.io'
export const VERSION = 'v1alpha1'
export const APPS = 'applications'
export const PROJECTS = 'appprojects'
/**
 * Page size of a paginated Application LIST (limit=…): what a fleet scan falls back to when the
 * server will not give the list in one response, and what bulk commands page by. A page is parsed
 * whole: with 2,000 apps of ~17 KB, pages of 500 peaked at ~250 MB RSS and pages of 100 at ~200 MB,
 * for a few more round trips.
 */
export const FLEET_PAGE_SIZE = 100
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/refresh'
export const REFRESH_TIMESTAMP_ANNOTATION = 'argocd.argoproj.io/refresh-timestamp'

export interface ObjectMeta {
  name: string
  namespace?: string
  resourceVersion?: string
  generation?: number
  uid?: string
  creationTimestamp?: string
  deletionTimestamp?: string
  finalizers?: string[]
  annotations?: Record<string, string>
  labels?: Record<string, string>
  managedFields?: unknown[]
}

export interface ApplicationSource {
  repoURL?: string
  path?: string
  targetRevision?: string
  chart?: string
  directory?: {recurse?: boolean; exclude?: string; include?: string}
  helm?: unknown
  kustomize?: unknown
  [k: string]: unknown
}

export interface SyncOperation {
  revision?: string
  prune?: boolean
  dryRun?: boolean
  syncStrategy?: {hook?: {force?: boolean}; apply?: {force?: boolean}}
  resources?: Array<{group?: string; kind: string; name: string; namespace?: string}>
  syncOptions?: string[]
  [k: string]: unknown
}

export interface Operation {
  initiatedBy?: {username?: string; automated?: boolean}
  info?: Array<{name: string; value: string}>
  retry?: Record<string, unknown>
  sync?: SyncOperation
  [k: string]: unknown
}

export interface ResourceResult {
  group?: string
  version?: string
  kind: string
  name: string
  namespace?: string
  status?: string
  message?: string
  hookType?: string
  hookPhase?: string
  syncPhase?: string
}

export interface OperationState {
  operation?: Operation
  phase?: string
  message?: string
  startedAt?: string
  finishedAt?: string
  retryCount?: number
  syncResult?: {resources?: ResourceResult[]; revision?: string}
}

export interface ResourceStatus {
  group?: string
  version?: string
  kind: string
  name: string
  namespace?: string
  status?: string
  health?: {status?: string; message?: string}
  hook?: boolean
  requiresPruning?: boolean
  /** Prune=confirm or Delete=confirm applies to this resource (written by newer controllers). */
  requiresDeletionConfirmation?: boolean
  syncWave?: number
}

/**
 * A resource a sync with prune would delete. The controller marks every live object that is not in
 * the desired state requiresPruning, hooks too (a PreDelete hook Job it runs, a hook kept by its
 * delete policy), but a sync never prunes a hook: gitops-engine skips hooks when it plans the sync's
 * tasks, and hooks go by their hook-delete-policy.
 */
export const awaitsPrune = (r: ResourceStatus): boolean => Boolean(r.requiresPruning) && !r.hook

export interface Application {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
  spec: {
    project?: string
    source?: ApplicationSource
    sources?: ApplicationSource[]
    destination?: {server?: string; name?: string; namespace?: string}
    syncPolicy?: {automated?: Record<string, unknown>; syncOptions?: string[]; retry?: Record<string, unknown>}
    ignoreDifferences?: IgnoreDifference[]
    [k: string]: unknown
  }
  operation?: Operation
  status?: {
    operationState?: OperationState
    reconciledAt?: string
    sync?: {status?: string; revision?: string; revisions?: string[]}
    health?: {status?: string; message?: string; lastTransitionTime?: string}
    conditions?: Array<{type: string; message?: string; lastTransitionTime?: string}>
    resources?: ResourceStatus[]
    summary?: {images?: string[]}
    controllerNamespace?: string
    [k: string]: unknown
  }
}

export interface IgnoreDifference {
  group?: string
  kind: string
  name?: string
  namespace?: string
  jsonPointers?: string[]
  jqPathExpressions?: string[]
  managedFieldsManagers?: string[]
}

export interface AppRef {
  name: string
  namespace: string
}

export {COMPLETED_PHASES, IN_PROGRESS_PHASES} from './argocd-facts.js'

export function refOf(app: Application): AppRef {
  return {name: app.metadata.name, namespace: app.metadata.namespace ?? 'argocd'}
}

export function isApplication(obj: unknown): obj is Application {
  const o = obj as Application
  return Boolean(o && typeof o === 'object' && o.kind === 'Application' && String(o.apiVersion ?? '').startsWith('argoproj.io/') && o.metadata?.name)
}

/** Seconds between an RFC3339 timestamp and now, or undefined when the timestamp is absent/invalid. */
export function secondsSince(timestamp: string | undefined, now: Date): number | undefined {
  if (!timestamp) return undefined
  const t = Date.parse(timestamp)
  return Number.isNaN(t) ? undefined : Math.max(0, Math.round((now.getTime() - t) / 1000))
}

export function humanDuration(seconds: number): string {
  if (seconds < 90) return `${seconds}s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 90) return `${minutes}m`
  const hours = Math.floor(seconds / 3600)
  const rest = Math.round((seconds - hours * 3600) / 60)
  if (hours < 48) return rest ? `${hours}h${rest}m` : `${hours}h`
  return `${Math.round(hours / 24)}d`
}

