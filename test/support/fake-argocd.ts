/**
 * A real HTTP server (node:http, 127.0.0.1, random port) that speaks the part of the Argo CD REST
 * API argo-doctor's Argo CD backend uses, with argocd-server v3.6.2's behaviour — shapes from
 * assets/swagger.json, semantics from server/application/application.go and server/server.go:
 *  - auth: Bearer token → user; an unknown or expired token is 401 "invalid session: …" (code 16);
 *    GET /api/v1/session/userinfo answers {loggedIn:false} instead (its AuthFuncOverride);
 *  - RBAC per user (get / update / sync): 403 "permission denied" (code 7); an app that does not
 *    exist is 403 too unless the request names its project (then 404), as getAppEnforceRBAC hides it;
 *  - GET/List applications (appNamespace, selector), ?refresh=hard (sets the annotation, answers
 *    once the "controller" — the test — removed it);
 *  - PATCH (json): the patch applied to the stored app (test ops included; a failed test is a 500
 *    "error applying patch: …"), then only spec, labels, annotations and finalizers are written;
 *  - DELETE …/operation (TerminateOperation), POST …/sync and …/rollback (SetAppOperation: refused
 *    while an operation is set; rollback refused with auto-sync on), with initiatedBy = the user;
 *  - GET /api/v1/projects/{name}, …/resource-tree, …/resource (manifest as a JSON string),
 *    …/managed-resources (ResourceDiff: target and normalized live state as JSON text), …/events
 *    (ListResourceEvents: one resource's Events, by name and uid).
 * Every request is recorded (method, path, query, body, user) so tests can check what was called.
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {PatchApplyError, applyJsonPatch} from './kube-json-patch.js'

type Obj = Record<string, any>
export type Action = 'get' | 'update' | 'sync'

export interface ArgoRequest {
  method: string
  path: string
  query: Record<string, string>
  body?: any
  user?: string
}

export interface FakeArgoCd {
  url: string
  /** host:port, as `argocd login` takes it. */
  address: string
  requests: ArgoRequest[]
  put(app: Obj): void
  get(namespace: string, name: string): Obj | undefined
  mutate(namespace: string, name: string, fn: (app: Obj) => void): void
  putProject(project: Obj): void
  /** Child resources of an app: resource-tree nodes and the manifests /resource returns. */
  putResource(app: string, obj: Obj, health?: {status: string; message?: string}, target?: Obj): void
  /** A Kubernetes Event about one of the app's resources (…/events returns it for that resource's name and uid). */
  putEvent(app: string, event: Obj): void
  /** A token for `user`, allowed `actions` (default all). */
  user(token: string, user: string, actions?: Action[]): void
  writes(): ArgoRequest[]
  stop(): Promise<void>
}

