/**
 * Why is a resource unhealthy? What a person reads with `kubectl describe`: the resource's own
 * conditions, its Pods (container states, exit codes, OOMKilled, image pulls, scheduling) and the
 * Warning Events of the last hour. The readers (health-evidence.ts) gather a HealthBundle per
 * unhealthy resource; everything here is pure: bundle → cause, evidence and where to fix it.
 * The reasons read here are Kubernetes' structured fields (kubelet's container waiting/terminated
 * reasons, the Deployment and Job condition reasons, the scheduler's PodScheduled condition), not
 * free-text message patterns.
 */
import {sh} from '../shell.js'
import type {Evidence, Lookup, Related} from './types.js'
import {ev, liveKey} from './util.js'

export interface ObjectCondition {
  type: string
  status: string
  reason?: string
  message?: string
}

export interface ContainerState {
  reason?: string
  message?: string
  exitCode?: number
}

export interface ContainerFacts {
  name: string
  image?: string
  init?: boolean
  restarts: number
  waiting?: ContainerState
  terminated?: ContainerState
  lastTerminated?: ContainerState
}

export interface PodFacts {
  namespace: string
  name: string
  phase?: string
  /** status.reason / status.message of the Pod itself (Evicted, …). */
  reason?: string
  message?: string
  /** PodScheduled=False: the scheduler's reason and message ("0/3 nodes are available: …"). */
  unschedulable?: ObjectCondition
  containers: ContainerFacts[]
}

export interface EventFacts {
  /** "Pod/web-5d8f-abcde" */
  object: string
  reason: string
  message: string
  count?: number
  last?: string
}

/** The unhealthy resource itself. */
export interface WorkloadFacts {
  kind: string
  namespace?: string
  name: string
  conditions: ObjectCondition[]
  /** CronJob/Job spec.suspend, Deployment spec.paused. */
  suspended?: boolean
  /** The label selector of its Pods ("app=web"), for workloads. */
  selector?: string
}

/** Everything read (or found in the -f file) about one unhealthy resource. */
export interface HealthBundle {
  object: Lookup<WorkloadFacts>
  pods?: Lookup<PodFacts[]>
  events?: Lookup<EventFacts[]>
  /** Offline: what the file does not hold that would answer more, with how to add it. */
  lacks: string[]
}

export type FixWhere = 'git' | 'cluster'

export interface HealthCause {
  /** One sentence each: which container, which image, which scheduling constraint. */
  causes: string[]
  evidence: Evidence[]
  /** What to do about each cause. */
  steps: string[]
  /** Where the fix most likely belongs. */
  where?: FixWhere
}

const PULL = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable'])
const CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'])

const q = (s: string) => JSON.stringify(s)
const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

function podCauses(pod: PodFacts, out: HealthCause): void {
  const at = `Pod ${pod.namespace}/${pod.name}`
  if (pod.unschedulable) {
    const msg = pod.unschedulable.message ?? pod.unschedulable.reason ?? 'no reason given'
    out.causes.push(`pod ${pod.name} cannot be scheduled: ${clip(msg)}`)
    out.evidence.push(ev(`${at} status.conditions[PodScheduled]`, pod.unschedulable.reason ?? 'False', clip(msg)))
    out.steps.push('Scheduling: the message names the constraint no node meets (resources requests, nodeSelector/affinity, taints without tolerations, a PersistentVolumeClaim not bound): add capacity in the cluster, or relax the constraint in Git.')
    out.where ??= 'cluster'
  }

  if (pod.reason === 'Evicted' || (pod.phase === 'Failed' && pod.reason)) {
    out.causes.push(`pod ${pod.name} is ${pod.phase ?? 'failed'} (${pod.reason}): ${clip(pod.message ?? '')}`)
    out.evidence.push(ev(`${at} status.reason`, pod.reason ?? null, pod.message ? clip(pod.message) : undefined))
  }

  for (const c of pod.containers) {
    const which = `${c.init ? 'init container' : 'container'} ${q(c.name)} of pod ${pod.name}`
    const w = c.waiting
    const last = c.lastTerminated ?? c.terminated
    if (w?.reason && PULL.has(w.reason)) {
      out.causes.push(`${which} cannot pull image ${q(c.image ?? '?')} (${w.reason})${w.message ? `: ${clip(w.message)}` : ''}`)
      out.evidence.push(ev(`${at} ${c.name} state.waiting.reason`, w.reason, c.image ? `image ${c.image}` : undefined))
      out.steps.push(`Image: check that ${q(c.image ?? '?')} exists and the tag is right (fix it in Git), or that the cluster may pull it (imagePullSecrets, registry reachable).`)
      out.where ??= 'git'
    } else if (w?.reason && CONFIG.has(w.reason)) {
      out.causes.push(`${which} cannot be created (${w.reason})${w.message ? `: ${clip(w.message)}` : ''}`)
      out.evidence.push(ev(`${at} ${c.name} state.waiting.reason`, w.reason, w.message ? clip(w.message) : undefined))
      out.steps.push('Container config: the message names what is missing or invalid (a Secret or ConfigMap key, a volume, the command): create it in the cluster, or fix the reference in Git.')
      out.where ??= 'cluster'
    } else if (last?.reason === 'OOMKilled' && (w?.reason === 'CrashLoopBackOff' || c.restarts > 0 || c.terminated)) {
      out.causes.push(`${which} was killed for using more memory than its limit (OOMKilled, exit code ${last.exitCode ?? 137}${c.restarts ? `, ${c.restarts} restarts` : ''})`)
      out.evidence.push(ev(`${at} ${c.name} lastState.terminated.reason`, 'OOMKilled', `exit code ${last.exitCode ?? 137}`))
      out.steps.push(`Memory: raise resources.limits.memory of container ${q(c.name)} in Git (or find what makes it use more: ${sh('kubectl', 'logs', pod.name, '-n', pod.namespace, '-c', c.name, '--previous')}).`)
      out.where ??= 'git'
    } else if (w?.reason === 'CrashLoopBackOff' || (last && last.exitCode !== undefined && last.exitCode !== 0)) {
      const detail = last ? `last exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}${last.message ? `, last message: ${clip(last.message, 200)}` : ''}` : 'no termination recorded'
      out.causes.push(`${which} ${w?.reason === 'CrashLoopBackOff' ? 'keeps crashing (CrashLoopBackOff)' : 'exited with an error'}: ${detail}`)
      out.evidence.push(ev(`${at} ${c.name} ${w?.reason ? 'state.waiting.reason' : 'state.terminated.exitCode'}`, w?.reason ?? last?.exitCode ?? null, c.restarts ? `${c.restarts} restarts` : undefined))
      out.steps.push(`Crash: read why it exits: ${sh('kubectl', 'logs', pod.name, '-n', pod.namespace, '-c', c.name, ...(c.restarts ? ['--previous'] : []))}`)
    }
  }
}

