/**
 * Gathering the live evidence of unhealthy resources (health.ts turns it into causes): which
 * resources to look at (pure), how to read them through the RelatedReader (bounded: a few
 * resources, their Pods, one Warning-Event list per namespace, each call under the client's
 * request timeout; a 403 or a timeout becomes "unreadable", never a failure), and how to find the
 * same objects in an -f file (a `kind: List` of Pods, Events and workloads), saying what it lacks.
 */
import {secondsSince, type Application, type ResourceStatus} from '../app.js'
import {sh} from '../shell.js'
import type {ContainerFacts, ContainerState, EventFacts, HealthBundle, ObjectCondition, PodFacts, WorkloadFacts} from './health.js'
import type {Lookup} from './types.js'
import {liveKey} from './util.js'

/** A resource whose health explain looks into. */
export interface HealthWant {
  apiVersion: string
  group: string
  kind: string
  namespace?: string
  name: string
  /** "group/Kind/namespace/name", the key of Related.health. */
  key: string
}

/** At most this many unhealthy resources are looked into per app. */
export const MAX_HEALTH_READS = 3
/** Pods kept per workload. */
const MAX_PODS = 5
/** Warning Events older than this are left out. */
export const EVENT_WINDOW_SECONDS = 3600

const WORKLOADS = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet', 'batch/Job'])
const HAS_PODS = (kind: string, group: string) => WORKLOADS.has(`${group}/${kind}`) || (!group && kind === 'Pod')


/** Unhealthy resources (Degraded first), at most MAX_HEALTH_READS. Pure. */
export function healthWants(app: Application): HealthWant[] {
  const rank: Record<string, number> = {Degraded: 0, Unknown: 1, Progressing: 2, Suspended: 3}
  const list = (app.status?.resources ?? []).filter((r) => r && rank[r.health?.status ?? ''] !== undefined && !r.hook)
  const results = app.status?.operationState?.syncResult?.resources ?? []
  const hooks: ResourceStatus[] = results.filter((r) => r.hookType && (r.hookPhase === 'Failed' || r.hookPhase === 'Error')).map((r) => ({...r, health: {status: 'Degraded'}}))
  // Argo CD 3.x keeps resource health in the app tree (status.resourceHealthSource: appTree): for an
  // unhealthy app, look at the resources that run Pods, since status.resources cannot say which is unhealthy.
  const appHealth = app.status?.health?.status
  const tree = app.status?.resourceHealthSource === 'appTree' && rank[appHealth ?? ''] !== undefined
    ? (app.status?.resources ?? []).filter((r) => r && !r.hook && !r.health?.status && HAS_PODS(r.kind, r.group ?? ''))
    : []
  const out: HealthWant[] = []
  for (const r of [...hooks, ...list.sort((a, b) => rank[a.health!.status!] - rank[b.health!.status!]), ...tree]) {
    const group = r.group ?? ''
    const version = r.version || (group === '' || group === 'batch' || group === 'apps' ? 'v1' : undefined)
    if (!version || out.some((w) => w.key === liveKey(r))) continue
    out.push({apiVersion: group ? `${group}/${version}` : version, group, kind: r.kind, namespace: r.namespace, name: r.name, key: liveKey(r)})
    if (out.length >= MAX_HEALTH_READS) break
  }

  return out
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined)

function stateOf(s: any): ContainerState | undefined {
  if (!s || typeof s !== 'object') return undefined
  const out: ContainerState = {}
  if (str(s.reason)) out.reason = s.reason
  if (str(s.message)) out.message = String(s.message).trim()
  if (typeof s.exitCode === 'number') out.exitCode = s.exitCode
  return out
}

function conditionsOf(obj: Record<string, any>): ObjectCondition[] {
  const list: any[] = Array.isArray(obj.status?.conditions) ? obj.status.conditions : []
  return list.filter((c) => c?.type).map((c) => ({type: String(c.type), status: String(c.status ?? ''), reason: str(c.reason), message: str(c.message)}))
}