export async function startFakeArgoCd(): Promise<FakeArgoCd> {
  const apps = new Map<string, Obj>()
  const projects = new Map<string, Obj>()
  const resources = new Map<string, Array<{obj: Obj; health?: {status: string; message?: string}; target?: Obj}>>()
  const users = new Map<string, {name: string; actions: Set<Action>}>()
  const events: Array<{app: string; event: Obj}> = []
  const requests: ArgoRequest[] = []
  let rv = 1000
  const key = (ns: string, name: string) => `${ns}/${name}`
  const store = (app: Obj) => {
    const copy = structuredClone(app)
    delete copy.apiVersion
    delete copy.kind
    copy.metadata.resourceVersion = String(++rv)
    copy.metadata.uid ??= `uid-${copy.metadata.name}`
    apps.set(key(copy.metadata.namespace ?? 'argocd', copy.metadata.name), copy)
    return copy
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {'Content-Type': 'application/json'})
    res.end(JSON.stringify(body))
  }

  const fail = (res: ServerResponse, status: number, grpc: number, message: string) => send(res, status, {error: message, code: grpc, message, details: []})

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const query = Object.fromEntries(url.searchParams)
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const body = text ? JSON.parse(text) : undefined
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const who = token ? users.get(token) : undefined
    const expired = token ? isExpired(token) : false
    requests.push({method: req.method ?? 'GET', path: url.pathname, query, body, user: who?.name})

    if (url.pathname === '/api/v1/session/userinfo') return send(res, 200, who && !expired ? {loggedIn: true, username: who.name, iss: 'argocd'} : {loggedIn: false})
    if (!who || expired) return fail(res, 401, 16, expired ? 'invalid session: token has invalid claims: token is expired' : 'invalid session: token signature is invalid')
    const denied = (action: Action) => !who.actions.has(action)
    const permissionDenied = () => fail(res, 403, 7, 'permission denied')

    const project = /^\/api\/v1\/projects\/([^/]+)$/.exec(url.pathname)
    if (project && req.method === 'GET') {
      const p = projects.get(decodeURIComponent(project[1]))
      return p ? send(res, 200, p) : fail(res, 404, 5, `appprojects.argoproj.io "${project[1]}" not found`)
    }

    if (url.pathname === '/api/v1/applications' && req.method === 'GET') {
      const selector = query.selector ? Object.fromEntries(query.selector.split(',').map((kv) => kv.split('='))) : {}
      const items = [...apps.values()].filter((a) => (!query.appNamespace || a.metadata.namespace === query.appNamespace)
        && Object.entries(selector).every(([k, v]) => a.metadata.labels?.[k] === v) && !denied('get'))
      return send(res, 200, {metadata: {resourceVersion: String(rv)}, items})
    }

    const m = /^\/api\/v1\/applications\/([^/]+)(\/[a-z-]+)?$/.exec(url.pathname)
    if (!m) return fail(res, 404, 5, 'Not Found')
    const name = decodeURIComponent(m[1])
    const sub = m[2] ?? ''
    const ns = query.appNamespace || body?.appNamespace || 'argocd'
    const projectGiven = query.project || body?.project
    const app = apps.get(key(ns, name))
    // getAppEnforceRBAC: without a project, a missing app and a forbidden one look the same (403).
    if (!app || (projectGiven && (app.spec.project || 'default') !== projectGiven)) return projectGiven && !denied('get') ? fail(res, 404, 5, `applications.argoproj.io "${name}" not found`) : permissionDenied()
    const k = key(ns, name)

    if (req.method === 'GET' && sub === '') {
      if (denied('get')) return permissionDenied()
      if (query.refresh) {
        store({...app, metadata: {...app.metadata, annotations: {...app.metadata.annotations, 'argocd.argoproj.io/refresh': query.refresh}}})
        for (;;) {
          const now = apps.get(k)!
          if (now.metadata.annotations?.['argocd.argoproj.io/refresh'] === undefined) return send(res, 200, now)
          await new Promise((r) => setTimeout(r, 20))
          if (res.destroyed) return
        }
      }

      return send(res, 200, app)
    }

    if (req.method === 'GET' && sub === '/resource-tree') {
      if (denied('get')) return permissionDenied()
      const nodes = (resources.get(k) ?? []).map(({obj, health}) => ({
        group: (obj.apiVersion as string).includes('/') ? obj.apiVersion.split('/')[0] : '', version: obj.apiVersion.split('/').at(-1), kind: obj.kind,
        namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid ?? `uid-${obj.metadata.name}`, health,
      }))
      return send(res, 200, {nodes})
    }

    if (req.method === 'GET' && sub === '/events') {
      if (denied('get')) return permissionDenied()
      // ListResourceEvents: a resource's Events need its name and uid (and namespace), as part of the app's tree.
      const items = events.filter((e) => e.app === k && e.event.involvedObject.name === query.resourceName && e.event.involvedObject.uid === query.resourceUID && e.event.metadata.namespace === query.resourceNamespace).map((e) => e.event)
      return send(res, 200, {metadata: {}, items})
    }

    if (req.method === 'GET' && sub === '/managed-resources') {
      if (denied('get')) return permissionDenied()
      // ResourceDiff: the states are JSON text; the target is what Git holds (set with putResource's `target`).
      const items = (resources.get(k) ?? []).map(({obj, target}) => ({
        group: (obj.apiVersion as string).includes('/') ? obj.apiVersion.split('/')[0] : '', kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name,
        targetState: JSON.stringify(target ?? obj), normalizedLiveState: JSON.stringify(obj), liveState: JSON.stringify(obj), modified: Boolean(target),
      }))
      return send(res, 200, {items})
    }

    if (req.method === 'GET' && sub === '/resource') {
      if (denied('get')) return permissionDenied()
      const found = (resources.get(k) ?? []).find(({obj}) => obj.kind === query.kind && obj.metadata.name === query.resourceName && (obj.metadata.namespace ?? '') === (query.namespace ?? ''))
      return found ? send(res, 200, {manifest: JSON.stringify(found.obj)}) : fail(res, 404, 5, `${query.kind} ${query.resourceName} not found as part of application ${name}`)
    }

    if (req.method === 'PATCH' && sub === '') {
      if (denied('get') || denied('update')) return permissionDenied()
      let patched: Obj
      try {
        patched = applyJsonPatch(structuredClone(app), JSON.parse(body.patch))
      } catch (error) {
        return fail(res, 500, 2, `error applying patch: ${error instanceof PatchApplyError ? error.message : String(error)}`)
      }

      // updateApp: only spec, labels, annotations and finalizers are taken from the patched object.
      const updated = {...app, spec: patched.spec, metadata: {...app.metadata, labels: patched.metadata.labels, annotations: patched.metadata.annotations, finalizers: patched.metadata.finalizers}}
      return send(res, 200, store(updated))
    }

    if (req.method === 'DELETE' && sub === '/operation') {
      if (denied('sync')) return permissionDenied()
      if (!app.operation || !app.status?.operationState) return fail(res, 400, 3, 'Unable to terminate operation. No operation is in progress')
      store({...app, status: {...app.status, operationState: {...app.status.operationState, phase: 'Terminating'}}})
      return send(res, 200, {})
    }

    if (req.method === 'POST' && (sub === '/sync' || sub === '/rollback')) {
      if (denied('sync')) return permissionDenied()
      if (app.metadata.deletionTimestamp) return fail(res, 400, 9, 'application is deleting')
      let operation: Obj
      if (sub === '/rollback') {
        if (app.spec.syncPolicy?.automated) return fail(res, 400, 9, 'rollback cannot be initiated when auto-sync is enabled')
        const entry = (app.status?.history ?? []).find((h: Obj) => h.id === body.id)
        if (!entry) return fail(res, 400, 3, `application ${ns}/${name} does not have deployment with id ${body.id}`)
        operation = {sync: {revision: entry.revision, prune: body.prune || undefined, syncStrategy: {apply: {}}, source: entry.source}, initiatedBy: {username: who.name}}
      } else {
        operation = {sync: {revision: body.revision, prune: body.prune || undefined, syncStrategy: body.strategy, resources: body.resources, syncOptions: body.syncOptions?.items ?? app.spec.syncPolicy?.syncOptions}, initiatedBy: {username: who.name}, info: body.infos}
      }

      if (app.operation) return fail(res, 400, 9, 'error setting app operation: another operation is already in progress')
      const status = {...app.status}
      delete status.operationState
      return send(res, 200, store({...app, operation: JSON.parse(JSON.stringify(operation)), status}))
    }

    return fail(res, 404, 5, 'Not Found')
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => fail(res, 500, 13, String(error)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    requests,
    put: (app) => {
      store(app)
    },
    get: (ns, name) => apps.get(key(ns, name)),
    mutate(ns, name, fn) {
      const app = structuredClone(apps.get(key(ns, name))!)
      fn(app)
      store(app)
    },
    putProject: (p) => {
      projects.set(p.metadata.name, p)
    },
    putResource(app, obj, health, target) {
      const k = key('argocd', app)
      resources.set(k, [...(resources.get(k) ?? []), {obj, health, target}])
    },
    putEvent(app, event) {
      events.push({app: key('argocd', app), event})
    },
    user(token, name, actions = ['get', 'update', 'sync']) {
      users.set(token, {name, actions: new Set(actions)})
    },
    writes: () => requests.filter((r) => r.method !== 'GET' || r.query.refresh),
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

function isExpired(token: string): boolean {
  try {
    const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).exp
    return typeof exp === 'number' && exp * 1000 <= Date.now()
  } catch {
    return false
  }
}

/** An unsigned JWT-shaped token with these claims (the fake checks only exp; the real server verifies the signature). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({alg: 'HS256', typ: 'JWT'})}.${part(claims)}.c2lnbmF0dXJl`
}
