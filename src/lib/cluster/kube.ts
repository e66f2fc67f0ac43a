/**
 * The only module that talks to the Kubernetes API server. Everything else gets a `Cluster`.
 * @kubernetes/client-node is heavy, so this file is only ever loaded with a dynamic import, and it
 * loads only client-node's kubeconfig and HTTP client (client-node-light.ts): reads, LISTs and
 * patches are plain JSON requests (Cluster.request). The generated API classes and Watch
 * (client-node.ts) are loaded on first use: to record an Event, to watch.
 */
import {existsSync, readFileSync} from 'node:fs'
import {Agent as HttpAgent} from 'node:http'
import {BlockList, isIP} from 'node:net'
import {dirname, isAbsolute, join} from 'node:path'
import {PassThrough, Transform} from 'node:stream'
import type {ZlibOptions} from 'node:zlib'
import {load as loadYaml} from 'js-yaml'
import {defaultKubeconfigPaths, isEmptyFile, serviceAccountDir, serviceAccountNamespace, serviceEnv, tokenSubject} from './in-cluster.js'
import {ApiException, fetch, KubeConfig} from './client-node-light.js'
import type {CoreV1Api} from './client-node.js'
import {describeObject, ListItemSplitter, type ListEnvelope} from './list-items.js'
import {APPS, FLEET_PAGE_SIZE, GROUP, PROJECTS, VERSION, type AppRef, type Application} from '../app.js'
import {DoctorError, keepSecret, toDoctorError, type RequestContext} from '../errors.js'
import type {JsonPatchOp} from '../plan.js'
import type {LiveMeta, ResourceKey} from '../deletion.js'

export interface ConnectOptions {
  kubeconfig?: string
  context?: string
  /** Per-request timeout in seconds. */
  requestTimeout: number
  /** kubectl's global overrides: --cluster, --user, -s/--server, --token, --certificate-authority, --insecure-skip-tls-verify, --as, --as-group. */
  cluster?: string
  user?: string
  server?: string
  token?: string
  certificateAuthority?: string
  insecureSkipTlsVerify?: boolean
  as?: string
  asGroups?: string[]
}

/**
 * The kubeconfig, with what client-node does differently from kubectl put right, in the steps every
 * request goes through (API clients, the streamed LIST and watches alike): one TLS, proxy and
 * credential configuration for every path.
 */
class DoctorKubeConfig extends KubeConfig {
  impersonateGroup: string | undefined
  /** Loaded from the pod's service account (no kubeconfig): where its token is, and the subject the token names. */
  inCluster: InClusterIdentity | undefined
  /** Who the requests act as, for records (--as, else the kubeconfig user, else the token's subject). */
  identity: string | undefined

