import jsonpatch from 'fast-json-patch'
/**
 * The one module that reads objects besides the Application: the few that sharpen a diagnosis
 * or that a recipe needs (AppProject sync windows, HPAs, hook Jobs, …), and how to get them.
 * `relatedWants` is pure (which reads would help for this app); `gatherRelated` performs them
 * through any reader with the Cluster's methods and turns 403/404/timeouts into notes, never
 * into failures; `relatedFromFile` takes them from an -f file instead. Only single-app explain
 * gathers; --all never does per-app reads. AppSource.readRelated is how callers reach these.
 */
import {refOf, secondsSince, type Application} from '../app.js'
import {DoctorError} from '../errors.js'
import {operationFacts} from '../operation.js'
import type {KubeObject} from '../source.js'
import type {FieldRef, HpaInfo, JobSummary, LiveObject, Lookup, PodSummary, ProjectSummary, Related} from './types.js'
import {ARGOCD_FACTS} from '../argocd-facts.js'
export {liveKey} from './util.js'
import {liveKey} from './util.js'
import {gatherHealth, healthFromFile, healthWants, type HealthWant} from './health-evidence.js'

/**
 * Objects besides Applications that an -f file may hold, for what would otherwise be read from the
 * cluster — the app's AppProject (sync windows) and its HorizontalPodAutoscalers (which workload
 * they scale), e.g.
 *   { kubectl get app my-app -n argocd -o yaml; echo ---; kubectl get hpa -n my-ns -o yaml; } > app.yaml
 */
export function hpaInfoOf(obj: KubeObject): HpaInfo {
  const ref = obj.spec?.scaleTargetRef as {apiVersion?: string; kind?: string; name?: string} | undefined
  return {
    namespace: obj.metadata?.namespace ?? '',
    name: obj.metadata?.name ?? '',
    target: ref?.kind && ref.name ? {apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name} : undefined,
    unreadable: ref?.kind && ref.name ? undefined : 'it has no spec.scaleTargetRef',
  }
}

export const isHpa = (o: KubeObject) => o.kind === 'HorizontalPodAutoscaler' && String(o.apiVersion ?? '').startsWith('autoscaling/')
export const isAppProject = (o: KubeObject) => o.kind === 'AppProject' && String(o.apiVersion ?? '').startsWith('argoproj.io/')

export const CONTROLLER_SELECTOR = 'app.kubernetes.io/name=argocd-application-controller'
export const SERVER_SELECTOR = 'app.kubernetes.io/name=argocd-server'
const SECRET = 'argocd-secret'
const MAX_JOBS = 3
const MAX_HPAS = 10

