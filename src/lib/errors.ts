import {ExitCode, type ExitCodeName} from './exit-codes.js'
import {shellQuote} from './shell.js'

/** An error a user can act on: one sentence of what happened, one of what to do next. */
export class DoctorError extends Error {
  /** The failing API request, for --debug (never part of the message or the JSON). */
  api?: ApiDetails
  constructor(
    readonly code: ExitCodeName,
    message: string,
    readonly hint?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'DoctorError'
  }

  get exitCode(): number {
    return ExitCode[this.code]
  }

  toJSON(): Record<string, unknown> {
    return {code: this.code, exitCode: this.exitCode, message: this.message, hint: this.hint, ...this.details}
  }
}

/** A failed API request as --debug prints it. */
export interface ApiDetails {
  method: string
  url: string
  status?: number
  /** The API server's Status object (or raw body), as received. */
  body?: unknown
}

const GROUP_VERSIONS: Record<string, string> = {'argoproj.io': 'v1alpha1', batch: 'v1', autoscaling: 'v2'}

const METHODS: Record<RequestContext['verb'], string> = {get: 'GET', list: 'GET', watch: 'GET (watch)', patch: 'PATCH', create: 'POST', update: 'PUT'}

/** The request path the context stands for (client-node builds the same one). */
export function requestUrl(ctx: RequestContext): string {
  const [plural, ...rest] = ctx.resource.split('.')
  const group = rest.join('.')
  const prefix = group === '' ? '/api/v1' : `/apis/${group}/${GROUP_VERSIONS[group] ?? 'v1'}`
  const ns = ctx.namespace && /^[a-z0-9-]+$/.test(ctx.namespace) ? `/namespaces/${ctx.namespace}` : ''
  return `${ctx.server ?? ''}${prefix}${ns}/${plural}${ctx.name ? `/${encodeURIComponent(ctx.name)}` : ''}`
}

/** Lines --debug prints for an API error. */
export function describeApi(api: ApiDetails): string[] {
  const body = typeof api.body === 'string' ? api.body : api.body === undefined ? undefined : JSON.stringify(api.body)
  return [
    `API request: ${api.method} ${api.url}`,
    ...(api.status === undefined ? [] : [`API response: ${api.status}`]),
    ...(body ? [`API status body: ${body.length > 4000 ? `${body.slice(0, 4000)}…` : body}`] : []),
  ]
}

/** What the failing request was about, so messages can name it. */
export interface RequestContext {
  verb: 'get' | 'list' | 'watch' | 'patch' | 'create' | 'update'
  resource: string // e.g. applications.argoproj.io
  name?: string
  namespace?: string
  server?: string
  context?: string
}

interface K8sStatus {
  message?: string
  reason?: string
  code?: number
  details?: {causes?: Array<{message?: string; field?: string}>}
}

function parseStatus(body: unknown): K8sStatus {
  if (body && typeof body === 'object') return body as K8sStatus
  if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      return JSON.parse(body) as K8sStatus
    } catch {
      return {}
    }
  }

  return {}
}

export const GENERIC_422 = 'the server rejected our request due to an error in our request'

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  'UND_ERR_SOCKET', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
])

function describeTarget(ctx: RequestContext): string {
  const kind = ctx.resource === 'applications.argoproj.io' ? 'Application' : ctx.resource
  return ctx.name ? `${kind} "${ctx.name}" in namespace "${ctx.namespace}"` : `${kind} in namespace "${ctx.namespace ?? 'all'}"`
}

/** Credentials sent this run (bearer tokens): never part of any message. */
const secrets = new Set<string>()

/** Remember a credential, so that no error message can show it (scrubSecrets). */
export function keepSecret(value: string): void {
  if (value.length >= 4) secrets.add(value)
}

/** `text` with every remembered credential replaced by "[redacted]". */
export function scrubSecrets(text: string): string {
  let out = text
  for (const secret of secrets) out = out.split(secret).join('[redacted]')
  return out
}

/** HTTP clients refusing a header, in their words; some of them quote the header's value (node-fetch: "VALUE is not a legal HTTP header value"). */
const BAD_HEADER = /is not a legal HTTP header (value|name)|Invalid character in header content|Invalid header value|invalid header field/i
const BAD_HEADER_CODES = new Set(['ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN', 'ERR_HTTP_INVALID_HEADER_VALUE'])

/** Turns anything thrown while talking to the API server into a DoctorError (with the request for --debug). */
export function toDoctorError(err: unknown, ctx: RequestContext): DoctorError {
  if (err instanceof DoctorError) return err
  const error = classify(err, ctx)
  const e = err as {code?: unknown; body?: unknown}
  error.api = {method: METHODS[ctx.verb], url: requestUrl(ctx), status: typeof e?.code === 'number' ? e.code : undefined, body: typeof e?.code === 'number' ? e.body : undefined}
  return error
}