  constructor() {
    super()
    // applyOptions (private in the typings) is the one step both API clients and watches go through.
    const self = this as unknown as {
      applyOptions: (opts: {headers?: Record<string, string>}) => Promise<void>
      applyHTTPSOptions: (opts: {rejectUnauthorized?: boolean; servername?: string; ca?: Buffer}) => void
      authenticators: Array<{getCredential?: (user: {name: string}) => Promise<ExecCredential | null>}>
    }
    const applyOptions = self.applyOptions.bind(this)
    self.applyOptions = async (opts) => {
      await applyOptions(opts)
      const headers = opts.headers ?? {}
      // A token as read from a file, a flag or a plugin may end in a newline: trimmed, as client-go
      // trims token files (and remembered, so no error message can ever show it).
      const bearer = /^Bearer\s+([\s\S]*)$/.exec(headers.Authorization ?? '')
      if (bearer) {
        const token = bearer[1].trim()
        keepSecret(token)
        headers.Authorization = `Bearer ${token}`
      }

      if (this.impersonateGroup !== undefined) headers['Impersonate-Group'] = this.impersonateGroup
      opts.headers = headers
    }

    // client-node applies the cluster's TLS settings (CA, insecure-skip-tls-verify, tls-server-name)
    // only when the context has a user: a context without one (kubectl proxy, a public CA) lost them.
    const applyHTTPSOptions = self.applyHTTPSOptions.bind(this)
    self.applyHTTPSOptions = (opts) => {
      if (this.getCurrentUser()) return applyHTTPSOptions(opts)
      const cluster = this.getCurrentCluster()
      if (!cluster) return
      if (cluster.skipTLSVerify) opts.rejectUnauthorized = false
      if (cluster.tlsServerName) opts.servername = cluster.tlsServerName
      const ca = cluster.caFile ? readFileSync(cluster.caFile) : cluster.caData ? Buffer.from(cluster.caData, 'base64') : undefined
      if (ca) opts.ca = ca
    }

    // An exec plugin's credential without an expirationTimestamp is good for the life of the process
    // (client-go's exec authenticator); client-node ran the plugin again for every request. One run
    // at a time per user, too: a batch's first requests all wait for the same one.
    const exec = self.authenticators.find((a) => typeof a.getCredential === 'function' && 'tokenCache' in a)
    if (exec?.getCredential) {
      const getCredential = exec.getCredential.bind(exec)
      const credentials = new Map<string, Promise<ExecCredential | null>>()
      exec.getCredential = async (user) => {
        const cached = credentials.get(user.name)
        if (cached) {
          const credential = await cached.catch(() => null)
          const expires = credential?.status?.expirationTimestamp
          if (credential && (!expires || Date.parse(expires) > Date.now())) return credential
        }

        const fresh = getCredential(user)
        credentials.set(user.name, fresh)
        fresh.catch(() => credentials.delete(user.name))
        return fresh
      }
    }

    // client-node makes a new https.Agent for every request: every request paid a TCP connection
    // and a TLS handshake (most of a bulk write's CPU). One keep-alive agent per set of TLS
    // options instead (credentials that rotate — an exec plugin's client certificate — get a new one).
    // The proxy: the kubeconfig's proxy-url, else $HTTPS_PROXY/$HTTP_PROXY/$NO_PROXY as kubectl reads
    // them; plain http (kubectl proxy) is allowed, as kubectl allows it.
    const agents = new Map<string, unknown>()
    const maker = this as unknown as {createAgent: (cluster: {server?: string; proxyUrl?: string} | null, options: Record<string, unknown>) => unknown}
    const createAgent = maker.createAgent.bind(this)
    maker.createAgent = (cluster, options) => {
      const server = cluster?.server ?? ''
      const proxyUrl = cluster?.proxyUrl || proxyFromEnvironment(server)
      const key = JSON.stringify([server, proxyUrl, ...['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map((k) => String(options[k] ?? ''))])
      let agent = agents.get(key)
      if (!agent) {
        const withKeepAlive = {...options, keepAlive: true}
        agent = !proxyUrl && server.startsWith('http:') ? new HttpAgent(withKeepAlive) : createAgent(cluster && {...cluster, proxyUrl}, withKeepAlive)
        agents.set(key, agent)
      }

      return agent
    }
  }
}

/** The part of a client.authentication.k8s.io ExecCredential the cache looks at. */
interface ExecCredential {
  status?: {expirationTimestamp?: string}
}

/**
 * The proxy for a request to `server`, as Go's http.ProxyFromEnvironment picks it (what kubectl
 * uses): $HTTPS_PROXY for https, $HTTP_PROXY for http (upper case first, then lower case), unless
 * $NO_PROXY matches the host — "*", a host name and its subdomains (with a leading "." or "*.": only its subdomains), an IP
 * address, a CIDR range, each optionally with ":port" — or the host is localhost or a loopback
 * address, which are never proxied. A proxy without a scheme is http://.
 */
export function proxyFromEnvironment(server: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let url: URL
  try {
    url = new URL(server)
  } catch {
    return undefined
  }

  const pick = (name: string) => env[name] || env[name.toLowerCase()] || undefined
  const proxy = url.protocol === 'https:' ? pick('HTTPS_PROXY') : url.protocol === 'http:' ? pick('HTTP_PROXY') : undefined
  if (!proxy) return undefined
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  if (host === 'localhost' || (isIP(host) && inCidr(host, isIP(host) === 4 ? '127.0.0.0/8' : '::1/128'))) return undefined
  for (const raw of (pick('NO_PROXY') ?? '').split(',')) {
    const entry = raw.trim().toLowerCase()
    if (!entry) continue
    if (entry === '*') return undefined
    if (entry.includes('/')) {
      if (isIP(host) && inCidr(host, entry)) return undefined
      continue
    }

    const m = /^(\[[^\]]+\]|[^:]+|[0-9a-f:]+)(?::(\d+))?$/.exec(isIP(entry) === 6 ? `[${entry}]` : entry)
    if (!m) continue
    const name = m[1].replace(/^\[|\]$/g, '')
    if (m[2] && m[2] !== port) continue
    if (isIP(name)) {
      if (name === host) return undefined
      continue
    }

    // "example.com" is that host and its subdomains; ".example.com" and "*.example.com" only the subdomains.
    const subdomainsOnly = /^\*?\./.test(name)
    const domain = name.replace(/^\*?\./, '')
    if ((!subdomainsOnly && host === domain) || host.endsWith(`.${domain}`)) return undefined
  }

  return /^[a-z][a-z\d+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`
}

/** Whether the IP address `ip` is in the CIDR range `cidr` (same family only). */
function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/')
  const family = isIP(base)
  if (!family || family !== isIP(ip)) return false
  const bits = Number(bitsText)
  const width = family === 4 ? 32 : 128
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return false
  const list = new BlockList()
  list.addSubnet(base, bits, family === 4 ? 'ipv4' : 'ipv6')
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

export interface InClusterIdentity {
  /** The directory with token, ca.crt and namespace. */
  dir: string
  /** The token's subject, e.g. system:serviceaccount:argocd:argo-doctor-scan (display only). */
  subject?: string
}

export interface ListPage {
  items: Application[]
  continue?: string
  resourceVersion?: string
}

export interface StreamOptions {
  /** undefined = all namespaces. */
  namespace?: string
  labelSelector?: string
  /** Page size when it falls back to paging (default FLEET_PAGE_SIZE). */
  pageSize?: number
  /** Told once, with the reason, when the unpaginated LIST was given up for paging. */
  onFallback?: (reason: string) => void
}

export interface WaitOptions {
  timeoutMs: number
  signal?: AbortSignal
  onUpdate?: (app: Application) => void
}

export type WaitCheck = (app: Application) => boolean

/** One app of a batch wait (waitForApps). */
export interface WaitTarget {
  name: string
  check: WaitCheck
  timeoutMs: number
  onUpdate?: (app: Application) => void
}

export interface WaitManyOptions {
  signal?: AbortSignal
  /** Called as each app's wait ends. */
  onResult?: (name: string, result: WaitResult) => void
}

export type WaitResult =
  | {status: 'done'; app: Application}
  | {status: 'timeout'; app: Application}
  | {status: 'deleted'}
  /** The object could not be read at the end (the API server went away): nothing is known about the controller. */
  | {status: 'unverified'; app?: Application; error: DoctorError}

const APP_RESOURCE = `${APPS}.${GROUP}`
const APP_VERSION = `${GROUP}/${VERSION}`

/** The path of an API group version, as client-node makes it: /api/v1, /apis/GROUP/VERSION. */
function apiVersionPath(apiVersion: string): string {
  return `/${apiVersion.includes('/') ? 'apis' : 'api'}/${apiVersion}`
}

/** The path of a namespace's objects of a resource (plural), or of one of them. */
function objectPath(apiVersion: string, namespace: string, plural: string, name?: string): string {
  return `${apiVersionPath(apiVersion)}/namespaces/${encodeURIComponent(namespace)}/${plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`
}

/**
 * A response body as client-node's ObjectSerializer.parse reads it by its Content-Type (same errors,
 * which notJson recognises): JSON, text as text; no or another Content-Type is an error.
 */
function parseBody(text: string, contentType: string | undefined): unknown {
  const mediaType = contentType?.split(';')[0].trim().toLowerCase()
  if (mediaType === undefined) throw new Error('Cannot parse content. No Content-Type defined.')
  const [type = '', subtype = ''] = mediaType.split('/')
  if (type === 'text') return text
  if (type === 'application' && subtype.split('+').includes('json')) return JSON.parse(text)
  throw new Error(`The mediaType ${mediaType} is not supported by ObjectSerializer.parse.`)
}

/** A response's headers as client-node's ApiException holds them (lower-case names). */
function headersOf(response: {headers: {forEach: (fn: (value: string, name: string) => void) => void}}): Record<string, string> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  return headers
}

/**
 * The ApiException client-node's API classes throw for an answer that is not 2xx: "Unauthorized"
 * without the body for a 401, else the body (`failure`: how a request reports failures, as
 * KubernetesObjectApi's "Unsuccessful HTTP Request").
 */
function apiException(response: {status: number} & Parameters<typeof headersOf>[0], body: string | undefined, failure?: string): ApiException<string | undefined> {
  const message = failure ?? (response.status === 401 ? 'Unauthorized' : 'Unknown API Status Code!')
  return new ApiException(response.status, message, message === 'Unauthorized' ? undefined : body, headersOf(response))
}

/** client-node's API classes and Watch (its whole bundle): loaded on first use, to record an Event or to watch. */
const apiClasses = () => import('./client-node.js')
/** node:zlib, loaded for the first compressed answer (a big LIST), not by every command. */
const zlib = () => process.getBuiltinModule('node:zlib')

/** How much of a streamed LIST is read ahead of the item being diagnosed (inflated). */
const READ_AHEAD = 1024 * 1024

export class Cluster {
  readonly server: string
  readonly contextName: string
  /** Who the requests act as, as Events, backups and operation.initiatedBy record it: --as, else the kubeconfig user, else the token's subject. */
  readonly user: string | undefined
  /** Set when the config is the pod's service account (see loadKubeConfig). */
  readonly inCluster: InClusterIdentity | undefined
  /** The server's URL without a trailing slash: every request's path is appended to it. */
  private readonly base: string
  /** Discovery (the resources of an API group version), for readResource/readMeta: asked once per group version. */
  private readonly discovered = new Map<string, Promise<Array<{name: string; kind: string; namespaced?: boolean}>>>()

  constructor(private readonly kc: KubeConfig, private readonly opts: ConnectOptions) {
    this.server = kc.getCurrentCluster()?.server ?? 'unknown server'
    this.contextName = kc.getCurrentContext()
    const userName = kc.getCurrentUser()?.name
    this.user = (kc instanceof DoctorKubeConfig ? kc.identity : undefined) ?? (userName?.startsWith(SERVER_ONLY) ? undefined : userName)
    this.inCluster = kc instanceof DoctorKubeConfig ? kc.inCluster : undefined
    this.base = (kc.getCurrentCluster()?.server ?? '').replace(/\/+$/, '')
  }

  /** The namespace the kubeconfig context points at (used by kubectl-style defaults). */
  get contextNamespace(): string | undefined {
    return this.kc.getContextObject(this.contextName)?.namespace
  }

  private ctx(verb: RequestContext['verb'], resource: string, namespace?: string, name?: string): RequestContext {
    return {verb, resource, namespace, name, server: this.server, context: this.contextName}
  }

  /**
   * One call to the API within --request-timeout, its errors made DoctorErrors. At the timeout the
   * request is also aborted (fn's requests take `signal`): its socket is closed, not left to finish
   * in the background after the caller has been told it failed.
   */
  private async call<T>(rc: RequestContext, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(Object.assign(new Error('request timed out'), {name: 'RequestTimeout'}))
        controller.abort()
      }, this.opts.requestTimeout * 1000)
    })
    try {
      return await Promise.race([fn(controller.signal), timeout])
    } catch (error) {
      throw toDoctorError(error, rc)
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * One JSON request, made and answered as client-node's API classes make and answer it, with the
   * same request path as everything else here (the kubeconfig's TLS, credentials, proxy and
   * impersonation through KubeConfig.applyToFetchOptions; node-fetch, client-node's HTTP client):
   * the body is parsed by its Content-Type (JSON; text as text; anything else an error), and an
   * answer that is not 2xx throws client-node's ApiException (401 without its body, unless the
   * request says how failures are reported: KubernetesObjectApi's "Unsuccessful HTTP Request").
   */
  private async request<T>(method: 'GET' | 'PATCH', path: string, opts: {query?: Record<string, string | number | undefined>; patch?: JsonPatchOp[]; failure?: string; signal?: AbortSignal} = {}): Promise<T> {
    const url = new URL(this.base + path)
    for (const [name, value] of Object.entries(opts.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value))
    const init = await this.kc.applyToFetchOptions({})
    const headers = init.headers as unknown as {set: (name: string, value: string) => void}
    headers.set('Accept', 'application/json, */*;q=0.8')
    if (opts.patch) headers.set('Content-Type', 'application/json-patch+json')
    const response = await fetch(url.href, {...init, method, body: opts.patch ? JSON.stringify(opts.patch) : undefined, signal: opts.signal as never})
    if (response.status >= 200 && response.status <= 299) return parseBody(await response.text(), response.headers.get('content-type') ?? undefined) as T
    throw apiException(response, await response.text(), opts.failure)
  }

  async getApp(ref: AppRef): Promise<Application> {
    return this.call(this.ctx('get', APP_RESOURCE, ref.namespace, ref.name), (signal) => this.request('GET', objectPath(APP_VERSION, ref.namespace, APPS, ref.name), {signal}))
  }

  /** One page of Applications; namespace undefined = all namespaces. */
  async listApps(opts: {namespace?: string; labelSelector?: string; limit?: number; continue?: string}): Promise<ListPage> {
    const rc = this.ctx('list', APP_RESOURCE, opts.namespace ?? 'all namespaces')
    const query = {labelSelector: opts.labelSelector, limit: opts.limit, continue: opts.continue}
    const list = await this.call(rc, (signal) => opts.namespace
      ? this.request('GET', objectPath(APP_VERSION, opts.namespace, APPS), {query, signal})
      : this.request('GET', `${apiVersionPath(APP_VERSION)}/${APPS}`, {query, signal}).catch((error: unknown) => {
        throw notJson(error) ? notAList(rc, 'a body that is not JSON') : error
      })) as {items?: Application[] | null; metadata?: {continue?: string; resourceVersion?: string}}
    // A proxy's error page or a Status with status 200 is no list: never "no applications".
    if (!list || typeof list !== 'object' || Array.isArray(list)) throw notAList(rc, 'a body that is not a JSON object')
    if (!Array.isArray(list.items) && list.items !== null) throw notAList(rc, list.items === undefined ? describeObject(list) : 'items that are not an array')
    return {items: list.items ?? [], continue: list.metadata?.continue || undefined, resourceVersion: list.metadata?.resourceVersion}
  }

  /** Every page, one after another (limit=pageSize, default FLEET_PAGE_SIZE): callers process a page before the next is fetched. */
  async * listAllApps(opts: {namespace?: string; labelSelector?: string; pageSize?: number}): AsyncGenerator<Application[]> {
    let token: string | undefined
    do {
      const page = await this.listApps({namespace: opts.namespace, labelSelector: opts.labelSelector, limit: opts.pageSize ?? FLEET_PAGE_SIZE, continue: token})
      yield page.items
      token = page.continue
    } while (token)
  }

  /**
   * Every Application in scope, one at a time, each as soon as the response holds all of it.
   *
   * One unpaginated LIST (no limit): kube-apiserver answers it from its watch cache, where a
   * paginated LIST (limit/continue) is read from etcd page after page, at 3–4× the cost. The body is
   * not read whole: items are cut out of the stream and parsed one by one (list-items.ts), so memory
   * is bounded by one item, not by the list or a page. Same request path as everything else here:
   * the kubeconfig's TLS, credentials, proxy and impersonation (KubeConfig.applyToFetchOptions, as
   * client-node's Watch) and node-fetch, client-node's own HTTP client.
   *
   * It pages instead (limit=pageSize) when the server refuses the unpaginated LIST (410, 429, 5xx),
   * and when the stream breaks, stalls for --request-timeout or is not a complete list: the list is
   * read again from the start, page by page, and the apps already handed out (by namespace/name) are
   * skipped, so the consumer never gets one twice (one of them may be a moment older than the
   * paged list's copy). A response that says it is incomplete (metadata.continue) is finished with
   * that token. Errors paging would meet as well (401, 403, 404, unreachable, no answer within
   * --request-timeout) are thrown as the paginated LIST throws them.
   */
  async * streamApps(opts: StreamOptions): AsyncGenerator<Application> {
    const seen = new Set<string>()
    const key = (app: Application) => `${app.metadata?.namespace ?? ''}/${app.metadata?.name}`
    let fallback: {reason: string; continue?: string} | undefined
    const whole = this.unpaginatedApps(opts)
    try {
      for (;;) {
        const next = await whole.next()
        if (next.done) {
          const token = next.value.metadata?.continue
          if (token) fallback = {reason: 'the response was incomplete (metadata.continue is set)', continue: token}
          break
        }

        seen.add(key(next.value))
        yield next.value
      }
    } catch (error) {
      if (!(error instanceof FallBack)) throw error
      fallback = {reason: error.message}
    } finally {
      await whole.return(undefined as never)
    }

    if (!fallback) return
    opts.onFallback?.(fallback.reason)
    const limit = opts.pageSize ?? FLEET_PAGE_SIZE
    const fresh = function * (items: Application[]) {
      for (const app of items) {
        if (seen.has(key(app))) continue
        seen.add(key(app))
        yield app
      }
    }

    if (fallback.continue) {
      let token: string | undefined = fallback.continue
      try {
        while (token) {
          const page = await this.listApps({namespace: opts.namespace, labelSelector: opts.labelSelector, limit, continue: token})
          yield * fresh(page.items)
          token = page.continue
        }

        return
      } catch (error) {
        // 410 Expired: the token is too old to go on with; read the list again from the start.
        if (!(error instanceof DoctorError && error.api?.status === 410)) throw error
      }
    }

    for await (const page of this.listAllApps({namespace: opts.namespace, labelSelector: opts.labelSelector, pageSize: limit})) yield * fresh(page)
  }

  /** The unpaginated LIST, item by item; returns the list's envelope (metadata.continue, resourceVersion). Throws FallBack when paging should take over. */
  private async * unpaginatedApps(opts: StreamOptions): AsyncGenerator<Application, ListEnvelope> {
    const rc = this.ctx('list', APP_RESOURCE, opts.namespace ?? 'all namespaces')
    const url = new URL(`${this.base}/apis/${GROUP}/${VERSION}${opts.namespace ? `/namespaces/${encodeURIComponent(opts.namespace)}` : ''}/${APPS}`)
    if (opts.labelSelector) url.searchParams.set('labelSelector', opts.labelSelector)
    const controller = new AbortController()
    const waitMs = this.opts.requestTimeout * 1000
    let timer: NodeJS.Timeout | undefined
    let timedOut = false
    const arm = () => {
      clearTimeout(timer)
      timedOut = false
      timer = setTimeout(() => {
        timedOut = true
        controller.abort()
      }, waitMs)
    }

    try {
      let response: Awaited<ReturnType<typeof fetch>>
      try {
        const init = await this.kc.applyToFetchOptions({})
        const headers = init.headers as unknown as {set: (name: string, value: string) => void}
        headers.set('Accept', 'application/json')
        // Compressed, as kubectl and client-node ask for it (the server gzips a list over 128 KB), but
        // inflated here in large chunks: node-fetch's own 16 KB ones cost twice the CPU on a big list.
        headers.set('Accept-Encoding', 'gzip')
        arm()
        response = await fetch(url.href, {...init, method: 'GET', compress: false, signal: controller.signal as never})
      } catch (error) {
        if (timedOut) throw toDoctorError(Object.assign(new Error('request timed out'), {name: 'RequestTimeout'}), rc)
        throw toDoctorError(error, rc)
      }

      if (response.status < 200 || response.status > 299) {
        let text: string | undefined
        try {
          const raw = await response.buffer()
          text = (response.headers.get('content-encoding') === 'gzip' ? zlib().gunzipSync(raw) : raw).toString('utf8')
        } catch {
          // the status is enough
        }

        clearTimeout(timer)
        if (response.status === 410 || response.status === 429 || response.status >= 500) throw new FallBack(`the server answered ${response.status} to the unpaginated LIST`)
        throw toDoctorError(apiException(response, text), rc)
      }

      const encoding = response.headers.get('content-encoding')
      if (encoding && encoding !== 'identity' && encoding !== 'gzip') throw new FallBack(`the response is in an encoding not asked for (${encoding})`)
      const raw = response.body as unknown as NodeJS.ReadableStream & {destroy: (error?: Error) => void}
      // Errors reach the loop below through the iterator; these listeners only keep a late one (the
      // abort after a consumer stopped early) from being an unhandled 'error' event.
      raw.on('error', ignore)
      // Read ahead up to READ_AHEAD while items are diagnosed, and take all that arrived at once:
      // kube-apiserver flushes its gzip every ~1.5 KB (~13 KB of JSON), less than one item, and the
      // splitter skips to the next item only within a chunk (list-items.ts).
      const ahead = encoding === 'gzip' ? zlib().createGunzip({chunkSize: 256 * 1024, readableHighWaterMark: READ_AHEAD} as ZlibOptions) : new PassThrough({readableHighWaterMark: READ_AHEAD})
      ahead.on('error', ignore)
      // Inflated in pieces of up to 64 KB rather than the ~1.5 KB ones the server sends: each write
      // to zlib is a trip to the thread pool (at 10,000 apps this saved ~0.2 s of CPU).
      const pieces = coalesce(64 * 1024, 5)
      pieces.on('error', (error: Error) => ahead.destroy(error))
      raw.on('error', (error: Error) => pieces.destroy(error))
      const body: AsyncIterable<Buffer> = raw.pipe(pieces).pipe(ahead)

      const splitter = new ListItemSplitter()
      const chunks = body[Symbol.asyncIterator]()
      for (;;) {
        // The wait for each chunk is bounded; the time the consumer spends on items is not ours to bound.
        arm()
        let next: IteratorResult<Buffer>
        try {
          next = await chunks.next()
        } catch (error) {
          throw new FallBack(timedOut ? `the response stalled for ${this.opts.requestTimeout} s` : `the response broke off (${(error as Error).message})`)
        } finally {
          clearTimeout(timer)
        }

        if (next.done) break
        // One item parsed at a time, each handed out before the next is parsed.
        const items = splitter.items(next.value)
        for (;;) {
          let item: IteratorResult<unknown>
          try {
            item = items.next()
          } catch (error) {
            throw new FallBack(`the response is not a list (${(error as Error).message})`)
          }

          if (item.done) break
          yield item.value as Application
        }
      }

      // The last item, held back until the body ended, then the envelope.
      let last: unknown[]
      try {
        last = [...splitter.flush()]
      } catch (error) {
        throw new FallBack(`the response is not a list (${(error as Error).message})`)
      }

      for (const item of last) yield item as Application
      try {
        return splitter.end()
      } catch (error) {
        throw new FallBack(`the response is not a complete list (${(error as Error).message})`)
      }
    } finally {
      clearTimeout(timer)
      // Done, failed or abandoned by the consumer: nothing more is read.
      controller.abort()
    }
  }

  async patchApp(ref: AppRef, patch: JsonPatchOp[], opts: {dryRun: boolean}): Promise<Application> {
    return this.call(this.ctx('patch', APP_RESOURCE, ref.namespace, ref.name), (signal) =>
      this.request('PATCH', objectPath(APP_VERSION, ref.namespace, APPS, ref.name), {patch, query: {dryRun: opts.dryRun ? 'All' : undefined, fieldManager: 'argo-doctor'}, signal}))
  }

  /** Record a core/v1 Event (e.g. on an Application: kubectl describe and the Argo CD UI show it). */
  async createEvent(namespace: string, event: Record<string, unknown>): Promise<void> {
    this.events ??= apiClasses().then(({CoreV1Api}) => this.kc.makeApiClient(CoreV1Api))
    await this.call(this.ctx('create', 'events', namespace), async () => (await this.events!).createNamespacedEvent({namespace, body: event as never}))
  }

  /** Made once: a batch records an Event per app it changes. */
  private events: Promise<CoreV1Api> | undefined

  async getProject(namespace: string, name: string): Promise<Record<string, any>> {
    return this.call(this.ctx('get', `${PROJECTS}.${GROUP}`, namespace, name), (signal) => this.request('GET', objectPath(APP_VERSION, namespace, PROJECTS, name), {signal}))
  }

  /** Read a core/batch object for diagnosis. Secrets are returned without data. */
  async readObject(kind: 'Secret' | 'ConfigMap' | 'Job', namespace: string, name: string): Promise<Record<string, any>> {
    const rc = this.ctx('get', kind === 'Job' ? 'jobs.batch' : `${kind.toLowerCase()}s`, namespace, name)
    return this.call(rc, async (signal) => {
      if (kind === 'Job') return this.request<Record<string, any>>('GET', objectPath('batch/v1', namespace, 'jobs', name), {signal})
      if (kind === 'ConfigMap') return this.request<Record<string, any>>('GET', objectPath('v1', namespace, 'configmaps', name), {signal})
      const secret = await this.request<Record<string, any>>('GET', objectPath('v1', namespace, 'secrets', name), {signal})
      return {...secret, data: undefined, stringData: undefined}
    })
  }

  /** Read a HorizontalPodAutoscaler (autoscaling/v2), e.g. to learn which workload it scales (spec.scaleTargetRef). */
  async readHorizontalPodAutoscaler(namespace: string, name: string): Promise<Record<string, any>> {
    return this.call(this.ctx('get', 'horizontalpodautoscalers.autoscaling', namespace, name), (signal) =>
      this.request<Record<string, any>>('GET', objectPath('autoscaling/v2', namespace, 'horizontalpodautoscalers', name), {signal}))
  }

  /**
   * Read any resource for diagnosis (the PVC/Rollout/Job a sync waits for, a drifting object's
   * managedFields). Secrets are returned without data.
   */
  async readResource(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<Record<string, any>> {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : ''
    const rc = this.ctx('get', `${kind.toLowerCase()}${group ? `.${group}` : ''}`, namespace, name)
    const obj = await this.call(rc, (signal) => this.readAny(apiVersion, kind, namespace, name, signal))
    return kind === 'Secret' && !group ? {...obj, data: undefined, stringData: undefined} : obj
  }

  /**
   * Any object by apiVersion and kind, found and read as client-node's KubernetesObjectApi.read
   * does (same requests, same errors): the resource's plural and scope from discovery of its group
   * version (asked once per Cluster, again when the kind is not in it), a namespaced object without
   * a namespace in the context's namespace (else "default"), the path in lower case. `signal`
   * aborts the object's read; the discovery request is shared by concurrent reads and runs on.
   */
  private async readAny(apiVersion: string, kind: string, namespace: string | undefined, name: string, signal?: AbortSignal): Promise<Record<string, any>> {
    const resource = await this.resourceOf(apiVersion, kind)
    if (!resource) throw new Error(`Unrecognized API version and kind: ${apiVersion} ${kind}`)
    const ns = resource.namespaced ? namespace || this.contextNamespace || 'default' : undefined
    const path = [apiVersionPath(apiVersion), ...(ns ? ['namespaces', encodeURIComponent(ns)] : []), resource.name, encodeURIComponent(name)].join('/').toLowerCase()
    return this.request('GET', path, {failure: UNSUCCESSFUL, signal})
  }

  private async resourceOf(apiVersion: string, kind: string): Promise<{name: string; kind: string; namespaced?: boolean} | undefined> {
    const known = (await this.discovered.get(apiVersion)?.catch(() => undefined))?.find((r) => r.kind === kind)
    if (known) return known
    const asked = this.request<{resources: Array<{name: string; kind: string; namespaced?: boolean}>}>('GET', apiVersionPath(apiVersion), {failure: UNSUCCESSFUL}).then((list) => list.resources)
    this.discovered.set(apiVersion, asked)
    try {
      return (await asked).find((r) => r.kind === kind)
    } catch (error) {
      if (this.discovered.get(apiVersion) === asked) this.discovered.delete(apiVersion)
      if (error instanceof Error) error.message = `Failed to fetch resource metadata for ${apiVersion}/${kind}: ${error.message}`
      throw error
    }
  }

  /**
   * Read the metadata of one managed resource (any kind; the plural comes from discovery). Only
   * metadata is kept — never data, spec or status (a Secret's data never leaves this function).
   * Absent → state "missing"; 403 or unknown kind → "unreadable" with the reason.
   */
  async readMeta(key: ResourceKey): Promise<LiveMeta> {
    const apiVersion = key.group ? `${key.group}/${key.version ?? 'v1'}` : (key.version ?? 'v1')
    const resource = `${key.kind}${key.group ? `.${key.group}` : ''}`
    try {
      const obj = await this.call(this.ctx('get', resource, key.namespace, key.name), (signal) => this.readAny(apiVersion, key.kind, key.namespace, key.name, signal))
      const m = (obj as {metadata?: Record<string, any>}).metadata ?? {}
      return {
        ...key,
        state: 'found',
        creationTimestamp: m.creationTimestamp === undefined ? undefined : new Date(m.creationTimestamp).toISOString().replace(/\.\d+Z$/, 'Z'),
        deletionTimestamp: m.deletionTimestamp === undefined ? undefined : new Date(m.deletionTimestamp).toISOString().replace(/\.\d+Z$/, 'Z'),
        finalizers: Array.isArray(m.finalizers) ? m.finalizers.map(String) : [],
        syncOptions: typeof m.annotations?.['argocd.argoproj.io/sync-options'] === 'string' ? m.annotations['argocd.argoproj.io/sync-options'] : undefined,
      }
    } catch (error) {
      if (error instanceof DoctorError && error.code === 'NOT_FOUND' && !/The API server has no /.test(error.message)) return {...key, state: 'missing'}
      return {...key, state: 'unreadable', error: error instanceof Error ? error.message.split('\n')[0] : String(error)}
    }
  }

  /** Events of a namespace matching a field selector (explain reads type=Warning ones of unhealthy resources). */
  async listEvents(namespace: string, fieldSelector: string): Promise<Array<Record<string, any>>> {
    const rc = this.ctx('list', 'events', namespace)
    const list = await this.call(rc, (signal) => this.request<{items: Array<Record<string, any>>}>('GET', objectPath('v1', namespace, 'events'), {query: {fieldSelector, limit: 500}, signal}))
    return list.items
  }

  async listPods(namespace: string, labelSelector: string): Promise<Array<Record<string, any>>> {
    const rc = this.ctx('list', 'pods', namespace)
    const list = await this.call(rc, (signal) => this.request<{items: Array<Record<string, any>>}>('GET', objectPath('v1', namespace, 'pods'), {query: {labelSelector}, signal}))
    return list.items
  }

  /**
   * Watch one Application until `check` passes, the timeout expires or the signal aborts.
   *
   * Survives what happens to long-lived connections: a watch the server ends, a reset connection,
   * an expired resourceVersion (410) and an API server that goes away and comes back. Each time it
   * reads the object again (GET, retried with backoff while the server is unreachable) and watches
   * on from that resourceVersion, so no change is missed; a watch the server refuses (e.g. RBAC
   * without "watch") falls back to polling. At the deadline it reads once more before reporting a
   * timeout. When the object could not be read at the end (the server stayed away), the result
   * is `unverified` with the last error — never a throw: the caller's write has already happened.
   */
  async waitForApp(ref: AppRef, fromResourceVersion: string, check: WaitCheck, opts: WaitOptions): Promise<WaitResult> {
    const deadline = Date.now() + opts.timeoutMs
    const remaining = () => deadline - Date.now()
    const stopped = () => Boolean(opts.signal?.aborted)
    let last: Application | undefined
    let rv = fromResourceVersion
    let lastError: DoctorError | undefined
    let backoff = BACKOFF_MIN_MS
    let canWatch = true
    const retryLater = async () => {
      await sleep(Math.min(backoff, Math.max(0, remaining())), opts.signal)
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)
    }

    /** GET; undefined (and lastError set) when it failed in a way worth retrying. */
    const read = async (): Promise<Application | 'deleted' | undefined> => {
      try {
        const app = await this.getApp(ref)
        lastError = undefined
        return app
      } catch (error) {
        const e = toDoctorError(error, this.ctx('get', APP_RESOURCE, ref.namespace, ref.name))
        if (e.code === 'NOT_FOUND' && e.message.startsWith('Application')) return 'deleted'
        lastError = e
        return undefined
      }
    }

    while (!stopped()) {
      const got = await read()
      if (got === 'deleted') return {status: 'deleted'}
      if (got) {
        if (got !== last) opts.onUpdate?.(got)
        last = got
        rv = got.metadata.resourceVersion ?? rv
        if (check(got)) return {status: 'done', app: got}
      }

      if (remaining() <= 0 || stopped()) break
      if (!got) {
        await retryLater()
        continue
      }

      if (!canWatch) {
        await sleep(Math.min(POLL_MS, remaining()), opts.signal)
        continue
      }

      const opened = Date.now()
      const outcome = await this.watchOnce(ref, rv, check, opts, deadline, (app) => {
        last = app
        rv = app.metadata.resourceVersion ?? rv
      })
      if (outcome.kind === 'result') return outcome.result
      if (outcome.kind === 'error') {
        lastError = outcome.error
        // The server answered and refused the watch (403, 405, …): poll instead. Connection trouble: retry.
        if (outcome.refused) canWatch = false
        else await retryLater()
      } else if (Date.now() - opened < 1000) {
        // Ended at once (an expired resourceVersion, a proxy that cuts streams): don't spin.
        await retryLater()
      } else {
        backoff = BACKOFF_MIN_MS
      }
    }

    if (stopped()) return last ? {status: 'timeout', app: last} : {status: 'unverified', error: lastError ?? new DoctorError('INTERRUPTED', 'Interrupted.')}
    // The deadline: one more read, so a change that landed while the connection was down is not missed.
    const final = await read()
    if (final === 'deleted') return {status: 'deleted'}
    if (final) return check(final) ? {status: 'done', app: final} : {status: 'timeout', app: final}
    return {status: 'unverified', app: last, error: lastError ?? new DoctorError('UNREACHABLE', 'The API server did not answer.')}
  }

  /** One watch stream from `rv`, until the check passes (result), it ends (closed) or fails (error). */
  private watchOnce(ref: AppRef, rv: string, check: WaitCheck, opts: WaitOptions, deadline: number, seen: (app: Application) => void): Promise<WatchOutcome> {
    const query = {fieldSelector: `metadata.name=${ref.name}`, resourceVersion: rv, allowWatchBookmarks: true}
    return this.watchStream(ref.namespace, ref.name, query, deadline, opts.signal, (type, obj): WatchOutcome | undefined => {
      if (type === 'BOOKMARK') return undefined
      // 410 Expired and the like: the caller re-reads and watches from the fresh resourceVersion.
      if (type === 'ERROR') return {kind: 'closed'}
      if (type === 'DELETED') return {kind: 'result', result: {status: 'deleted'}}
      const app = obj as Application
      seen(app)
      opts.onUpdate?.(app)
      return check(app) ? {kind: 'result', result: {status: 'done', app}} : undefined
    })
  }

  /**
   * Wait for many Applications of one namespace with ONE watch on the namespace, instead of a GET
   * and a watch per app (2,000 apps were 2,000 connections at once). Each target's `check` decides
   * when that app is done; `onResult` hears each app as it finishes.
   *
   * Every watch starts without a resourceVersion: the server first sends every app as it is now (a
   * consistent read, made after the caller's writes, so nothing older than them is judged), then
   * every change. A watch the server ends, a reset connection or an ERROR event (410 Expired) is
   * opened again the same way — from the current state, so a change made while it was down is not
   * missed (the initial events come in name order, not resourceVersion order, so "the last
   * resourceVersion seen" is no safe place to resume from). While the server is unreachable it is
   * retried with backoff; a server that refuses watches is polled with a LIST.
   * An app deleted meanwhile is handed to `waitForApp` (its GET tells deleted from not). At each
   * target's deadline the app is read once more before it is reported as a timeout; what cannot be
   * read then is `unverified` with the last error — never a throw: the writes have happened.
   */
  async waitForApps(namespace: string, targets: WaitTarget[], opts: WaitManyOptions = {}): Promise<Map<string, WaitResult>> {
    const started = Date.now()
    const pending = new Map<string, {target: WaitTarget; deadline: number; last?: Application}>()
    for (const target of targets) pending.set(target.name, {target, deadline: started + target.timeoutMs})
    const results = new Map<string, WaitResult>()
    const handedOver: Array<Promise<void>> = []
    const stopped = () => Boolean(opts.signal?.aborted)
    let lastError: DoctorError | undefined
    let backoff = BACKOFF_MIN_MS
    let canWatch = true
    const settle = (name: string, result: WaitResult) => {
      if (!pending.delete(name)) return
      results.set(name, result)
      opts.onResult?.(name, result)
    }

    const handOver = (name: string) => {
      const p = pending.get(name)
      if (!p) return
      pending.delete(name)
      const rest = {timeoutMs: Math.max(0, p.deadline - Date.now()), signal: opts.signal, onUpdate: p.target.onUpdate}
      handedOver.push(this.waitForApp({name, namespace}, p.last?.metadata.resourceVersion ?? '0', p.target.check, rest).then((result) => {
        results.set(name, result)
        opts.onResult?.(name, result)
      }))
    }

    const seen = (app: Application) => {
      const p = pending.get(app.metadata?.name)
      if (!p) return
      p.last = app
      p.target.onUpdate?.(app)
      if (p.target.check(app)) settle(app.metadata.name, {status: 'done', app})
    }

    const nextDeadline = () => Math.min(...[...pending.values()].map((p) => p.deadline))
    const pause = async (ms: number) => sleep(Math.min(ms, Math.max(0, nextDeadline() - Date.now())), opts.signal)

    /** A LIST of the namespace (paged), as a map by name; undefined (lastError set) when it failed. */
    const listNow = async (): Promise<Map<string, Application> | undefined> => {
      try {
        const byName = new Map<string, Application>()
        let token: string | undefined
        do {
          const page = await this.listApps({namespace, limit: 500, continue: token})
          for (const app of page.items) byName.set(app.metadata.name, app)
          token = page.continue
        } while (token)
        lastError = undefined
        return byName
      } catch (error) {
        lastError = toDoctorError(error, this.ctx('list', APP_RESOURCE, namespace))
        return undefined
      }
    }

    /** The deadline: one more read (a GET each for a few apps, one LIST for many), then done or timeout. */
    const finalRead = async (names: string[]) => {
      if (names.length <= FINAL_GETS) {
        await Promise.all(names.map(async (name) => {
          const p = pending.get(name)!
          try {
            const app = await this.getApp({name, namespace})
            settle(name, p.target.check(app) ? {status: 'done', app} : {status: 'timeout', app})
          } catch (error) {
            const e = toDoctorError(error, this.ctx('get', APP_RESOURCE, namespace, name))
            settle(name, e.code === 'NOT_FOUND' && e.message.startsWith('Application') ? {status: 'deleted'} : {status: 'unverified', app: p.last, error: e})
          }
        }))
        return
      }

      const now = await listNow()
      for (const name of names) {
        const p = pending.get(name)!
        const app = now?.get(name)
        if (!now) settle(name, {status: 'unverified', app: p.last, error: lastError ?? new DoctorError('UNREACHABLE', 'The API server did not answer.')})
        else if (!app) settle(name, {status: 'deleted'})
        else settle(name, p.target.check(app) ? {status: 'done', app} : {status: 'timeout', app})
      }
    }

    while (pending.size > 0 && !stopped()) {
      const due = [...pending].filter(([, p]) => p.deadline <= Date.now()).map(([name]) => name)
      if (due.length > 0) await finalRead(due)
      if (pending.size === 0 || stopped()) break
      if (!canWatch) {
        // The server refused the watch: one LIST for every app still waiting, every POLL_MS.
        const now = await listNow()
        for (const name of [...pending.keys()]) {
          const app = now?.get(name)
          if (app) seen(app)
          else if (now) handOver(name)
        }

        if (pending.size > 0) await pause(POLL_MS)
        continue
      }

      const opened = Date.now()
      const outcome = await this.watchNamespace(namespace, nextDeadline(), opts.signal, (type, obj) => {
        if (type === 'BOOKMARK') return false
        // 410 Expired and the like: start again from the current state.
        if (type === 'ERROR') return true
        const app = obj as Application
        if (type === 'DELETED') handOver(app.metadata?.name)
        else seen(app)
        return pending.size === 0
      })
      if (outcome.kind === 'error') {
        lastError = outcome.error
        // The server answered and refused the watch (403, 405, …): poll instead. Connection trouble: retry.
        if (outcome.refused) canWatch = false
        else {
          await pause(backoff)
          backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)
        }
      } else if (Date.now() - opened < 1000 && pending.size > 0) {
        // Ended at once (an expired resourceVersion, a proxy that cuts streams): don't spin.
        await pause(backoff)
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)
      } else {
        backoff = BACKOFF_MIN_MS
      }
    }

    for (const [name, p] of [...pending]) {
      settle(name, p.last ? {status: 'timeout', app: p.last} : {status: 'unverified', error: lastError ?? new DoctorError('INTERRUPTED', 'Interrupted.')})
    }

    await Promise.all(handedOver)
    return results
  }

  /**
   * One watch stream on a namespace's Applications, the current state first, until `onEvent`
   * returns true, the deadline, the signal, the end of the stream (closed) or a failure (error).
   */
  private watchNamespace(namespace: string, deadline: number, signal: AbortSignal | undefined, onEvent: (type: string, obj: any) => boolean): Promise<WatchOutcome> {
    return this.watchStream(namespace, undefined, {}, deadline, signal, (type, obj) => (onEvent(type, obj) ? {kind: 'closed'} : undefined))
  }

  /**
   * The one watch plumbing: a stream on `namespace`'s Applications with `query`, until `onEvent`
   * returns an outcome, the deadline (closed: the caller reads once more), the signal (closed), the
   * end of the stream (closed) or a failure (error; `refused` for a 4xx such as RBAC without watch).
   */
  private watchStream(namespace: string, name: string | undefined, query: Record<string, unknown>, deadline: number, signal: AbortSignal | undefined,
    onEvent: (type: string, obj: any) => WatchOutcome | undefined): Promise<WatchOutcome> {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${APPS}`
    const rc = this.ctx('watch', APP_RESOURCE, namespace, name)
    return new Promise<WatchOutcome>((resolve) => {
      let controller: AbortController | undefined
      let settled = false
      const finish = (value: WatchOutcome) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        controller?.abort()
        resolve(value)
      }

      const failed = (error: unknown) => {
        const status = (error as {statusCode?: unknown})?.statusCode
        const e = typeof status === 'number' ? toDoctorError({code: status, message: (error as Error).message}, rc) : toDoctorError(error, rc)
        finish({kind: 'error', error: e, refused: typeof status === 'number' && status >= 400 && status < 500})
      }

      const onAbort = () => finish({kind: 'closed'})
      const timer = setTimeout(() => finish({kind: 'closed'}), Math.max(0, deadline - Date.now()))
      signal?.addEventListener('abort', onAbort)
      const seconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000))
      apiClasses().then(({Watch}) => new Watch(this.kc).watch(path, {...query, timeoutSeconds: seconds},
        (type: string, obj: any) => {
          if (settled) return
          const outcome = onEvent(type, obj)
          if (outcome) finish(outcome)
        },
        (err: unknown) => {
          if (settled) return
          if (err && (err as Error).name !== 'AbortError') failed(err)
          else finish({kind: 'closed'})
        })).then((c) => {
        controller = c
        if (settled) c.abort()
      }, failed)
    })
  }
}

