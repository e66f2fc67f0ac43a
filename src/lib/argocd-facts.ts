/**
 * Argo CD facts that recipes and diagnosis must agree on: how long the controller may go without
 * reconciling an app before it counts as not alive, when an operation is in progress, complete, or
 * of unknown age. One module, so `explain` and `unstick` never disagree about the same app.
 */

/** Thresholds, in seconds. */
export const ARGOCD_FACTS = {
  /**
   * The controller reconciles every app at least every timeout.reconciliation (default 120s) plus
   * up to 60s jitter. No reconcile for this long means it is not processing the app: explain calls
   * it controller-stale, and unstick stops asking it to terminate gracefully.
   */
  controllerAlive: 600,
  /**
   * A Running/Terminating phase with no operation behind it, older than this, is orphaned. Also
   * unstick's --min-age default: younger operations are left alone without --force.
   */
  orphanPhase: 300,
  /** A hook Job that has not completed after this long. */
  hook: 600,
  /** Any operation still running after this long. */
  longOperation: 1800,
  /** A Terminating phase should end within seconds; after this long termination is not completing. */
  terminating: 600,
  /** A deletion still pending after this long. */
  deletion: 300,
} as const

export const IN_PROGRESS_PHASES: ReadonlySet<string> = new Set(['Running', 'Terminating'])
export const COMPLETED_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'Error'])

/** The controller reconciled the app recently enough to act on a request (terminate, refresh). */
export function isControllerAlive(reconciledAgoSeconds: number | undefined, thresholdSeconds: number = ARGOCD_FACTS.controllerAlive): boolean {
  return reconciledAgoSeconds !== undefined && reconciledAgoSeconds <= thresholdSeconds
}

/** An operation is in progress: top-level `operation` is set, or the phase says Running/Terminating. */
export function isOperationInProgress(operationSet: boolean, phase: string | undefined): boolean {
  return operationSet || (phase !== undefined && IN_PROGRESS_PHASES.has(phase))
}

/** The last operation finished (Succeeded, Failed or Error). */
export function isOperationComplete(phase: string | undefined): boolean {
  return phase !== undefined && COMPLETED_PHASES.has(phase)
}

/** In progress but with no (valid) status.operationState.startedAt: how long it has run is unknown. */
export function isAgeUnknown(inProgress: boolean, ageSeconds: number | undefined): boolean {
  return inProgress && ageSeconds === undefined
}

/** "30 min" for a threshold in seconds, for conditional fixes ("if it has been so for more than …"). */
export function minutes(seconds: number): string {
  return `${Math.round(seconds / 60)} min`
}

/**
 * Behaviour that differs between Argo CD releases. `since` is the first 3.x minor that behaves the
 * new way; `version` is the controller's, read live (undefined: offline or unreadable). With the
 * version known the sentence that applies is returned; without it, both, each with its versions.
 * `newer` and `older` are whole sentences.
 */
export function byVersion(version: string | undefined, since: number, newer: string, older: string): string {
  const at = controllerAtLeast(version, since)
  if (at !== undefined) return `This controller runs Argo CD ${version}: ${at ? newer : older}`
  return `From Argo CD v3.${since}: ${newer} Before v3.${since}: ${older}`
}

/** Whether `version` ("v3.6.2") is Argo CD 3.`minor` or later; undefined when unknown or not a 3.x/later version string. */
export function controllerAtLeast(version: string | undefined, minor: number): boolean | undefined {
  const m = /^v?(\d+)\.(\d+)\./.exec(version ?? '')
  if (!m) return undefined
  const major = Number(m[1])
  return major > 3 || (major === 3 && Number(m[2]) >= minor)
}
