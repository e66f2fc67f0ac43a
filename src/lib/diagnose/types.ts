import type {Application} from '../app.js'
import type {OperationFacts} from '../operation.js'
import type {HpaInfo} from '../recipes/ignore-rules.js'
import type {SyncWindow} from '../sync-windows.js'
import type {HealthBundle} from './health.js'

export type {HpaInfo, SyncWindow}

/** What explain reports. The JSON shape is documented in schemas/explain.schema.json. */

export type Severity = 'critical' | 'warning' | 'info'

export const SEVERITY_RANK: Record<Severity, number> = {critical: 0, warning: 1, info: 2}

/** The most severe level among the findings, undefined for none. */
export function worstSeverity(findings: ReadonlyArray<{severity: Severity}>): Severity | undefined {
  let worst: Severity | undefined
  for (const f of findings) if (worst === undefined || SEVERITY_RANK[f.severity] < SEVERITY_RANK[worst]) worst = f.severity
  return worst
}

/** One field (or related object) that triggered a finding, with its value quoted from the object. */
export interface Evidence {
  /** Where: a field path in the Application (`status.operationState.phase`) or a related object (`Job payments/db-migrate`). */
  path: string
  value: string | number | boolean | null
  /** Context that is not in the object itself: an age ("9h8m ago"), which resource an entry is. */
  note?: string
}

export interface Fix {
  /** The exact argo-doctor command line to run, or null when no command of ours fixes it. */
  command: string | null
  /** `command` as argv, without the program name: what the runbook runs (set when `command` is one of ours). */
  argv?: string[]
  /** Manual steps: what to run or change afterwards or instead (Git, AppProject, other tools). */
  steps: string[]
  docs?: string
}

export interface Finding {
  /** Stable kebab-case id: scripts and docs may rely on it. */
  id: string
  /** A cause-specific finding replaces a generic one: the generic id (sync-failed, comparison-error, …), for scripts that match it. */
  refines?: string
  severity: Severity
  title: string
  explanation: string
  evidence: Evidence[]
  fix: Fix
}

/** The result of reading one related object: it may be absent, or we may not be allowed to read it. */
export type Lookup<T> =
  | {status: 'found'; value: T}
  | {status: 'missing'}
  | {status: 'unreadable'; reason: string}

export interface JobSummary {
  namespace: string
  name: string
  active: number
  succeeded: number
  failed: number
  startTime?: string
  completionTime?: string
  /** Complete / Failed / SuccessCriteriaMet … with status True. */
  conditions: string[]
  ttlSecondsAfterFinished?: number
}

export interface PodSummary {
  name: string
  phase?: string
  ready: boolean
  restarts: number
  /** e.g. CrashLoopBackOff, ImagePullBackOff. */
  waitingReason?: string
  /** The last termination message of a container (what a crash-looping server logged last), at most 300 characters. */
  lastMessage?: string
  image?: string
}

/** A field of a live object: an RFC 6901 pointer when one can address it, and always a jq path. */
export interface FieldRef {
  pointer?: string
  jq: string
}

/** What diagnosis needs from a live resource named by the app (the one a sync waits for, a drifting one). */
export interface LiveObject {
  apiVersion?: string
  kind: string
  namespace?: string
  name: string
  /** PersistentVolumeClaim (and Pod) status.phase. */
  phase?: string
  storageClassName?: string
  /** From the PVC's StorageClass: Immediate or WaitForFirstConsumer. */
  volumeBindingMode?: string
  /** Rollout spec.paused / status.pauseConditions, Deployment spec.paused. */
  paused?: boolean
  pauseReasons?: string[]
  /** Job status.active. */
  active?: number
  /** Field managers other than Argo CD's that own fields of the object (from metadata.managedFields), newest first. */
  writers?: Array<{manager: string; operation?: string; time?: string; fields: FieldRef[]}>
  /** Fields whose live value differs from the last-applied-configuration annotation (what a client-side apply sync wrote). */
  changedSinceApply?: FieldRef[]
  /** Fields whose live value differs from Git, from Argo CD's own diff (the API's managed-resources: normalized live vs target state). */
  exactDiff?: FieldRef[]
}