const ignore = () => {}

/** A LIST answered with something that is not a list: the server (or something in front of it) is not answering as the API does. */
function notAList(rc: RequestContext, what: string): DoctorError {
  const where = rc.context ? ` (context "${rc.context}")` : ''
  return new DoctorError('UNREACHABLE', `The API server at ${rc.server} answered the LIST of Applications in ${rc.namespace} with ${what}, not a list${where}.`,
    'A proxy or load balancer in front of the API server may be failing: retry, and compare with: kubectl get applications.argoproj.io -A')
}

/** client-node could not parse the body as JSON (an HTML page, plain text). */
function notJson(error: unknown): boolean {
  return error instanceof SyntaxError || /ObjectSerializer|not supported by|Unexpected token|is not valid JSON/i.test((error as Error)?.message ?? '')
}

/** The unpaginated LIST did not work out in a way paging may: the message says why. */
class FallBack extends Error {
  name = 'FallBack'
}

type WatchOutcome = {kind: 'result'; result: WaitResult} | {kind: 'closed'} | {kind: 'error'; error: DoctorError; refused: boolean}

/** How KubernetesObjectApi (readResource, readMeta) reports an answer that is not 2xx, 401 included. */
const UNSUCCESSFUL = 'Unsuccessful HTTP Request'

