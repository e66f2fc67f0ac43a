/**
 * metav1.Status bodies exactly as kube-apiserver v1.34 renders them
 * (k8s.io/apimachinery/pkg/api/errors), plus the small helpers the fake API
 * server needs to build them.
 */
import type {FieldError} from './crd-schema.js'

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  uid?: string
  causes?: Array<{reason: string; message: string; field: string}>
  retryAfterSeconds?: number
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message?: string
  reason?: string
  details?: StatusDetails
  code?: number
}

/** Thrown inside the fake server; the handler renders `status`. */
export class StatusError extends Error {
  constructor(
    readonly status: Status,
    readonly detail?: string,
  ) {
    super(status.message ?? `status ${status.code}`)
    this.name = 'StatusError'
  }

  get code(): number {
    return this.status.code ?? 500
  }
}

/** Key order and omitempty as the server's JSON encoder produces them. */
export function makeStatus(code: number, reason: string | undefined, message: string, details?: StatusDetails): Status {
  const s: Status = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message}
  if (reason) s.reason = reason
  if (details) {
    const d: StatusDetails = {}
    if (details.name) d.name = details.name
    if (details.group) d.group = details.group
    if (details.kind) d.kind = details.kind
    if (details.uid) d.uid = details.uid
    if (details.causes && details.causes.length > 0) d.causes = details.causes
    if (details.retryAfterSeconds) d.retryAfterSeconds = details.retryAfterSeconds
    s.details = d
  }
  s.code = code
  return s
}

export function err(code: number, reason: string | undefined, message: string, details?: StatusDetails, detail?: string): StatusError {
  return new StatusError(makeStatus(code, reason, message, details), detail)
}

export interface GroupResource {
  group: string
  plural: string
}

/** schema.GroupResource.String(): "applications.argoproj.io", or "secrets" for core. */
export function grString(gr: GroupResource): string {
  return gr.group ? `${gr.plural}.${gr.group}` : gr.plural
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return err(404, 'NotFound', `${grString(gr)} ${q(name)} not found`, {name, group: gr.group, kind: gr.plural})
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return err(409, 'AlreadyExists', `${grString(gr)} ${q(name)} already exists`, {name, group: gr.group, kind: gr.plural})
}

export const OptimisticLockErrorMsg = 'the object has been modified; please apply your changes to the latest version and try again'

export function conflict(gr: GroupResource, name: string, why = OptimisticLockErrorMsg): StatusError {
  return err(409, 'Conflict', `Operation cannot be fulfilled on ${grString(gr)} ${q(name)}: ${why}`, {
    name,
    group: gr.group,
    kind: gr.plural,
  })
}

export function badRequest(message: string): StatusError {
  return err(400, 'BadRequest', message)
}

export function unauthorized(): StatusError {
  return err(401, 'Unauthorized', 'Unauthorized')
}

/** responsewriters.ForbiddenStatusError for a resource request. */
export function forbidden(user: string, verb: string, gr: GroupResource, namespace: string | undefined, name: string | undefined, subresource?: string): StatusError {
  const resource = subresource ? `${gr.plural}/${subresource}` : gr.plural
  const where = namespace ? `in the namespace ${q(namespace)}` : 'at the cluster scope'
  const why = `User ${q(user)} cannot ${verb} resource ${q(resource)} in API group ${q(gr.group)} ${where}`
  const message = name ? `${grString(gr)} ${q(name)} is forbidden: ${why}` : `${grString(gr)} is forbidden: ${why}`
  return err(403, 'Forbidden', message, {name, group: gr.group, kind: gr.plural})
}

export function forbiddenPath(user: string, verb: string, path: string): StatusError {
  return err(403, 'Forbidden', `forbidden: User ${q(user)} cannot ${verb} path ${q(path)}`, {})
}

/**
 * errors.NewInvalid: message "<Kind>.<group> "<name>" is invalid: <errs>"
 * (one error bare, several as "[a, b]", duplicates dropped from the message
 * but kept in causes).
 */
export function invalid(qualifiedKind: {group: string; kind: string}, name: string, errs: FieldError[]): StatusError {
  const gk = qualifiedKind.group ? `${qualifiedKind.kind}.${qualifiedKind.group}` : qualifiedKind.kind
  const msgs: string[] = []
  for (const e of errs) {
    const m = `${e.field}: ${e.body}`
    if (!msgs.includes(m)) msgs.push(m)
  }
  const agg = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`
  const message = msgs.length === 0 ? `${gk} ${q(name)} is invalid` : `${gk} ${q(name)} is invalid: ${agg}`
  return err(422, 'Invalid', message, {
    name,
    group: qualifiedKind.group,
    kind: qualifiedKind.kind,
    causes: errs.map((e) => ({reason: e.type, message: e.body, field: e.field})),
  })
}

/** The 422 every JSON-patch apply failure becomes (NewGenericServerResponse(422, …)). */
export function genericUnprocessable(detail: string): StatusError {
  return err(422, 'Invalid', 'the server rejected our request due to an error in our request', {}, detail)
}

/** Go's %q for the (mostly ASCII) strings the server quotes. */
export function q(s: string): string {
  return JSON.stringify(s)
}

/** A default Status for failNext(): reason and message as NewGenericServerResponse picks them. */
export function genericStatus(code: number, reason?: string, message?: string): Status {
  const defaults: Record<number, [string, string]> = {
    400: ['BadRequest', 'the server rejected our request for an unknown reason'],
    401: ['Unauthorized', 'Unauthorized'],
    403: ['Forbidden', 'forbidden'],
    404: ['NotFound', 'the server could not find the requested resource'],
    405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
    409: ['Conflict', 'the server reported a conflict'],
    410: ['Expired', 'the resource has expired'],
    415: ['UnsupportedMediaType', 'the body of the request was in an unknown format'],
    422: ['Invalid', 'the server rejected our request due to an error in our request'],
    429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
    500: ['InternalError', 'Internal error occurred: injected failure'],
    503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
    504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
  }
  const [r, m] = defaults[code] ?? ['', `the server responded with the status code ${code} but did not return more information`]
  return makeStatus(code, reason ?? (r || undefined), message ?? m, {})
}