/** The subset of Cluster that diagnosis reads with. */
export interface RelatedReader {
  getProject(namespace: string, name: string): Promise<Record<string, any>>
  readObject(kind: 'Secret' | 'ConfigMap' | 'Job', namespace: string, name: string): Promise<Record<string, any>>
  listPods(namespace: string, labelSelector: string): Promise<Array<Record<string, any>>>
  readHorizontalPodAutoscaler?(namespace: string, name: string): Promise<Record<string, any>>
  /** Any resource by apiVersion/kind (namespace undefined: cluster-scoped). */
  readResource?(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<Record<string, any>>
  /** Events of a namespace matching a field selector (type=Warning). */
  listEvents?(namespace: string, fieldSelector: string): Promise<Array<Record<string, any>>>
}

/** A resource named in status.resources that diagnosis reads live. */
export interface LiveWant {
  apiVersion: string
  group: string
  kind: string
  namespace?: string
  name: string
}

const MAX_LIVE = 3

export interface RelatedWants {
  project?: {namespace: string; name: string}
  jobs: Array<{namespace: string; name: string}>
  argocdSecret?: {namespace: string}
  controllerPods?: {namespace: string}
  /** The Argo CD version: the controller pods' image, else its StatefulSet's or Deployment's (controllerVersion). */
  argocdVersion?: {namespace: string}
  hpas: Array<{namespace: string; name: string}>
  /** The resource a sync waits for ("waiting for healthy state of …") and OutOfSync resources no built-in rule explains. */
  live: LiveWant[]
  /** Unhealthy resources to look into: the resource, its Pods, the Warning Events of the last hour. */
  health?: HealthWant[]
  /** The time the diagnosis is made as of (Events older than an hour before it are left out). */
  asOf?: Date
}

const NO_WANTS: RelatedWants = {jobs: [], hpas: [], live: []}

/** The app's AppProject (its sync windows): what force-presync checks before starting a sync. */
export function projectWants(app: Application): RelatedWants {
  return {...NO_WANTS, project: {namespace: app.status?.controllerNamespace || refOf(app).namespace, name: app.spec?.project || 'default'}}
}

/** Every HPA listed in the app's resources: which workloads they scale (ignore-status's replicas rule). */
export function hpaWants(app: Application): RelatedWants {
  return {...NO_WANTS, hpas: (app.status?.resources ?? []).filter((r) => r.kind === 'HorizontalPodAutoscaler' && r.group === 'autoscaling').map((r) => ({namespace: r.namespace ?? '', name: r.name}))}
}


const KNOWN_DRIFT = (r: {group?: string; kind: string}) => ['apiregistration.k8s.io', 'apiextensions.k8s.io', 'external-secrets.io'].includes(r.group ?? '')

/** Which related reads would change or sharpen the diagnosis of this app. Pure. */
export function relatedWants(app: Application, now: Date): RelatedWants {
  const {namespace} = refOf(app)
  const cns = app.status?.controllerNamespace || namespace
  const facts = operationFacts(app, now)
  const resources = app.status?.resources ?? []
  const results = app.status?.operationState?.syncResult?.resources ?? []
  const conditions = app.status?.conditions ?? []
  const wants: RelatedWants = {jobs: [], hpas: [], live: []}

  if (facts.inProgress || conditions.some((c) => /project/i.test(c.message ?? ''))) {
    wants.project = {namespace: cns, name: app.spec?.project || 'default'}
  }

  const jobs = new Map<string, {namespace: string; name: string}>()
  const addJob = (ns: string | undefined, name: string) => {
    if (ns && jobs.size < MAX_JOBS) jobs.set(`${ns}/${name}`, {namespace: ns, name})
  }

  const w = facts.waiting
  if (facts.inProgress && w?.what === 'completion of hook' && w.kind === 'Job') {
    const ns = results.find((r) => r.kind === 'Job' && r.name === w.name)?.namespace
      ?? resources.find((r) => r.kind === 'Job' && r.name === w.name)?.namespace
      ?? app.spec?.destination?.namespace
    addJob(ns, w.name)
  }

  if (facts.inProgress) for (const r of results) if (r.kind === 'Job' && r.hookType && r.hookPhase === 'Running') addJob(r.namespace, r.name)
  wants.jobs = [...jobs.values()]

  const managesControlPlane = app.spec?.destination?.namespace === cns
    || resources.some((r) => r.namespace === cns)
    || results.some((r) => r.kind === 'Secret' && r.name === SECRET)
  if (managesControlPlane) wants.argocdSecret = {namespace: cns}

  const reconciledAgo = secondsSince(app.status?.reconciledAt, now)
  if (facts.inProgress || reconciledAgo === undefined || reconciledAgo >= ARGOCD_FACTS.controllerAlive || app.metadata.deletionTimestamp) {
    wants.controllerPods = {namespace: cns}
  }

  wants.argocdVersion = {namespace: cns}
  const scalableOutOfSync = resources.some((r) => r.status === 'OutOfSync' && (r.group ?? '') === 'apps' && (r.kind === 'Deployment' || r.kind === 'StatefulSet'))
  if (scalableOutOfSync) {
    wants.hpas = resources.filter((r) => r.kind === 'HorizontalPodAutoscaler' && r.namespace).slice(0, MAX_HPAS).map((r) => ({namespace: r.namespace!, name: r.name}))
  }

  const live = new Map<string, LiveWant>()
  const addLive = (r: {group?: string; version?: string; kind: string; namespace?: string; name: string}) => {
    const group = r.group ?? ''
    const version = r.version || (group === '' || group === 'batch' || group === 'apps' ? 'v1' : undefined)
    if (!version || live.size >= MAX_LIVE) return
    live.set(liveKey(r), {apiVersion: group ? `${group}/${version}` : version, group, kind: r.kind, namespace: r.namespace, name: r.name})
  }

  if (facts.inProgress && w?.what === 'healthy state of' && !facts.selfWait) {
    const r = resources.find((x) => x.kind === w.kind && x.name === w.name && (x.group ?? '') === w.group)
    if (r) addLive(r)
  }

  // Drift with no change in Git: who wrote the live object (its managedFields) names the field.
  if (!facts.inProgress && app.status?.operationState?.phase === 'Succeeded') {
    for (const r of resources) if (r.status === 'OutOfSync' && !r.hook && !r.requiresPruning && !KNOWN_DRIFT(r) && !(r.kind === 'Secret' && r.name === SECRET)) addLive(r)
  }

  wants.live = [...live.values()]
  wants.health = healthWants(app)
  wants.asOf = now
  return wants
}

const ARGO_MANAGERS = /^(?:argocd-controller|argocd-application-controller|argocd-server|kubectl-client-side-apply|helm)$/

/** Paths of the leaves of a managedFields fieldsV1 tree (status and most metadata left out). */
export function fieldsOf(tree: unknown, limit = 8): FieldRef[] {
  const out: FieldRef[] = []
  const walk = (node: unknown, segs: Array<{key: string} | {select: Record<string, unknown>} | {value: unknown}>) => {
    if (out.length >= limit || !node || typeof node !== 'object') return
    const keys = Object.keys(node as Record<string, unknown>).filter((k) => k !== '.')
    if (keys.length === 0) {
      if (segs.length > 0) out.push(refOfSegs(segs))
      return
    }

    for (const k of keys) {
      const child = (node as Record<string, unknown>)[k]
      if (k.startsWith('f:')) {
        const key = k.slice(2)
        if (segs.length === 0 && (key === 'status' || key === 'apiVersion' || key === 'kind')) continue
        if (segs.length === 1 && 'key' in segs[0] && segs[0].key === 'metadata' && !['annotations', 'labels'].includes(key)) continue
        walk(child, [...segs, {key}])
      } else if (k.startsWith('k:')) {
        try {
          walk(child, [...segs, {select: JSON.parse(k.slice(2)) as Record<string, unknown>}])
        } catch {
          // not JSON: skip the entry
        }
      } else if (k.startsWith('v:')) {
        try {
          walk(child, [...segs, {value: JSON.parse(k.slice(2))}])
        } catch {
          // skip
        }
      }
    }
  }

  walk(tree, [])
  return out
}

type Seg = {key: string} | {select: Record<string, unknown>} | {value: unknown}

function refOfSegs(segs: Seg[]): FieldRef {
  const plain = segs.every((s) => 'key' in s)
  let jq = ''
  for (const s of segs) {
    if ('key' in s) jq += /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.key) ? `.${s.key}` : `[${JSON.stringify(s.key)}]`
    else if ('select' in s) jq += `[] | select(${Object.entries(s.select).map(([k, v]) => `.${k} == ${JSON.stringify(v)}`).join(' and ')}) | `
    else jq += '[]'
  }

