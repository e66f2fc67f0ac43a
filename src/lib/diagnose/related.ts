/**
 * The few objects besides the Application that sharpen a diagnosis, and how to get them.
 * `relatedWants` is pure (which reads would help for this app); `gatherRelated` performs them
 * through any reader with the Cluster's methods and turns 403/404/timeouts into notes, never
 * into failures. Only single-app explain gathers; --all never does per-app reads.
 */
import {refOf, secondsSince, type Application} from '../app.js'
import {DoctorError} from '../errors.js'
import {operationFacts} from '../operation.js'
import {hpaInfoOf, isAppProject, isHpa, type KubeObject} from '../related-file.js'
import type {HpaInfo, JobSummary, Lookup, PodSummary, ProjectSummary, Related} from './types.js'
import {THRESHOLDS} from './signatures/operation.js'

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
}

export interface RelatedWants {
  project?: {namespace: string; name: string}
  jobs: Array<{namespace: string; name: string}>
  argocdSecret?: {namespace: string}
  controllerPods?: {namespace: string}
  hpas: Array<{namespace: string; name: string}>
}

/** Which related reads would change or sharpen the diagnosis of this app. Pure. */
export function relatedWants(app: Application, now: Date): RelatedWants {
  const {namespace} = refOf(app)
  const cns = app.status?.controllerNamespace || namespace
  const facts = operationFacts(app, now)
  const resources = app.status?.resources ?? []
  const results = app.status?.operationState?.syncResult?.resources ?? []
  const conditions = app.status?.conditions ?? []
  const wants: RelatedWants = {jobs: [], hpas: []}

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
  if (facts.inProgress || reconciledAgo === undefined || reconciledAgo >= THRESHOLDS.controllerStale || app.metadata.deletionTimestamp) {
    wants.controllerPods = {namespace: cns}
  }

  const scalableOutOfSync = resources.some((r) => r.status === 'OutOfSync' && (r.group ?? '') === 'apps' && (r.kind === 'Deployment' || r.kind === 'StatefulSet'))
  if (scalableOutOfSync) {
    wants.hpas = resources.filter((r) => r.kind === 'HorizontalPodAutoscaler' && r.namespace).slice(0, MAX_HPAS).map((r) => ({namespace: r.namespace!, name: r.name}))
  }

  return wants
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

/** Read what `relatedWants` asks for, in parallel. Never throws for a related object. */
export async function gatherRelated(reader: RelatedReader, app: Application, now: Date): Promise<Related> {
  const wants = relatedWants(app, now)
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

  if (wants.controllerPods) {
    const {namespace} = wants.controllerPods
    tasks.push(lookup(`pods -l ${CONTROLLER_SELECTOR} in ${namespace}`, notes, async () => reader.listPods(namespace, CONTROLLER_SELECTOR), false).then((l) => {
      if (l.status === 'found') {
        related.argocdVersion = argocdVersionOf(l.value)
        related.controllerPods = {status: 'found', value: l.value.map((p) => podSummary(p)), namespace}
      } else {
        related.controllerPods = {...l, namespace} as Related['controllerPods']
      }
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

  await Promise.all(tasks)
  notes.sort()
  return related
}

/** Offline (-f): the related objects the file itself holds (AppProject, HPAs, Jobs). */
export function relatedFromFile(objects: KubeObject[], app: Application): Related {
  const related: Related = {notes: []}
  const projectName = app.spec?.project || 'default'
  const project = objects.find((o) => isAppProject(o) && o.metadata?.name === projectName)
  if (project) related.project = {status: 'found', value: projectSummary(project)}
  const hpas = objects.filter((o) => isHpa(o)).map((o) => hpaInfoOf(o))
  if (hpas.length > 0) related.hpas = hpas
  const jobs = objects.filter((o) => o.kind === 'Job' && String(o.apiVersion ?? '').startsWith('batch/'))
  if (jobs.length > 0) related.jobs = Object.fromEntries(jobs.map((j) => [`${j.metadata?.namespace}/${j.metadata?.name}`, {status: 'found', value: jobSummary(j)} as Lookup<JobSummary>]))
  return related
}