/** At a batch wait's deadline, this many apps or fewer are read with a GET each; more with one LIST. */
const FINAL_GETS = 10
const BACKOFF_MIN_MS = 250
const BACKOFF_MAX_MS = 4000
/** Polling interval when the server will not let us watch. */
const POLL_MS = 2000

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }

    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done)
  })
}

const SERVER_ONLY = 'argo-doctor-flags'

/** The context names of the kubeconfig (--all-contexts). */
export function kubeContexts(kubeconfig?: string): string[] {
  const names = loadKubeConfig({kubeconfig}).getContexts().map((c) => c.name)
  if (names.length === 0) throw new DoctorError('CONFIG', 'The kubeconfig has no contexts.', 'Check it with: kubectl config get-contexts')
  return names
}

/**
 * Load the kubeconfig the way kubectl does (--kubeconfig, else $KUBECONFIG, else ~/.kube/config;
 * with none of them and no --server, in a pod: the service account), then apply kubectl's override flags.
 */
export function loadKubeConfig(opts: Omit<ConnectOptions, 'requestTimeout'>): KubeConfig {
  const kc = new DoctorKubeConfig()
  const emptyHint = opts.server ? undefined : 'Pass a kubeconfig that has a cluster, user and context (kubectl config view shows what it holds), or --server and --token.'
  try {
    if (opts.kubeconfig) {
      if (!existsSync(opts.kubeconfig)) throw new DoctorError('CONFIG', `Kubeconfig file ${opts.kubeconfig} does not exist.`, 'Pass an existing file to --kubeconfig.')
      if (isEmptyFile(opts.kubeconfig)) {
        if (emptyHint) throw new DoctorError('CONFIG', `Kubeconfig ${opts.kubeconfig} is empty: it names no cluster, user or context.`, emptyHint)
      } else kc.loadFromFile(opts.kubeconfig)
    } else {
      const paths = defaultKubeconfigPaths()
      const present = paths.filter((p) => existsSync(p) && !isEmptyFile(p))
      if (present.length === 0 && !opts.server && serviceEnv()) {
        // In a pod with no kubeconfig: the service account, as kubectl does (client-go's in-cluster config).
        loadInCluster(kc)
      } else if (present.length === 0) {
        if (!opts.server) {
          throw paths.some((p) => existsSync(p))
            ? new DoctorError('CONFIG', `Kubeconfig ${paths.join(':')} is empty: it names no cluster, user or context.`, emptyHint)
            : new DoctorError('CONFIG', 'No kubeconfig found ($KUBECONFIG is unset and ~/.kube/config does not exist).', 'Pass --kubeconfig, set KUBECONFIG, pass --server and --token, or try it offline with -f app.yaml --dry-run.')
        }
      } else if (present.length > 0 && present.length < paths.length) {
        // Skip the empty files of a $KUBECONFIG list; the first file's current-context wins, as in kubectl.
        for (const [i, p] of present.entries()) kc.mergeConfig(loadOne(p), i > 0)
      } else kc.loadFromDefault()
    }
  } catch (error) {
    if (error instanceof DoctorError) throw error
    // The first line only: a YAML error goes on with an excerpt of the file, which may hold a token or key.
    throw new DoctorError('CONFIG', `Cannot read the kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''}: ${String((error as Error).message).split('\n')[0]}`, 'Check the file with: kubectl config view')
  }

  // -s/--server without a usable kubeconfig: a context of our own, as kubectl does.
  if (opts.server && !opts.context && (!kc.getCurrentContext() || !kc.getContextObject(kc.getCurrentContext()))) {
    kc.loadFromOptions({
      clusters: [...kc.clusters, {name: SERVER_ONLY, server: opts.server, skipTLSVerify: false}],
      users: [...kc.users, {name: SERVER_ONLY}],
      contexts: [...kc.contexts, {name: SERVER_ONLY, cluster: SERVER_ONLY, user: SERVER_ONLY}],
      currentContext: SERVER_ONLY,
    })
  }

  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name)
      throw new DoctorError('CONFIG', `Context "${opts.context}" is not in the kubeconfig.`, `Known contexts: ${known.join(', ') || 'none'}.`)
    }

    kc.setCurrentContext(opts.context)
  } else if (!kc.getCurrentContext() || !kc.getContextObject(kc.getCurrentContext())) {
    throw new DoctorError('CONFIG', 'The kubeconfig has no current context.', 'Pass --context, or run: kubectl config use-context <name>')
  }

  useTokenFiles(kc, opts.kubeconfig ? [opts.kubeconfig] : defaultKubeconfigPaths().filter((p) => existsSync(p) && !isEmptyFile(p)))
  applyOverrides(kc, opts)
  const cluster = kc.getCurrentCluster()
  if (!cluster) {
    throw new DoctorError('CONFIG', `Context "${kc.getCurrentContext()}" names a cluster that is not in the kubeconfig.`, 'Fix the kubeconfig: kubectl config view')
  }

  const user = kc.getCurrentUser()
  const tokenFile = user?.authProvider?.config?.tokenFile as string | undefined
  if (tokenFile && !existsSync(tokenFile)) {
    throw new DoctorError('CONFIG', `The token file ${tokenFile} of kubeconfig user "${user!.name}" does not exist.`, 'Fix tokenFile in the kubeconfig (a relative path is relative to the kubeconfig file), or pass --token.')
  }

  // Plain http without insecure-skip-tls-verify (kubectl proxy): no credentials go out, as with kubectl.
  if (user && cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    kc.loadFromOptions({
      clusters: kc.clusters,
      users: kc.users.map((u) => (u.name === user.name ? {name: u.name, impersonateUser: u.impersonateUser} : u)),
      contexts: kc.contexts,
      currentContext: kc.getCurrentContext(),
    })
  }

  return kc
}