  jq = jq.replace(/\| \./g, '| .').replace(/ \| $/, '')
  return plain ? {pointer: '/' + segs.map((s) => ('key' in s ? jsonpatch.escapePathComponent(s.key) : '')).join('/'), jq} : {jq}
}

/** The facts diagnosis uses from a live resource. Pure. */
export function liveObjectOf(obj: Record<string, any>): LiveObject {
  const kind = String(obj.kind ?? '')
  const status = obj.status ?? {}
  const out: LiveObject = {apiVersion: obj.apiVersion, kind, namespace: obj.metadata?.namespace, name: String(obj.metadata?.name ?? '')}
  if (kind === 'PersistentVolumeClaim') {
    out.phase = status.phase
    out.storageClassName = obj.spec?.storageClassName
  }

  if (kind === 'Rollout' || kind === 'Deployment') {
    const reasons: string[] = (Array.isArray(status.pauseConditions) ? status.pauseConditions : []).map((c: any) => String(c?.reason ?? '')).filter(Boolean)
    out.paused = Boolean(obj.spec?.paused) || reasons.length > 0
    if (reasons.length) out.pauseReasons = reasons
  }

  if (kind === 'Job') out.active = status.active ?? 0
  const managed: any[] = Array.isArray(obj.metadata?.managedFields) ? obj.metadata.managedFields : []
  const writers = managed
    .filter((m) => m && !m.subresource && m.manager && !ARGO_MANAGERS.test(String(m.manager)))
    .map((m) => ({manager: String(m.manager), operation: m.operation, time: toIso(m.time), fields: fieldsOf(m.fieldsV1)}))
    .filter((m) => m.fields.length > 0)
    .sort((a, b) => String(b.time ?? '').localeCompare(String(a.time ?? '')))
  if (writers.length) out.writers = writers
  const changed = changedSinceLastApplied(obj)
  if (changed?.length) out.changedSinceApply = changed
  return out
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/**
 * Fields Argo CD applied (client-side apply keeps what it applied in the last-applied-configuration
 * annotation) whose live value differs now: someone changed them after the sync. Only paths are
 * returned, never values. Secrets are skipped (their data is never read).
 */
export function changedSinceLastApplied(obj: Record<string, any>, limit = 8): FieldRef[] | undefined {
  const text = obj.metadata?.annotations?.[LAST_APPLIED]
  if (typeof text !== 'string' || (obj.kind === 'Secret' && !String(obj.apiVersion ?? '').includes('/'))) return undefined
  let applied: unknown
  try {
    applied = JSON.parse(text)
  } catch {
    return undefined
  }

  return changedFields(applied, obj, limit)
}

/**
 * The fields of `want` (what was applied, or what Git holds) whose value in `obj` (the live object)
 * differs; what the API server adds (defaults) is not a change. Paths only, never values.
 */
export function changedFields(applied: unknown, obj: Record<string, any>, limit = 8): FieldRef[] {
  const out: FieldRef[] = []
  const isMap = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v)
  // Is everything Argo CD applied still there (the API server adds defaults, which are not changes)?
  const within = (want: unknown, live: unknown): boolean => {
    if (isMap(want)) return isMap(live) && Object.entries(want).every(([k, v]) => within(v, live[k]))
    if (Array.isArray(want)) return Array.isArray(live) && want.length === live.length && want.every((v, i) => within(v, live[i]))
    return want === live || (want === null && live === undefined) || (typeof want !== 'object' && String(want) === String(live))
  }

  const walk = (want: unknown, live: unknown, segs: Seg[]) => {
    if (out.length >= limit || within(want, live)) return
    const top = segs.length > 0 && 'key' in segs[0] ? segs[0].key : ''
    if (segs.length === 1 && ['status', 'apiVersion', 'kind'].includes(top)) return
    const second = segs.length > 1 && 'key' in segs[1] ? segs[1].key : ''
    if (segs.length === 2 && top === 'metadata' && !['labels', 'annotations'].includes(second)) return
    if (segs.length === 3 && second === 'annotations' && 'key' in segs[2] && segs[2].key === LAST_APPLIED) return
    if (isMap(want) && isMap(live)) {
      for (const [k, v] of Object.entries(want)) walk(v, live[k], [...segs, {key: k}])
      return
    }

    // Lists of named elements (containers, env, ports): address the element by name, not by position.
    if (Array.isArray(want) && Array.isArray(live) && want.every((w) => isMap(w) && typeof w.name === 'string')) {
      const before = out.length
      for (const w of want as Array<Record<string, unknown>>) {
        const l = live.find((x) => isMap(x) && x.name === w.name)
        if (l === undefined) continue
        for (const [k, v] of Object.entries(w)) if (k !== 'name') walk(v, (l as Record<string, unknown>)[k], [...segs, {select: {name: w.name}}, {key: k}])
      }

      if (out.length > before) return
    }

    out.push(refOfSegs(segs))
  }

  walk(applied, obj, [])
  return out
}


