import {secondsSince, type Application} from './app.js'
import {isAgeUnknown, isControllerAlive, isOperationInProgress} from './argocd-facts.js'

/** Facts about an app's sync operation, read once, shared by recipes and diagnosis. */

export interface WaitingFor {
  /** What gitops-engine says it is waiting for. */
  what: 'completion of hook' | 'healthy state of' | 'deletion of' | 'deletion of hook' | 'pruning confirmation of'
  group: string
  kind: string
  name: string
  /** "and N more hooks|resources" */
  more?: number
}

// gitops-engine: "waiting for {completion of hook|healthy state of|deletion of [hook]|pruning confirmation of} <group>/<kind>/<name>[ and N more …]"
const WAITING_RE = /waiting for (completion of hook|healthy state of|deletion of hook|deletion of|pruning confirmation of) ([^\s/]*)\/([^\s/]+)\/(\S+?)(?: and (\d+) more (?:hooks|resources))?(?:$|[\s,.;])/

export function parseWaitingMessage(message: string | undefined): WaitingFor | undefined {
  const m = message ? WAITING_RE.exec(message) : null
  if (!m) return undefined
  return {
    what: m[1] as WaitingFor['what'],
    group: m[2],
    kind: m[3],
    name: m[4],
    more: m[5] === undefined ? undefined : Number(m[5]),
  }
}

export interface OperationFacts {
  /** Top-level `operation` is set: "another operation is already in progress" for argocd app sync. */
  operationSet: boolean
  phase?: string
  message?: string
  inProgress: boolean
  /** Seconds since status.operationState.startedAt. */
  ageSeconds?: number
  /** In progress, but no startedAt: how long it has been so is unknown (not "young"). */
  ageUnknown: boolean
  /** The controller reconciled the app within ARGOCD_FACTS.controllerAlive (shared with unstick). */
  controllerAlive: boolean
  /** Seconds since status.reconciledAt. */
  reconciledAgoSeconds?: number
  waiting?: WaitingFor
  /** The app waits for its own health (App-of-Apps includes its own manifest). */
  selfWait: boolean
  blockedBySyncWindow: boolean
  waitingForPruneConfirmation: boolean
}

export function operationFacts(app: Application, now: Date): OperationFacts {
  const state = app.status?.operationState
  const phase = state?.phase
  const message = state?.message
  const waiting = parseWaitingMessage(message)
  const operationSet = app.operation !== undefined && app.operation !== null
  const inProgress = isOperationInProgress(operationSet, phase)
  const ageSeconds = secondsSince(state?.startedAt, now)
  const reconciledAgoSeconds = secondsSince(app.status?.reconciledAt, now)
  return {
    operationSet,
    phase,
    message,
    inProgress,
    ageSeconds,
    ageUnknown: isAgeUnknown(inProgress, ageSeconds),
    reconciledAgoSeconds,
    controllerAlive: isControllerAlive(reconciledAgoSeconds),
    waiting,
    selfWait: Boolean(waiting && waiting.what === 'healthy state of' && waiting.group === 'argoproj.io' && waiting.kind === 'Application' && waiting.name === app.metadata.name),
    blockedBySyncWindow: /blocked by sync window/i.test(message ?? ''),
    // v3.2 capitalises it and names an apiVersion: "Waiting for pruning confirmation of v1/ConfigMap/…".
    waitingForPruneConfirmation: waiting?.what === 'pruning confirmation of' || /waiting for pruning confirmation of /i.test(message ?? ''),
  }
}