export interface ProjectSummary {
  name: string
  syncWindows: SyncWindow[]
  sourceNamespaces: string[]
}

/**
 * Objects other than the Application that sharpen a diagnosis. Gathered only for a single-app
 * explain (never for --all); every entry is optional and may be unreadable.
 */
export interface Related {
  project?: Lookup<ProjectSummary>
  /** Hook Jobs, keyed "namespace/name". */
  jobs?: Record<string, Lookup<JobSummary>>
  /**
   * argocd-secret in the control-plane namespace: existence only, its data is never read into the output.
   * The default RBAC (deploy/rbac.yaml) does not allow this read; deploy/rbac-secret-check.yaml does.
   */
  argocdSecret?: Lookup<{namespace: string; name: string}>
  /** argocd-server pods (label app.kubernetes.io/name=argocd-server): crash-looping without argocd-secret. No Secret read needed. */
  serverPods?: Lookup<PodSummary[]> & {namespace?: string}
  /** HorizontalPodAutoscalers listed in status.resources, with the workload each one scales. */
  hpas?: HpaInfo[]
  /** application-controller pods (label app.kubernetes.io/name=argocd-application-controller). */
  controllerPods?: Lookup<PodSummary[]> & {namespace?: string}
  /** Argo CD version, from the controller image tag when known (e.g. "v3.5.3"). */
  argocdVersion?: string
  /** Where argocdVersion was read ("image of pod argocd/argocd-application-controller-0"), or why it is unknown ("offline"). */
  argocdVersionFrom?: string
  /** Resources named by the app's status, read live (or found in the -f file), keyed "group/Kind/namespace/name". */
  live?: Record<string, Lookup<LiveObject>>
  /** Unhealthy resources (and failed hook Jobs) with their Pods and Warning Events, keyed "group/Kind/namespace/name" (health-evidence.ts). */
  health?: Record<string, HealthBundle>
  /** One line per object we could not read, for the output. */
  notes: string[]
}

export const NO_RELATED: Related = Object.freeze({notes: []}) as Related

/** How fix commands are spelled: the name we were invoked under and the connection flags given. */
export interface CommandStyle {
  /** "kubectl argo-doctor", "argocd doctor" or "argo-doctor". */
  bin: string
  kubeconfig?: string
  context?: string
}

export interface DiagnoseOptions {
  style?: CommandStyle
  /** Many apps at once (explain --all): leave out findings that are only informative and common across a fleet. */
  fleet?: boolean
  /**
   * Offline with no --as-of: `now` is the newest timestamp in the file, a lower bound on when it
   * was saved, so an age measured from that very timestamp is unknown, not zero.
   */
  nowIsLowerBound?: boolean
}

/** Everything a matcher sees. Built once per app. */
export interface MatchContext {
  app: Application
  related: Related
  now: Date
  facts: OperationFacts
  /** The control-plane namespace: status.controllerNamespace, else the app's namespace. */
  controllerNamespace: string
  name: string
  namespace: string
  /** Build the exact command line for one of our commands on this app (every word shell-quoted). */
  command: (verb: string, ...extra: string[]) => string
  /** The argv a line returned by `command` was built from (without the program name). */
  commandArgv: (line: string) => string[] | undefined
  /** Diagnosing many apps at once (no related reads, terse). */
  fleet: boolean
  /** "Kind/name" of resources another app also tracks (SharedResourceWarning): their drift has that cause. */
  shared: Set<string>
  /** Offline, `now` is the newest timestamp in the file: only a lower bound on when it was saved. */
  nowIsLowerBound: boolean
}

/** One incident signature. Returns its findings (usually zero or one). */
export interface Matcher {
  id: string
  /** Ids this matcher's findings make redundant (same root cause, more specific explanation). */
  supersedes?: string[]
  match: (ctx: MatchContext) => Finding | Finding[] | undefined
}