function describeFailure(error: unknown): string {
  if (error instanceof DoctorError) {
    if (error.code === 'FORBIDDEN') return 'forbidden by RBAC'
    if (error.code === 'UNREACHABLE') return 'the API server did not answer'
    return error.message
  }

  return (error as Error)?.message ?? String(error)
}

async function lookup<T>(what: string, notes: string[], read: () => Promise<T>, missingIsAnswer = true): Promise<Lookup<T>> {
  try {
    return {status: 'found', value: await read()}
  } catch (error) {
    if (error instanceof DoctorError && error.code === 'NOT_FOUND' && missingIsAnswer) return {status: 'missing'}
    const reason = describeFailure(error)
    notes.push(`Could not read ${what} (${reason}); the diagnosis does without it.`)
    return {status: 'unreadable', reason}
  }
}

export function projectSummary(obj: Record<string, any>): ProjectSummary {
  return {
    name: obj.metadata?.name ?? '',
    syncWindows: Array.isArray(obj.spec?.syncWindows) ? obj.spec.syncWindows : [],
    sourceNamespaces: Array.isArray(obj.spec?.sourceNamespaces) ? obj.spec.sourceNamespaces : [],
  }
}

export function jobSummary(obj: Record<string, any>): JobSummary {
  const status = obj.status ?? {}
  return {
    namespace: obj.metadata?.namespace ?? '',
    name: obj.metadata?.name ?? '',
    active: status.active ?? 0,
    succeeded: status.succeeded ?? 0,
    failed: status.failed ?? 0,
    startTime: toIso(status.startTime),
    completionTime: toIso(status.completionTime),
    conditions: (Array.isArray(status.conditions) ? status.conditions : []).filter((c: any) => c?.status === 'True').map((c: any) => String(c.type)),
    ttlSecondsAfterFinished: obj.spec?.ttlSecondsAfterFinished,
  }
}

