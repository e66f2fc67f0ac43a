/**
 * The AppSource over the Argo CD API: for people who have an Argo CD login (SSO, project roles)
 * and no Kubernetes RBAC on Applications. Reads are the API's Get/List (and its resource-tree and
 * resource endpoints for what a diagnosis needs); each Plan is turned into the API's own calls
 * (plan-calls.ts) and made as the logged-in user, whom Argo CD audits. Loaded only when the backend
 * is the Argo CD API (session.ts chooseBackend), never on the kubeconfig path.
 */
import jsonpatch from 'fast-json-patch'
import {refOf, REFRESH_ANNOTATION, type AppRef, type Application} from '../app.js'
import {DoctorError} from '../errors.js'
import {changedFields, gatherRelated, liveKey, type RelatedReader} from '../diagnose/related.js'
import type {Related} from '../diagnose/types.js'
import type {JsonPatchOp, Plan} from '../plan.js'
import type {AppSource} from '../source.js'
import type {WaitResult} from '../cluster/kube.js'
import {ArgoCdApi, type Call} from './client.js'
import {apiPlan, argocdCommand, type ApiPlan, type ApiWrite} from './plan-calls.js'
import {checkToken, type ArgoCdSession} from './session.js'

/** How often a wait reads the app again (the API's watch is a stream the REST gateway holds open; a poll is simpler and enough). */
const POLL_MS = 1500
const APP_PATH = (name: string) => `/api/v1/applications/${encodeURIComponent(name)}`

/** The guarantee each kind of write has through the API, said in the preview. */
export const API_GUARANTEES = {
  patch: 'argocd-server checks the guards on its own read of the app; if someone writes between that read and its update, argocd-server retries its update on the newer object (spec, labels, annotations and finalizers as previewed) — a narrower guarantee than the Kubernetes API\'s resourceVersion precondition',
  call: 'the Argo CD API takes no resourceVersion for this call: argo-doctor re-reads the app just before it and refuses on any change, leaving one round trip in which a change goes unseen',
} as const

export interface ArgoCdSource extends AppSource {
  /** One line for stderr: the backend and whose identity acts. */
  readonly announcement: string
  readonly api: ArgoCdApi
}