/** The facts of an unhealthy resource. Pure. */
export function workloadFacts(obj: Record<string, any>): WorkloadFacts {
  const kind = String(obj.kind ?? '')
  const labels = obj.spec?.selector?.matchLabels
  const out: WorkloadFacts = {kind, namespace: obj.metadata?.namespace, name: String(obj.metadata?.name ?? ''), conditions: conditionsOf(obj)}
  if (obj.spec?.suspend === true || (kind === 'Deployment' && obj.spec?.paused === true)) out.suspended = true
  if (labels && typeof labels === 'object' && Object.keys(labels).length > 0) out.selector = Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`).join(',')
  return out
}

/** The facts of a Pod: what kubectl describe pod shows about why it is not running. Pure. */
export function podFacts(obj: Record<string, any>): PodFacts {
  const status = obj.status ?? {}
  const images = new Map<string, string>()
  for (const c of [...(obj.spec?.initContainers ?? []), ...(obj.spec?.containers ?? [])]) if (c?.name) images.set(c.name, c.image)
  const containers = (list: unknown, init: boolean): ContainerFacts[] => (Array.isArray(list) ? list : []).filter((s: any) => s?.name).map((s: any) => {
    const c: ContainerFacts = {name: String(s.name), image: str(s.image) ?? images.get(s.name), restarts: Number(s.restartCount ?? 0)}
    if (init) c.init = true
    const waiting = stateOf(s.state?.waiting)
    const terminated = stateOf(s.state?.terminated)
    const last = stateOf(s.lastState?.terminated)
    if (waiting) c.waiting = waiting
    if (terminated) c.terminated = terminated
    if (last) c.lastTerminated = last
    return c
  })
  const scheduled = conditionsOf(obj).find((c) => c.type === 'PodScheduled' && c.status === 'False')
  const out: PodFacts = {
    namespace: String(obj.metadata?.namespace ?? ''),
    name: String(obj.metadata?.name ?? ''),
    phase: str(status.phase),
    containers: [...containers(status.initContainerStatuses, true), ...containers(status.containerStatuses, false)],
  }
  if (scheduled) out.unschedulable = scheduled
  if (str(status.reason)) out.reason = status.reason
  if (str(status.message)) out.message = status.message
  return out
}

/** Warning Events of the last hour on the resource or its Pods/ReplicaSets (named after it), newest first. Pure. */
export function eventFacts(events: Array<Record<string, any>>, want: {name: string; kind: string}, podNames: string[], now: Date): EventFacts[] {
  const names = new Set([want.name, ...podNames])
  const out: Array<EventFacts & {t: number}> = []
  for (const e of events) {
    if (e?.type !== 'Warning') continue
    const obj = e.involvedObject ?? e.regarding ?? {}
    const name = String(obj.name ?? '')
    if (!names.has(name) && !name.startsWith(`${want.name}-`)) continue
    const last = toIso(e.lastTimestamp) ?? toIso(e.eventTime) ?? toIso(e.series?.lastObservedTime) ?? toIso(e.firstTimestamp) ?? toIso(e.metadata?.creationTimestamp)
    const age = secondsSince(last, now)
    if (age !== undefined && age > EVENT_WINDOW_SECONDS) continue
    out.push({object: `${obj.kind ?? '?'}/${name}`, reason: String(e.reason ?? ''), message: String(e.message ?? e.note ?? '').trim(), count: typeof e.count === 'number' ? e.count : undefined, last, t: last ? Date.parse(last) : 0})
  }

  return out.sort((a, b) => b.t - a.t).map(({t: _t, ...rest}) => rest)
}

function toIso(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString().replace(/\.\d+Z$/, 'Z')
  return typeof value === 'string' && value ? value : undefined
}

function podsOfWorkload(pods: Array<Record<string, any>>, want: HealthWant, selector: string | undefined): Array<Record<string, any>> {
  if (!want.group && want.kind === 'Pod') return pods.filter((p) => p.metadata?.name === want.name)
  if (!selector) return []
  const pairs = selector.split(',').map((kv) => kv.split('='))
  return pods.filter((p) => p.metadata?.namespace === want.namespace && pairs.every(([k, v]) => p.metadata?.labels?.[k] === v))
}

/** Failing Pods first: those say why. */
function worstPodsFirst(pods: PodFacts[]): PodFacts[] {
  const bad = (p: PodFacts) => (p.unschedulable || p.containers.some((c) => c.waiting || (c.terminated && c.terminated.exitCode !== 0)) ? 0 : 1)
  return [...pods].sort((a, b) => bad(a) - bad(b)).slice(0, MAX_PODS)
}

/** The part of the RelatedReader health evidence uses. */
export interface HealthReader {
  listPods(namespace: string, labelSelector: string): Promise<Array<Record<string, any>>>
  readResource?(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<Record<string, any>>
  /** Warning Events of a namespace (fieldSelector type=Warning). */
  listEvents?(namespace: string, fieldSelector: string): Promise<Array<Record<string, any>>>
}

type Look = <T>(what: string, read: () => Promise<T>) => Promise<Lookup<T>>

/** Read the bundles for `wants`; `look` turns errors into notes (related.ts's lookup). */
export async function gatherHealth(reader: HealthReader, wants: HealthWant[], now: Date, look: Look): Promise<Record<string, HealthBundle>> {
  const out: Record<string, HealthBundle> = {}
  const eventLists = new Map<string, Promise<Lookup<Array<Record<string, any>>>>>()
  const eventsOf = (ns: string) => {
    if (!reader.listEvents) return Promise.resolve<Lookup<Array<Record<string, any>>>>({status: 'unreadable', reason: 'not supported'})
    if (!eventLists.has(ns)) eventLists.set(ns, look(`Warning Events in ${ns}`, () => reader.listEvents!(ns, 'type=Warning')))
    return eventLists.get(ns)!
  }

  await Promise.all(wants.map(async (want) => {
    const what = `${want.kind} ${want.namespace ? `${want.namespace}/` : ''}${want.name}`
    const object = reader.readResource
      ? await look(what, async () => workloadFacts(await reader.readResource!(want.apiVersion, want.kind, want.namespace, want.name)))
      : {status: 'unreadable', reason: 'not supported'} as const
    const bundle: HealthBundle = {object, lacks: []}
    let podNames: string[] = []
    if (want.namespace && HAS_PODS(want.kind, want.group)) {
      const selector = object.status === 'found' ? object.value.selector : undefined
      if (!want.group && want.kind === 'Pod') {
        bundle.pods = object.status === 'found' && reader.readResource ? await look(`Pod ${want.namespace}/${want.name}`, async () => [podFacts(await reader.readResource!('v1', 'Pod', want.namespace, want.name))]) : undefined
      } else if (selector) {
        bundle.pods = await look(`pods -l ${selector} in ${want.namespace}`, async () => worstPodsFirst((await reader.listPods(want.namespace!, selector)).map((p) => podFacts(p))))
      }

      if (bundle.pods?.status === 'found') podNames = bundle.pods.value.map((p) => p.name)
    }

    if (want.namespace) {
      const events = await eventsOf(want.namespace)
      bundle.events = events.status === 'found' ? {status: 'found', value: eventFacts(events.value, want, podNames, now)} : events
    }

    out[want.key] = bundle
  }))
  return out
}

const objectGroup = (o: Record<string, any>) => (String(o.apiVersion ?? '').includes('/') ? String(o.apiVersion).split('/')[0] : '')

/** The same bundles from the objects of an -f file; what the file lacks is said, with the command that adds it. Pure. */
export function healthFromFile(objects: Array<Record<string, any>>, wants: HealthWant[], now: Date): Record<string, HealthBundle> {
  const out: Record<string, HealthBundle> = {}
  const pods = objects.filter((o) => o.kind === 'Pod' && !objectGroup(o))
  const events = objects.filter((o) => o.kind === 'Event')
  for (const want of wants) {
    const ns = want.namespace ? ['-n', want.namespace] : []
    const kind = `${want.kind.toLowerCase()}${want.group ? `.${want.group}` : ''}`
    const found = objects.find((o) => o.kind === want.kind && objectGroup(o) === want.group && o.metadata?.name === want.name && (o.metadata?.namespace ?? undefined) === want.namespace)
    const bundle: HealthBundle = {object: found ? {status: 'found', value: workloadFacts(found)} : {status: 'unreadable', reason: 'not in the -f file'}, lacks: []}
    if (!found) bundle.lacks.push(`the ${want.kind} itself (${sh('kubectl', 'get', kind, want.name, ...ns, '-o', 'yaml')})`)
    if (want.namespace && HAS_PODS(want.kind, want.group)) {
      const selector = found ? workloadFacts(found).selector : undefined
      const mine = podsOfWorkload(pods, want, selector)
      if (mine.length > 0) bundle.pods = {status: 'found', value: worstPodsFirst(mine.map((p) => podFacts(p)))}
      else bundle.lacks.push(`its Pods (${sh('kubectl', 'get', 'pods', ...ns, ...(selector ? ['-l', selector] : []), '-o', 'yaml')})`)
    }

    if (want.namespace) {
      const inNs = events.filter((e) => (e.metadata?.namespace ?? e.involvedObject?.namespace) === want.namespace)
      if (events.length > 0) bundle.events = {status: 'found', value: eventFacts(inNs, want, bundle.pods?.status === 'found' ? bundle.pods.value.map((p) => p.name) : [], now)}
      else bundle.lacks.push(`the Warning Events (${sh('kubectl', 'get', 'events', ...ns, '--field-selector', 'type=Warning', '-o', 'yaml')})`)
    }

    out[want.key] = bundle
  }

  return out
}