/** client-node turns timestamps into Date objects; the API (and files) have strings. */
function toIso(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString().replace(/\.000Z$/, 'Z')
  return typeof value === 'string' ? value : undefined
}

export function podSummary(obj: Record<string, any>): PodSummary {
  const statuses: any[] = Array.isArray(obj.status?.containerStatuses) ? obj.status.containerStatuses : []
  const lastMessage = statuses.map((s) => s?.lastState?.terminated?.message ?? s?.state?.terminated?.message).find((m) => typeof m === 'string' && m.trim()) as string | undefined
  const summary: PodSummary = {
    name: obj.metadata?.name ?? '',
    phase: obj.status?.phase,
    ready: statuses.length > 0 && statuses.every((s) => s?.ready),
    restarts: statuses.reduce((n, s) => n + (s?.restartCount ?? 0), 0),
    waitingReason: statuses.map((s) => s?.state?.waiting?.reason).find(Boolean),
    image: obj.spec?.containers?.[0]?.image ?? statuses[0]?.image,
  }
  // A container's own text: control bytes (terminal escapes) never reach the output.
  // eslint-disable-next-line no-control-regex
  if (lastMessage) summary.lastMessage = lastMessage.trim().slice(-300).replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '?')
  return summary
}

/** "quay.io/argoproj/argocd:v3.5.3" → "v3.5.3"; also the app.kubernetes.io/version label. */
export function argocdVersionOf(pods: Array<Record<string, any>>): string | undefined {
  for (const pod of pods) {
    const images: string[] = (pod.spec?.containers ?? []).map((c: any) => String(c?.image ?? ''))
    for (const image of images) {
      const tag = /:(v?\d+\.\d+\.\d+[\w.+-]*)(?:@sha256:[0-9a-f]+)?$/.exec(image)?.[1]
      if (tag && /argocd/.test(image)) return tag.startsWith('v') ? tag : `v${tag}`
    }

    const label = pod.metadata?.labels?.['app.kubernetes.io/version']
    if (typeof label === 'string' && /^v?\d+\.\d+\.\d+/.test(label)) return label.startsWith('v') ? label : `v${label}`
  }

  return undefined
}

const CONTROLLER = 'argocd-application-controller'

/**
 * The Argo CD version the application-controller runs, read live: the image tag of its pods (what
 * runs), else of its StatefulSet (upstream's install.yaml) or Deployment (dynamic cluster
 * distribution) named argocd-application-controller — upstream's install manifests carry the
 * version only on images; the Helm chart's app.kubernetes.io/version label counts too. Never throws.
 */