const CONDITION_NEXT: Record<string, string> = {
  ProgressDeadlineExceeded: 'The rollout made no progress within spec.progressDeadlineSeconds: its new Pods never became available (their cause is above, or in kubectl describe).',
  BackoffLimitExceeded: 'The Job\'s Pods failed spec.backoffLimit times; read the last Pod\'s logs.',
  DeadlineExceeded: 'The Job ran longer than spec.activeDeadlineSeconds.',
}

function conditionCauses(obj: WorkloadFacts, out: HealthCause): void {
  const id = `${obj.kind} ${obj.namespace ? `${obj.namespace}/` : ''}${obj.name}`
  for (const c of obj.conditions) {
    const bad = (c.type === 'Progressing' && c.status === 'False') || (c.type === 'Available' && c.status === 'False')
      || (c.type === 'ReplicaFailure' && c.status === 'True') || (c.type === 'Failed' && c.status === 'True')
    if (!bad) continue
    out.causes.push(`${obj.kind} condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${clip(c.message)}` : ''}`)
    out.evidence.push(ev(`${id} status.conditions[${c.type}]`, c.reason ?? c.status, c.message ? clip(c.message) : undefined))
    if (c.reason && CONDITION_NEXT[c.reason]) out.steps.push(CONDITION_NEXT[c.reason])
  }

  if (obj.suspended) {
    out.causes.push(`${obj.kind} ${obj.name} is ${obj.kind === 'Deployment' ? 'paused (spec.paused: true)' : 'suspended (spec.suspend: true)'}: no new ${obj.kind === 'CronJob' ? 'Jobs are scheduled' : 'Pods are started'}`)
    out.evidence.push(ev(`${id} ${obj.kind === 'Deployment' ? 'spec.paused' : 'spec.suspend'}`, true))
    out.steps.push(`If it should run, set ${obj.kind === 'Deployment' ? 'spec.paused' : 'spec.suspend'} to false in Git (a change made only in the cluster is reverted or reported as drift).`)
    out.where ??= 'git'
  }
}

/** The cause of one unhealthy resource from its bundle. Events already explained by a Pod state are not repeated. */
export function healthCause(bundle: HealthBundle): HealthCause {
  const out: HealthCause = {causes: [], evidence: [], steps: []}
  // The Pods first: a container that cannot pull or keeps crashing is why the workload's condition is what it is.
  if (bundle.pods?.status === 'found') for (const pod of bundle.pods.value.slice(0, 5)) podCauses(pod, out)
  if (bundle.object.status === 'found') conditionCauses(bundle.object.value, out)
  if (bundle.events?.status === 'found') {
    const seen = new Set<string>()
    for (const e of bundle.events.value) {
      const key = `${e.reason}:${e.message}`
      if (seen.has(key) || seen.size >= 5) continue
      seen.add(key)
      out.evidence.push(ev(`Event ${e.object} ${e.reason}`, clip(e.message), e.count && e.count > 1 ? `${e.count} times` : undefined))
      if (out.causes.length === 0) out.causes.push(`Warning Event on ${e.object}: ${e.reason}: ${clip(e.message)}`)
    }
  }

  out.steps = [...new Set(out.steps)]
  return out
}

/** The live bundle of one resource of the app and what it says, when a single-app explain read it. */
export function liveHealthOf(related: Related, r: {group?: string; kind: string; namespace?: string; name: string}): {bundle: HealthBundle; cause: HealthCause} | undefined {
  const bundle = related.health?.[liveKey(r)]
  return bundle ? {bundle, cause: healthCause(bundle)} : undefined
}