export async function argocdSource(session: ArgoCdSession, requestTimeoutSeconds: number): Promise<ArgoCdSource> {
  checkToken(session)
  const api = new ArgoCdApi(session, requestTimeoutSeconds)
  const user = await api.whoami()
  /** The project of each app read, so later calls name it: Argo CD then answers 404 (not 403) for an app that is gone. */
  const projects = new Map<string, string>()
  const keyOf = (ref: AppRef) => `${ref.namespace}/${ref.name}`
  const about = (ref: AppRef) => `Application ${ref.namespace}/${ref.name}`
  const rbacObject = (ref: AppRef) => `${projects.get(keyOf(ref)) ?? 'PROJECT'}/${ref.name}`
  const query = (ref: AppRef) => ({appNamespace: ref.namespace, project: projects.get(keyOf(ref))})
  const typed = (app: Application): Application => {
    // Argo CD's typed client drops apiVersion/kind; backups and -f files want them.
    const out = {apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...app}
    if (out.metadata?.name) projects.set(keyOf(refOf(out)), out.spec?.project || 'default')
    return out
  }

  const call = <T>(c: Omit<Call, 'about'> & {ref: AppRef}) => api.request<T>({...c, about: about(c.ref), rbacObject: rbacObject(c.ref)})
  const read = async (ref: AppRef, extra: Record<string, string> = {}, timeoutSeconds?: number) =>
    typed(await call<Application>({method: 'GET', path: APP_PATH(ref.name), query: {...query(ref), ...extra}, ref, action: 'get', timeoutSeconds}))

  /** Refuse when the app no longer passes the plan's guards (for the calls that take none). */
  const checkGuards = async (ref: AppRef, guards: JsonPatchOp[]) => {
    if (guards.length === 0) return
    const now = await read(ref)
    const failed = guards.find((g) => g.op === 'test' && JSON.stringify(valueAt(now, g.path)) !== JSON.stringify(g.value))
    if (failed) {
      throw new DoctorError('CONFLICT', `${about(ref)} changed since it was read (${failed.path} is no longer ${JSON.stringify((failed as {value: unknown}).value)}); nothing was written.`, 'Run the command again to see a fresh preview.')
    }
  }

  const perform = async (ref: AppRef, w: ApiWrite): Promise<Application> => {
    switch (w.kind) {
      case 'patch':
        return typed(await call<Application>({method: 'PATCH', path: APP_PATH(ref.name), body: {name: ref.name, appNamespace: ref.namespace, project: projects.get(keyOf(ref)), patchType: 'json', patch: JSON.stringify(w.ops)}, ref, action: 'update'}))
      case 'terminate':
        await call({method: 'DELETE', path: `${APP_PATH(ref.name)}/operation`, query: query(ref), ref, action: 'sync'})
        return read(ref)
      case 'sync':
        return typed(await call<Application>({method: 'POST', path: `${APP_PATH(ref.name)}/sync`, body: {...w.body, project: projects.get(keyOf(ref))}, ref, action: 'sync'}))
      case 'rollback':
        return typed(await call<Application>({method: 'POST', path: `${APP_PATH(ref.name)}/rollback`, body: {name: ref.name, appNamespace: ref.namespace, project: projects.get(keyOf(ref)), id: w.id, prune: w.prune, dryRun: false}, ref, action: 'sync'}))
      case 'refresh':
        try {
          // argocd-server sets the annotation and answers once the controller has removed it.
          return await read(ref, {refresh: 'hard'})
        } catch (error) {
          if (!(error instanceof DoctorError) || error.code !== 'UNREACHABLE' || !/ETIMEDOUT/.test(error.message)) throw error
          // No answer in time: the refresh is requested if the annotation is there, and the verify step waits for it.
          const now = await read(ref)
          if (now.metadata.annotations?.[REFRESH_ANNOTATION] === undefined) throw error
          return now
        }
    }
  }

  const planFor = async (ref: AppRef, plan: Plan | undefined, app?: Application): Promise<ApiPlan> => {
    if (!plan) throw new DoctorError('ERROR', 'The Argo CD API source needs the plan to know which API calls to make.')
    return apiPlan(plan, app ?? await read(ref))
  }

  const source: ArgoCdSource = {
    kind: 'argocd',
    api,
    origin: `Argo CD server ${session.server}`,
    user,
    context: session.contextName ? `argocd:${session.contextName}` : 'argocd',
    server: session.baseUrl,
    announcement: `Backend: the Argo CD API at ${session.baseUrl} (server from ${session.serverFrom}), acting as Argo CD user "${user}"; Argo CD RBAC decides what is allowed, no kubeconfig is used.`,
    previewKind: 'applied locally: the Argo CD API has no dry run for these calls',
    read: (ref) => read(ref),
    async * list(opts) {
      const list = await api.request<{items?: Application[] | null}>({method: 'GET', path: '/api/v1/applications', query: {appNamespace: opts.namespace, selector: opts.labelSelector}, about: `the Applications in ${opts.namespace ?? 'all namespaces'}`, action: 'get'})
      if (!list || typeof list !== 'object' || (list.items !== undefined && list.items !== null && !Array.isArray(list.items))) {
        throw new DoctorError('UNREACHABLE', `The Argo CD server at ${session.baseUrl} answered the list of Applications with something that is not a list.`, 'Retry; compare with: argocd app list')
      }

      yield (list.items ?? []).map((a) => typed(a))
    },
    async * stream(opts) {
      for await (const page of source.list(opts)) yield * page
    },
    async preview(ref, patch, plan) {
      const app = await read(ref)
      const calls = await planFor(ref, plan, app)
      // argocd-server records the operation as started by the session's user.
      const effect = calls.effect.map((op) => (op.op === 'add' && op.path === '/operation' ? {...op, value: {...op.value as object, initiatedBy: {username: user}}} : op))
      try {
        return jsonpatch.applyPatch(structuredClone(app), structuredClone(effect) as never, true, false).newDocument as Application
      } catch (error) {
        const e = error as {name?: string; message: string}
        if (e.name === 'TEST_OPERATION_FAILED') throw new DoctorError('CONFLICT', `A guard failed on the fresh read of ${about(ref)}: ${e.message.split('\n')[0]}`)
        throw new DoctorError('REJECTED', `The change does not apply to ${about(ref)}: ${e.message.split('\n')[0]}`, undefined, {patchDidNotApply: true})
      }
    },
    async apply(ref, patch, plan) {
      const calls = await planFor(ref, plan)
      await checkGuards(ref, calls.localGuards)
      let written: Application | undefined
      for (const [i, w] of calls.writes.entries()) {
        try {
          written = await perform(ref, w)
        } catch (error) {
          if (i === 0 || !(error instanceof DoctorError)) throw error
          throw new DoctorError(error.code, `${error.message} The earlier part of this change (${calls.writes.slice(0, i).map((x) => x.kind).join(', ')}) WAS applied.`, error.hint, error.details)
        }
      }

      return written!
    },
    async watch(ref, _from, check, opts): Promise<WaitResult> {
      const deadline = Date.now() + opts.timeoutMs
      let last: Application | undefined
      for (;;) {
        try {
          last = await read(ref)
        } catch (error) {
          if (error instanceof DoctorError && error.code === 'NOT_FOUND') return {status: 'deleted'}
          return {status: 'unverified', app: last, error: error instanceof DoctorError ? error : new DoctorError('ERROR', (error as Error).message)}
        }

        opts.onUpdate?.(last)
        if (check(last)) return {status: 'done', app: last}
        if (Date.now() >= deadline || opts.signal?.aborted) return {status: 'timeout', app: last}
        await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), opts.signal)
      }
    },
    async readRelated(app, wants) {
      const project = projects.get(keyOf(refOf(app)))
      const related = await gatherRelated(relatedReader(api, app, project), app, wants)
      if (Object.values(related.live ?? {}).some((l) => l.status === 'found')) await addExactDiffs(api, app, project, related)
      return related
    },
    // Live metadata of managed resources is read through the Kubernetes API only.
    readManaged: async () => undefined,
    // argocd-server records its own Event for each call, as the user ("admin terminated running operation").
    recordEvent: async () => {},
    async postFindingEvent() {
      throw new DoctorError('USAGE', '--emit-events creates Kubernetes Events, which the Argo CD API cannot do.', 'Run the scan with the kubeconfig backend (--kubeconfig/--context) and a role that may create events.')
    },
    equivalent: (plan, app) => ({label: 'Equivalent argocd', command: argocdCommand(plan, app)}),
  }
  return source
}