async function controllerVersion(reader: RelatedReader, namespace: string, pods: Promise<Lookup<Array<Record<string, any>>>>): Promise<{version?: string; from: string}> {
  const listed = await pods
  if (listed.status === 'found') {
    const pod = listed.value.find((p) => argocdVersionOf([p]))
    if (pod) return {version: argocdVersionOf([pod]), from: `image of pod ${namespace}/${pod.metadata?.name ?? ''}`}
  }

  if (!reader.readResource) return {from: `no ${CONTROLLER} pod shows it`}
  let why = `no ${CONTROLLER} pod, StatefulSet or Deployment in ${namespace} shows it`
  for (const kind of ['StatefulSet', 'Deployment']) {
    try {
      const w = await reader.readResource('apps/v1', kind, namespace, CONTROLLER)
      const version = argocdVersionOf([{metadata: w.metadata, spec: w.spec?.template?.spec}])
      if (version) return {version, from: `image of ${kind} ${namespace}/${CONTROLLER}`}
    } catch (error) {
      if (!(error instanceof DoctorError && error.code === 'NOT_FOUND')) why = `could not read the ${CONTROLLER} ${kind} in ${namespace}: ${describeFailure(error)}`
    }
  }

  return {from: why}
}

/** Read what `wants` asks for, in parallel. Never throws for a related object. */
export async function gatherRelated(reader: RelatedReader, app: Application, wants: RelatedWants): Promise<Related> {
  const notes: string[] = []
  const related: Related = {notes}
  const tasks: Array<Promise<void>> = []

  if (wants.project) {
    const {namespace, name} = wants.project
    tasks.push(lookup(`AppProject ${namespace}/${name}`, notes, async () => projectSummary(await reader.getProject(namespace, name))).then((l) => {
      related.project = l
    }))
  }

  if (wants.jobs.length > 0) {
    related.jobs = {}
    for (const {namespace, name} of wants.jobs) {
      tasks.push(lookup(`Job ${namespace}/${name}`, notes, async () => jobSummary(await reader.readObject('Job', namespace, name))).then((l) => {
        related.jobs![`${namespace}/${name}`] = l
      }))
    }
  }

  if (wants.argocdSecret) {
    const {namespace} = wants.argocdSecret
    // Existence only: readObject drops data/stringData, and only the name is kept here. The default
    // RBAC does not grant this read (any Secret read returns its data to the caller, and argocd-secret
    // holds the JWT signing key), so a 403 is expected and is not a failure.
    const secretNotes: string[] = []
    tasks.push(lookup(`Secret ${namespace}/${SECRET}`, secretNotes, async () => {
      const secret = await reader.readObject('Secret', namespace, SECRET)
      return {namespace, name: String(secret.metadata?.name ?? SECRET)}
    }).then((l) => {
      related.argocdSecret = l
      if (l.status === 'unreadable' && l.reason === 'forbidden by RBAC') {
        notes.push(`Did not check whether Secret ${namespace}/${SECRET} exists: the default RBAC (deploy/rbac.yaml) grants no Secret reads; the diagnosis uses the app's sync result and the argocd-server pods instead (deploy/rbac-secret-check.yaml adds the check, at a cost it explains).`)
      } else {
        notes.push(...secretNotes)
      }
    }))
    tasks.push(lookup(`pods -l ${SERVER_SELECTOR} in ${namespace}`, notes, async () => reader.listPods(namespace, SERVER_SELECTOR), false).then((l) => {
      related.serverPods = l.status === 'found' ? {status: 'found', value: l.value.map((p) => podSummary(p)), namespace} : {...l, namespace} as Related['serverPods']
    }))
  }

  // One LIST of the controller pods serves both: the pods (when the diagnosis wants them) and the version.
  const podsNs = wants.controllerPods?.namespace ?? wants.argocdVersion?.namespace
  const pods = podsNs === undefined ? undefined
    : lookup(`pods -l ${CONTROLLER_SELECTOR} in ${podsNs}`, wants.controllerPods ? notes : [], async () => reader.listPods(podsNs, CONTROLLER_SELECTOR), false)
  if (wants.controllerPods && pods) {
    const {namespace} = wants.controllerPods
    tasks.push(pods.then((l) => {
      related.controllerPods = l.status === 'found' ? {status: 'found', value: l.value.map((p) => podSummary(p)), namespace} : {...l, namespace} as Related['controllerPods']
    }))
  }

  if (podsNs !== undefined && pods) {
    tasks.push(controllerVersion(reader, podsNs, pods).then((v) => {
      related.argocdVersion = v.version
      related.argocdVersionFrom = v.from
    }))
  }

  if (wants.hpas.length > 0 && reader.readHorizontalPodAutoscaler) {
    const hpas: HpaInfo[] = []
    related.hpas = hpas
    for (const {namespace, name} of wants.hpas) {
      tasks.push(lookup(`HorizontalPodAutoscaler ${namespace}/${name}`, notes, async () => hpaInfoOf(await reader.readHorizontalPodAutoscaler!(namespace, name) as KubeObject)).then((l) => {
        hpas.push(l.status === 'found' ? l.value : {namespace, name, unreadable: l.status === 'missing' ? 'not found' : l.reason})
      }))
    }
  }

  if (wants.live.length > 0 && reader.readResource) {
    const live: NonNullable<Related['live']> = {}
    related.live = live
    for (const want of wants.live) {
      const what = `${want.kind} ${want.namespace ? `${want.namespace}/` : ''}${want.name}`
      tasks.push(lookup(what, notes, async () => {
        const value = liveObjectOf(await reader.readResource!(want.apiVersion, want.kind, want.namespace, want.name))
        // A Pending claim: whether its StorageClass binds on first consumer decides if the sync waits legitimately.
        if (value.kind === 'PersistentVolumeClaim' && value.phase === 'Pending' && value.storageClassName) {
          const sc = await lookup(`StorageClass ${value.storageClassName}`, notes, async () => reader.readResource!('storage.k8s.io/v1', 'StorageClass', undefined, value.storageClassName!))
          if (sc.status === 'found') value.volumeBindingMode = sc.value.volumeBindingMode
        }

        return value
      }).then((l) => {
        live[liveKey(want)] = l
      }))
    }
  }

  if (wants.health?.length) {
    tasks.push(gatherHealth(reader, wants.health, wants.asOf ?? new Date(), (what, read) => lookup(what, notes, read)).then((h) => {
      related.health = h
    }))
  }

  await Promise.all(tasks)
  notes.sort()
  return related
}