/**
 * client-go's `tokenFile` (client-node knows only its own `token-file`): a user without a token reads
 * it from that file, relative to the kubeconfig that names it, re-read every minute and trimmed
 * (as the in-cluster token). Where several files name a user, the first wins, as in kubectl.
 */
function useTokenFiles(kc: DoctorKubeConfig, files: string[]): void {
  const found = new Map<string, string>()
  for (const file of files) {
    let doc: {users?: Array<{name?: unknown; user?: {tokenFile?: unknown}}>} | undefined
    try {
      doc = loadYaml(readFileSync(file, 'utf8')) as typeof doc
    } catch {
      continue // client-node has read it already; what it made of it stands
    }

    for (const u of Array.isArray(doc?.users) ? doc.users : []) {
      const path = u?.user?.tokenFile
      if (typeof u?.name !== 'string' || typeof path !== 'string' || !path || found.has(u.name)) continue
      found.set(u.name, isAbsolute(path) ? path : join(dirname(file), path))
    }
  }

  if (found.size === 0) return
  kc.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users.map((u) => {
      const tokenFile = found.get(u.name)
      return tokenFile && !u.token && !u.exec && !u.authProvider ? {...u, authProvider: {name: 'tokenFile', config: {tokenFile}}} : u
    }),
    contexts: kc.contexts,
    currentContext: kc.getCurrentContext(),
  })
}