function classify(err: unknown, ctx: RequestContext): DoctorError {
  const raw = err as {code?: unknown; body?: unknown; message?: string; name?: string; cause?: {code?: string}; type?: string}
  // What the error says, without any credential in it; an error about a header never quotes the header.
  const e = raw && typeof raw === 'object' ? {code: raw.code, body: raw.body, name: raw.name, cause: raw.cause, type: raw.type, syscall: (raw as {syscall?: string}).syscall,
    message: raw.message === undefined ? undefined : scrubSecrets(String(raw.message))} : raw
  const where = ctx.context ? ` (context "${ctx.context}")` : ''
  if (BAD_HEADER.test(e?.message ?? '') || (typeof e?.code === 'string' && BAD_HEADER_CODES.has(e.code))) {
    return new DoctorError('CONFIG', `The credentials for ${ctx.server ?? 'the cluster'}${where} cannot be sent: a request header (the bearer token, or an --as/--as-group name) holds characters HTTP does not allow, such as a line break inside it.`,
      'Check the token: --token, the kubeconfig user\'s token or tokenFile, or what its exec plugin prints (kubectl config view --minify shows which one is used).')
  }

  if (typeof e?.code === 'number') {
    const status = parseStatus(e.body)
    // JSON-patch apply failures arrive as a generic 422 whose real reason is in details.causes.
    const causes = (status.details?.causes ?? []).map((c) => c.message).filter(Boolean)
    const serverSays = [status.message, ...causes].filter(Boolean).join(': ')
    switch (e.code) {
      case 401:
        return new DoctorError('UNAUTHORIZED', `The API server at ${ctx.server ?? 'the cluster'} rejected your credentials (401 Unauthorized)${where}.`, 'Log in again or refresh your token, then retry (kubectl auth whoami shows who you are).')
      case 403:
        return new DoctorError('FORBIDDEN', `Forbidden: you may not ${ctx.verb} ${ctx.resource} in namespace "${ctx.namespace}"${where}.`,
          `Ask for RBAC that allows "${ctx.verb}" on ${ctx.resource} in "${ctx.namespace}" (see the README's RBAC section).${serverSays ? ` Server: ${serverSays}` : ''}`)
      case 404: {
        if (!serverSays || /could not find the requested resource/.test(serverSays) || !ctx.name) {
          return new DoctorError('NOT_FOUND', `The API server has no ${ctx.resource} resource${where}: is this an Argo CD cluster, and the right context?`, 'Check with: kubectl get crd applications.argoproj.io')
        }

        return new DoctorError('NOT_FOUND', `${ctx.resource === 'applications.argoproj.io' ? 'Application' : ctx.resource} "${ctx.name}" not found in namespace "${ctx.namespace}"${where}.`, `Check the name and namespace (-n): kubectl get applications.argoproj.io -A | grep -- ${shellQuote(ctx.name)}`)
      }

      case 409:
        return new DoctorError('CONFLICT', `${describeTarget(ctx)} changed while we were working on it; nothing was written.`, 'Run the command again to see a fresh preview.')
      case 422:
        if (/test(ing value)?.*failed|test operation failed/i.test(serverSays)) {
          return new DoctorError('CONFLICT', `${describeTarget(ctx)} changed since it was read (a guard failed: ${serverSays}); nothing was written.`, 'Run the command again to see a fresh preview.')
        }

        // A JSON-patch op that does not apply (a failed `test` guard, a `remove` of a missing path) comes back as this
        // generic 422 with no detail; the pipeline re-reads the object to tell a conflict from a bad patch.
        return new DoctorError('REJECTED', `The API server rejected the change to ${describeTarget(ctx)}: ${serverSays || '422 Unprocessable Entity'}`,
          'Nothing was written. If the app\'s spec is unusual, report this with --debug output.',
          serverSays === GENERIC_422 ? {patchDidNotApply: true} : undefined)
      case 400:
      case 415:
        return new DoctorError('REJECTED', `The API server rejected the request (${e.code}): ${serverSays || 'bad request'}`, 'Nothing was written.')
      default:
        if (e.code >= 500) {
          return new DoctorError('UNREACHABLE', `The API server failed the request (${e.code}): ${serverSays || 'server error'}`, 'Retry in a moment; if it persists, check the API server\'s health.')
        }

        return new DoctorError('ERROR', `Unexpected API response ${e.code}: ${serverSays || e.message}`)
    }
  }

  const netCode = (typeof e?.code === 'string' ? e.code : undefined) ?? e?.cause?.code
  if ((netCode && NETWORK_CODES.has(netCode)) || e?.type === 'system' || e?.name === 'FetchError') {
    return new DoctorError('UNREACHABLE', `Cannot reach the API server at ${ctx.server ?? 'the cluster'}${where}: ${e?.message ?? netCode}.`, 'Check the context (--context), VPN/network, and that the cluster is up: kubectl cluster-info')
  }

  if (/^spawn |exec(utable)? plugin|credential plugin|getCredentials/i.test(e?.message ?? '') || (e as {syscall?: string})?.syscall?.startsWith('spawn')) {
    return new DoctorError('CONFIG', `The kubeconfig's credential plugin failed${where}: ${e?.message}.`, 'Check that the exec plugin it names is installed and logged in (e.g. aws sso login, gcloud auth login): kubectl get ns uses the same plugin.')
  }

  const openssl = typeof e?.code === 'string' && e.code.startsWith('ERR_OSSL')
  if (openssl || /PEM routines|DECODER routines|asn1|bad base64|key values mismatch|unsupported key/i.test(e?.message ?? '')) {
    return new DoctorError('CONFIG', `The kubeconfig's client certificate or key${where} cannot be used: ${e?.message}.`, 'Check client-certificate-data / client-key-data (base64 of PEM) with: kubectl config view --minify --raw')
  }

  if (/HTTP protocol is not allowed|Invalid URL|certificate|ERR_TLS/i.test(e?.message ?? '')) {
    return new DoctorError('CONFIG', `The kubeconfig's connection settings for ${ctx.server ?? 'the cluster'} are unusable${where}: ${e?.message}.`, 'Check server, certificate-authority and insecure-skip-tls-verify with: kubectl config view --minify')
  }

  if (e?.name === 'AbortError' || e?.name === 'RequestTimeout') {
    return new DoctorError('UNREACHABLE', `The API server at ${ctx.server ?? 'the cluster'} did not answer in time${where}.`, 'Check the cluster\'s health or raise --request-timeout.')
  }

  return new DoctorError('ERROR', e?.message ?? scrubSecrets(String(err)), 'Rerun with --debug for details; if it looks like a bug in argo-doctor, report it.')
}