/**
 * Offline (-f): the related objects the file itself holds (AppProject, HPAs, Jobs). What `wants`
 * asks for and the file lacks is unreadable, with how to add it to the file.
 */
export function relatedFromFile(objects: KubeObject[], app: Application, wants: RelatedWants = NO_WANTS): Related {
  const related: Related = {notes: [], argocdVersionFrom: 'offline: a file does not say which Argo CD wrote it'}
  const projectName = app.spec?.project || 'default'
  const project = objects.find((o) => isAppProject(o) && o.metadata?.name === projectName)
  if (project) related.project = {status: 'found', value: projectSummary(project)}
  else if (wants.project) {
    related.project = {status: 'unreadable', reason: `offline, and the file holds no AppProject "${wants.project.name}" (append it: kubectl get appprojects.argoproj.io ${wants.project.name} -n ${wants.project.namespace} -o yaml)`}
  }

  const hpas = objects.filter((o) => isHpa(o)).map((o) => hpaInfoOf(o))
  for (const w of wants.hpas) {
    if (!hpas.some((h) => h.name === w.name && h.namespace === w.namespace)) hpas.push({...w, unreadable: 'offline, and it is not in the -f file'})
  }

  if (hpas.length > 0) related.hpas = hpas
  const jobs = objects.filter((o) => o.kind === 'Job' && String(o.apiVersion ?? '').startsWith('batch/'))
  if (jobs.length > 0) related.jobs = Object.fromEntries(jobs.map((j) => [`${j.metadata?.namespace}/${j.metadata?.name}`, {status: 'found', value: jobSummary(j)} as Lookup<JobSummary>]))
  // Objects the app names that were saved next to it (a PVC, a Rollout, a drifting Secret's metadata).
  const named = new Set((app.status?.resources ?? []).map((r) => liveKey(r)))
  const classes = objects.filter((o) => o.kind === 'StorageClass')
  for (const o of objects) {
    const group = String(o.apiVersion ?? '').includes('/') ? String(o.apiVersion).split('/')[0] : ''
    const key = liveKey({group, kind: String(o.kind ?? ''), namespace: o.metadata?.namespace, name: String(o.metadata?.name ?? '')})
    if (!named.has(key)) continue
    const value = liveObjectOf(o)
    if (value.storageClassName) value.volumeBindingMode = classes.find((c) => c.metadata?.name === value.storageClassName)?.volumeBindingMode
    related.live = {...related.live, [key]: {status: 'found', value}}
  }

  if (wants.health?.length) related.health = healthFromFile(objects, wants.health, wants.asOf ?? new Date())
  return related
}
