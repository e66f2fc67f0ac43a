/**
 * The only module that talks to the Argo CD API server (its REST gateway, /api/v1/…), as
 * src/lib/cluster/kube.ts is for the Kubernetes API. One keep-alive agent, TLS verified unless the
 * session says insecure, the bearer token sent and never shown (errors.ts keepSecret), and every
 * failure turned into a DoctorError that names what to do: 401 → `argocd login`/`argocd relogin`,
 * 403 → the Argo CD RBAC action that is missing.
 */
import {Agent as HttpAgent, request as httpRequest, type IncomingMessage} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {DoctorError, scrubSecrets, type ApiDetails} from '../errors.js'
import {sessionError, type ArgoCdSession} from './session.js'

/** The Argo CD RBAC action a request needs (server/application/application.go), for 403 messages. */
export type RbacAction = 'get' | 'update' | 'sync' | 'delete' | 'override'

export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Path below the base URL, e.g. /api/v1/applications/my-app. */
  path: string
  query?: Record<string, string | undefined>
  body?: unknown
  /** What the request is about, for messages: "Application argocd/my-app". */
  about: string
  action: RbacAction
  /** The RBAC object ("applications, update, PROJECT/APP"), when known. */
  rbacObject?: string
  /** Override the per-request timeout (seconds). */
  timeoutSeconds?: number
}

/** grpc-gateway's error body (runtimeError in the swagger). */
interface RuntimeError {
  code?: number
  message?: string
  error?: string
}

export class ArgoCdApi {
  private readonly agent: HttpAgent
  /** The user name the server knows the session by (session/userinfo), set by whoami(). */
  username?: string

  constructor(readonly session: ArgoCdSession, private readonly requestTimeoutSeconds: number) {
    const tls = {keepAlive: true, rejectUnauthorized: !session.insecure, ...(session.ca ? {ca: session.ca} : {})}
    this.agent = session.baseUrl.startsWith('https:') ? new HttpsAgent(tls) : new HttpAgent({keepAlive: true})
  }

  /** Who the token belongs to, as the server says (GET /api/v1/session/userinfo); a session it does not accept is an UNAUTHORIZED error. */
  async whoami(): Promise<string> {
    const info = await this.request<{loggedIn?: boolean; username?: string}>({method: 'GET', path: '/api/v1/session/userinfo', about: 'your session', action: 'get'})
    if (!info?.loggedIn) throw sessionError(this.session, 'The Argo CD server does not accept your session token (it is expired, revoked or for another server)')
    this.username = info.username || 'unknown user'
    return this.username
  }