export const IN_CLUSTER = 'in-cluster'

/**
 * The pod's service account: client-node's loadFromCluster (server from KUBERNETES_SERVICE_HOST/PORT),
 * pointed at serviceAccountDir() and named after what it is: context and cluster "in-cluster", the
 * user the token's subject (system:serviceaccount:NS:NAME). The token file is re-read as the
 * kubelet rotates it (client-node's tokenFile provider, every 60 s).
 */
function loadInCluster(kc: DoctorKubeConfig): void {
  const dir = serviceAccountDir()
  const tokenFile = join(dir, 'token')
  const caFile = join(dir, 'ca.crt')
  if (!existsSync(tokenFile)) {
    throw new DoctorError('CONFIG', `No kubeconfig found, and no service account token at ${tokenFile} (KUBERNETES_SERVICE_HOST is set, so this looks like a pod).`,
      'In a pod: set automountServiceAccountToken: true on it (or its ServiceAccount). Elsewhere: pass --kubeconfig or set KUBECONFIG.')
  }

  if (!existsSync(caFile)) {
    throw new DoctorError('CONFIG', `The service account's CA certificate ${caFile} does not exist (next to its token).`, 'Mount the whole service account volume (token, ca.crt, namespace), or pass --kubeconfig.')
  }

  let subject: string | undefined
  try {
    subject = tokenSubject(readFileSync(tokenFile, 'utf8'))
  } catch (error) {
    throw new DoctorError('CONFIG', `Cannot read the service account token ${tokenFile}: ${(error as Error).message}`, 'Check the pod\'s service account volume, or pass --kubeconfig.')
  }

  kc.loadFromCluster()
  const [cluster] = kc.clusters
  const [user] = kc.users
  const userName = subject ?? IN_CLUSTER
  kc.loadFromOptions({
    clusters: [{...cluster, name: IN_CLUSTER, caFile}],
    users: [{...user, name: userName, authProvider: {name: 'tokenFile', config: {tokenFile}}}],
    contexts: [{name: IN_CLUSTER, cluster: IN_CLUSTER, user: userName, namespace: serviceAccountNamespace(dir)}],
    currentContext: IN_CLUSTER,
  })
  kc.inCluster = {dir, ...(subject ? {subject} : {})}
}