function valueAt(doc: unknown, pointer: string): unknown {
  try {
    return jsonpatch.getValueByPointer(doc, pointer)
  } catch {
    return undefined
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }

    signal?.addEventListener('abort', done)
  })
}

/** What a diagnosis reads besides the app, through the API: its AppProject, and the app's own resources (resource endpoint, resource tree). */
function relatedReader(api: ArgoCdApi, app: Application, project: string | undefined): RelatedReader {
  const ref = refOf(app)
  const about = `Application ${ref.namespace}/${ref.name}`
  const notThroughApi = (what: string) => Promise.reject(new Error(`${what} cannot be read through the Argo CD API`))
  const resource = async (apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<Record<string, any>> => {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
    const out = await api.request<{manifest?: string}>({
      method: 'GET', path: `${APP_PATH(ref.name)}/resource`, about: `${kind} ${namespace ? `${namespace}/` : ''}${name} of ${about}`, action: 'get',
      query: {appNamespace: ref.namespace, project, namespace, resourceName: name, version, group, kind},
    })
    return JSON.parse(out.manifest ?? '{}') as Record<string, any>
  }

  type TreeNode = {kind?: string; group?: string; namespace?: string; name?: string; uid?: string; health?: {status?: string}}
  let tree: Promise<{nodes?: TreeNode[]}> | undefined
  const nodes = async () => {
    tree ??= api.request({method: 'GET', path: `${APP_PATH(ref.name)}/resource-tree`, query: {appNamespace: ref.namespace, project}, about: `the resource tree of ${about}`, action: 'get'})
    return (await tree).nodes ?? []
  }

  return {
    getProject: async (_namespace, name) => api.request({method: 'GET', path: `/api/v1/projects/${encodeURIComponent(name)}`, about: `AppProject ${name}`, action: 'get'}),
    readObject: async (kind, namespace, name) => (kind === 'Job' ? resource('batch/v1', 'Job', namespace, name) : notThroughApi(`A ${kind} outside the app`)),
    readResource: resource,
    async listPods(namespace, labelSelector) {
      // The app's own Pods are in its resource tree; the Argo CD control plane's are not reachable.
      if (/^app\.kubernetes\.io\/name=argocd-/.test(labelSelector)) return notThroughApi('The Argo CD control plane\'s pods')
      const pods = (await nodes()).filter((n) => n.kind === 'Pod' && !n.group && n.namespace === namespace && n.name).slice(0, 10)
      const objects = await Promise.all(pods.map((p) => resource('v1', 'Pod', namespace, p.name!).catch(() => undefined)))
      return objects.filter((o): o is Record<string, any> => Boolean(o) && matches(labelSelector, o!.metadata?.labels ?? {}))
    },
    async listEvents(namespace, fieldSelector) {
      // The API gives the Events of one resource of the app's tree at a time (ListResourceEvents): those of its unhealthy resources and Pods in `namespace`.
      const wanted = (await nodes()).filter((n) => n.namespace === namespace && n.name && n.uid && (n.kind === 'Pod' || (n.health?.status && n.health.status !== 'Healthy'))).slice(0, 10)
      const lists = await Promise.all(wanted.map((n) => api.request<{items?: Array<Record<string, any>> | null}>({
        method: 'GET', path: `${APP_PATH(ref.name)}/events`, about: `the Events of ${n.kind} ${namespace}/${n.name}`, action: 'get',
        query: {appNamespace: ref.namespace, project, resourceNamespace: namespace, resourceName: n.name, resourceUID: n.uid},
      })))
      const type = /type=(\w+)/.exec(fieldSelector)?.[1]
      return lists.flatMap((l) => l.items ?? []).filter((e) => !type || e.type === type)
    },
  }
}

/** Equality-based label selectors (what a workload's matchLabels gives): a,b=c,d!=e. */
function matches(selector: string, labels: Record<string, string>): boolean {
  return selector.split(',').map((s) => s.trim()).filter(Boolean).every((term) => {
    const ne = /^([^!=]+)!=(.*)$/.exec(term)
    if (ne) return labels[ne[1].trim()] !== ne[2].trim()
    const eq = /^([^=]+)==?(.*)$/.exec(term)
    if (eq) return labels[eq[1].trim()] === eq[2].trim()
    return term in labels
  })
}

/** One item of the API's managed-resources (v1alpha1ResourceDiff): the states are JSON text. */
interface ResourceDiff {
  group?: string
  kind?: string
  namespace?: string
  name?: string
  targetState?: string
  normalizedLiveState?: string
}

/**
 * The exact fields of each live resource a diagnosis read that differ from Git, from Argo CD's own
 * diff (GET …/managed-resources: normalized live state vs target state, ignoreDifferences applied).
 * Secrets' states are not used. A failure is a note; the diagnosis then uses what the live object says.
 */
async function addExactDiffs(api: ArgoCdApi, app: Application, project: string | undefined, related: Related): Promise<void> {
  const ref = refOf(app)
  let items: ResourceDiff[]
  try {
    items = (await api.request<{items?: ResourceDiff[]}>({method: 'GET', path: `${APP_PATH(ref.name)}/managed-resources`, query: {appNamespace: ref.namespace, project}, about: `the managed resources of Application ${ref.namespace}/${ref.name}`, action: 'get'})).items ?? []
  } catch (error) {
    related.notes.push(`Could not read Argo CD's diff of the managed resources (${(error as Error).message}); the diagnosis uses the live objects instead.`)
    return
  }

  for (const item of items) {
    if (!item.kind || !item.name || (!item.group && item.kind === 'Secret')) continue
    const found = related.live?.[liveKey({group: item.group ?? '', kind: item.kind, namespace: item.namespace || undefined, name: item.name})]
    if (found?.status !== 'found' || !item.targetState || !item.normalizedLiveState) continue
    try {
      const diff = changedFields(JSON.parse(item.targetState), JSON.parse(item.normalizedLiveState) as Record<string, any>)
      if (diff.length) found.value.exactDiff = diff
    } catch {
      // Not JSON: leave the live object's own evidence.
    }
  }
}