  async request<T>(call: Call): Promise<T> {
    const url = new URL(`${this.session.baseUrl}${call.path}`)
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, v)
    const api: ApiDetails = {method: call.method, url: url.toString()}
    const body = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body))
    const headers: Record<string, string> = {Accept: 'application/json', 'User-Agent': 'argo-doctor'}
    if (this.session.token) headers.Authorization = `Bearer ${this.session.token}`
    // argocd-server refuses a write without Content-Type: application/json, body or not (415; its CSRF guard).
    if (call.method !== 'GET') headers['Content-Type'] = 'application/json'
    if (body) headers['Content-Length'] = String(body.length)

    let response: {status: number; text: string}
    try {
      response = await this.send(url, call.method, headers, body, (call.timeoutSeconds ?? this.requestTimeoutSeconds) * 1000)
    } catch (error) {
      const e = error as NodeJS.ErrnoException
      const err = new DoctorError('UNREACHABLE', `Cannot reach the Argo CD server at ${this.session.baseUrl}: ${scrubSecrets(e.code ? `${e.code} ${e.message}` : e.message)}.`,
        /CERT|SELF_SIGNED|TLS|certificate/i.test(`${e.code} ${e.message}`)
          ? 'Its TLS certificate is not trusted: log in with the CA it uses (argocd login --server-crt …), or --insecure where that is acceptable.'
          : `Check the address and that argocd-server is up (argocd version --server ${this.session.server}).`)
      err.api = api
      throw err
    }

    api.status = response.status
    if (response.status >= 200 && response.status < 300) {
      if (response.text.trim() === '') return {} as T
      try {
        return JSON.parse(response.text) as T
      } catch {
        throw withApi(notTheApi(this.session, response.status), api)
      }
    }

    let parsed: RuntimeError | undefined
    try {
      parsed = JSON.parse(response.text) as RuntimeError
    } catch {
      parsed = undefined
    }

    api.body = parsed ?? scrubSecrets(response.text.slice(0, 4000))
    if (!parsed || typeof parsed !== 'object') {
      // A plain-text refusal (argocd-server's own HTTP checks, e.g. 415 "Invalid content type") is still a refusal, nothing written.
      if (response.status >= 400 && response.status < 500) throw withApi(this.classify(response.status, scrubSecrets(response.text.trim().split('\n')[0].slice(0, 200)), call), api)
      throw withApi(notTheApi(this.session, response.status), api)
    }
    throw withApi(this.classify(response.status, scrubSecrets(parsed.message ?? parsed.error ?? ''), call), api)
  }

  private classify(status: number, said: string, call: Call): DoctorError {
    const who = this.username ? `you (${this.username})` : 'you'
    switch (status) {
      case 401:
        return sessionError(this.session, `The Argo CD server rejected your session${said ? ` (${said})` : ''}`)
      case 403: {
        const object = call.rbacObject ? ` on ${call.rbacObject}` : ''
        // Argo CD answers 403 for an app that does not exist as well, so as not to reveal it (getAppEnforceRBAC).
        const missing = call.action === 'get' ? ' (Argo CD gives the same answer for an Application that does not exist)' : ''
        return new DoctorError('FORBIDDEN', `Argo CD RBAC does not allow ${who} to ${call.action} ${call.about}${object}: ${said || 'permission denied'}${missing}. Nothing was written.`,
          `Ask an Argo CD admin for the "${call.action}" action on applications in argocd-rbac-cm, e.g. p, role:NAME, applications, ${call.action}, ${call.rbacObject ?? 'PROJECT/APP'}, allow — or use the kubeconfig backend (--kubeconfig/--context) if you have Kubernetes RBAC.`,
          {rbacAction: call.action})
      }

      case 404:
        return new DoctorError('NOT_FOUND', `${call.about} was not found on the Argo CD server ${this.session.server}${said ? ` (${said})` : ''}.`, 'Check the name and the namespace (-n): argocd app list')
      case 409:
        return new DoctorError('CONFLICT', `${call.about} changed while we were writing it (${said}); nothing was written.`, 'Run the command again to see a fresh preview.')
      default:
        // A failed `test` op of a JSON patch: the guard, checked by argocd-server on its own read of the app.
        if (/testing value .* failed|test operation failed|test failed/i.test(said)) {
          return new DoctorError('CONFLICT', `${call.about} changed since it was read (a guard failed on the Argo CD server: ${said}); nothing was written.`, 'Run the command again to see a fresh preview.')
        }

        if (status >= 500 && !/error applying patch|error (decoding|validating|updating)/i.test(said)) {
          return new DoctorError('UNREACHABLE', `The Argo CD server failed the request (${status}): ${said || 'server error'}`, 'Retry in a moment; if it persists, check argocd-server\'s logs.')
        }

        return new DoctorError('REJECTED', `The Argo CD server refused the request to ${call.method === 'GET' ? 'read' : 'change'} ${call.about} (${status}): ${said || 'bad request'}`, 'Nothing was written by this request.')
    }
  }

  private send(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined, timeoutMs: number): Promise<{status: number; text: string}> {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const req = request(url, {method, headers, agent: this.agent}, (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}))
        res.on('error', reject)
      })
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${Math.round(timeoutMs / 1000)}s`), {code: 'ETIMEDOUT'})))
      req.on('error', reject)
      req.end(body)
    })
  }
}

function withApi(error: DoctorError, api: ApiDetails): DoctorError {
  error.api = api
  return error
}

function notTheApi(session: ArgoCdSession, status: number): DoctorError {
  return new DoctorError('UNREACHABLE', `${session.baseUrl} answered (${status}) with something that is not the Argo CD API.`,
    session.plainText ? 'Check the address; a proxy in front of argocd-server may be failing.' : 'Check the address (a grpc-web root path goes in ARGOCD_OPTS --grpc-web-root-path), or whether the server is plain HTTP (argocd login --plaintext).')
}