function loadOne(path: string): KubeConfig {
  const one = new KubeConfig()
  one.loadFromFile(path)
  return one
}

/** kubectl's override flags, applied to the current context the way kubectl applies them. */
function applyOverrides(kc: DoctorKubeConfig, opts: Omit<ConnectOptions, 'requestTimeout'>): void {
  const changes = opts.cluster || opts.user || opts.server || opts.token || opts.certificateAuthority || opts.insecureSkipTlsVerify || opts.as
  const groups = opts.asGroups ?? []
  if (groups.length > 1) {
    // client-node sends each header once: several groups would reach the server as one group "a,b".
    throw new DoctorError('USAGE', `Give --as-group once (got ${groups.length}): argo-doctor can impersonate one group.`, 'Use the one group whose permissions you need, or run the kubectl command argo-doctor prints.')
  }

  kc.impersonateGroup = groups[0]
  if (!changes) return
  const named = opts.user ?? kc.getContextObject(kc.getCurrentContext())?.user
  kc.identity = opts.as ?? (named && named !== SERVER_ONLY && kc.getUser(named) ? named : undefined) ?? tokenSubject(opts.token ?? kc.getUser(named ?? '')?.token ?? '')
  const current = kc.getContextObject(kc.getCurrentContext())!
  if (opts.cluster && !kc.getCluster(opts.cluster)) {
    throw new DoctorError('CONFIG', `Cluster "${opts.cluster}" is not in the kubeconfig.`, `Known clusters: ${kc.clusters.map((c) => c.name).join(', ') || 'none'}.`)
  }

  if (opts.user && !kc.getUser(opts.user)) {
    throw new DoctorError('CONFIG', `User "${opts.user}" is not in the kubeconfig.`, `Known users: ${kc.users.map((u) => u.name).join(', ') || 'none'}.`)
  }

  if (opts.certificateAuthority && !existsSync(opts.certificateAuthority)) {
    throw new DoctorError('CONFIG', `Certificate authority file ${opts.certificateAuthority} does not exist.`, 'Pass an existing PEM file to --certificate-authority.')
  }

  const baseCluster = kc.getCluster(opts.cluster ?? current.cluster)
  const baseUser = kc.getUser(opts.user ?? current.user) ?? {name: SERVER_ONLY}
  const cluster = {
    ...(baseCluster ?? {name: SERVER_ONLY, skipTLSVerify: false}),
    name: `${SERVER_ONLY}-cluster`,
    server: opts.server ?? baseCluster?.server ?? '',
    ...(opts.certificateAuthority ? {caFile: opts.certificateAuthority, caData: undefined} : {}),
    ...(opts.insecureSkipTlsVerify ? {skipTLSVerify: true, caFile: undefined, caData: undefined} : {}),
  }
  // A token replaces the user's other ways of getting one (exec plugin, auth provider, basic auth); client certificates stay, as in kubectl.
  const user = {
    ...baseUser,
    name: `${SERVER_ONLY}-user`,
    ...(opts.token ? {token: opts.token, exec: undefined, authProvider: undefined, username: undefined, password: undefined} : {}),
    ...(opts.as ? {impersonateUser: opts.as} : {}),
  }
  kc.loadFromOptions({
    clusters: [...kc.clusters.filter((c) => c.name !== cluster.name), cluster],
    users: [...kc.users.filter((u) => u.name !== user.name), user],
    contexts: [...kc.contexts.filter((c) => c.name !== current.name), {...current, cluster: cluster.name, user: user.name}],
    currentContext: current.name,
  })
}

export function connect(opts: ConnectOptions): Cluster {
  return new Cluster(loadKubeConfig(opts), opts)
}

export {ApiException}

/**
 * A stream that joins small chunks: it passes them on once `bytes` have gathered, or `ms` after the
 * first one of a batch arrived (so a slow server's bytes are not held up), and at the end.
 */
export function coalesce(bytes: number, ms: number): Transform {
  let parts: Buffer[] = []
  let size = 0
  let timer: NodeJS.Timeout | undefined
  const release = (stream: Transform) => {
    clearTimeout(timer)
    timer = undefined
    if (size === 0) return
    const joined = parts.length === 1 ? parts[0] : Buffer.concat(parts, size)
    parts = []
    size = 0
    stream.push(joined)
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      parts.push(chunk)
      size += chunk.length
      if (size >= bytes) release(this)
      else timer ??= setTimeout(() => release(this), ms)
      done()
    },
    flush(done) {
      release(this)
      done()
    },
    destroy(error, done) {
      clearTimeout(timer)
      done(error)
    },
  })
}

