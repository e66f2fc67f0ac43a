/**
 * When was an offline file captured? A file saved from a ticket, copied or checked out of git has
 * a modification time that says nothing about the objects in it, so -f judges ages against the
 * newest timestamp the objects themselves carry: every one of them was written before the save.
 */
import {DoctorError} from './errors.js'
import type {KubeObject} from './source.js'

export interface Stamp {
  at: Date
  /** e.g. "status.reconciledAt of argocd/storage-service-prod". */
  field: string
}

export interface OfflineClock {
  now: Date
  /** How `now` was chosen, for the note printed with the report. */
  source: string
  /** The inferred capture time, when one was found (also when --as-of/ARGO_DOCTOR_NOW override it). */
  inferred?: Stamp
  /** `now` is the newest timestamp in the file: the file was saved at or after it, an age measured from it is unknown. */
  lowerBound?: boolean
}

function label(o: KubeObject): string {
  const m = o.metadata ?? {}
  return `${o.kind ?? 'object'} ${m.namespace ? `${m.namespace}/` : ''}${m.name ?? '?'}`
}

/** Timestamps that an object only gets once the thing they describe has happened. */
function stampsOf(o: KubeObject): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = []
  const status = o.status ?? {}
  const op = status.operationState ?? {}
  out.push(['status.reconciledAt', status.reconciledAt], ['status.operationState.startedAt', op.startedAt], ['status.operationState.finishedAt', op.finishedAt])
  const meta = (o.metadata ?? {}) as {managedFields?: unknown}
  const lists: Array<[string, unknown, string]> = [
    ['status.conditions', status.conditions, 'lastTransitionTime'],
    ['status.history', status.history, 'deployedAt'],
    ['metadata.managedFields', meta.managedFields, 'time'],
  ]
  for (const [path, list, field] of lists) {
    if (!Array.isArray(list)) continue
    list.forEach((entry, i) => out.push([`${path}[${i}].${field}`, (entry as Record<string, unknown> | null)?.[field]]))
  }

  return out
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value
  if (typeof value !== 'string' || !value) return undefined
  const t = Date.parse(value)
  return Number.isNaN(t) ? undefined : new Date(t)
}

/** The newest of the capture-time timestamps across every object in the file. Pure. */
export function inferCaptureTime(objects: readonly KubeObject[]): Stamp | undefined {
  let best: Stamp | undefined
  for (const o of objects) {
    if (!o || typeof o !== 'object') continue
    for (const [path, value] of stampsOf(o)) {
      const at = toDate(value)
      if (at && (!best || at.getTime() > best.at.getTime())) best = {at, field: `${path} of ${label(o)}`}
    }
  }

  return best
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i

/** Parse --as-of: an RFC 3339 timestamp, else a usage error. */
export function parseAsOf(value: string): Date {
  const t = RFC3339.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN
  if (Number.isNaN(t)) throw new DoctorError('USAGE', `--as-of "${value}" is not an RFC 3339 timestamp.`, 'Example: --as-of 2026-01-02T00:12:00Z (when the file was saved).')
  return new Date(t)
}

export const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z')

/**
 * The clock for an -f file: --as-of, else ARGO_DOCTOR_NOW (tests, demos), else the newest
 * timestamp in the file, else the current time (and the note says ages cannot be judged).
 */
export function offlineClock(objects: readonly KubeObject[], opts: {asOf?: string; pinned?: Date; current: Date}): OfflineClock {
  const inferred = inferCaptureTime(objects)
  if (opts.asOf) return {now: parseAsOf(opts.asOf), source: '--as-of', inferred}
  if (opts.pinned) return {now: opts.pinned, source: 'ARGO_DOCTOR_NOW', inferred}
  if (inferred) return {now: inferred.at, source: `the newest timestamp in the file: ${inferred.field}; override with --as-of`, inferred, lowerBound: true}
  return {now: opts.current, source: 'the file has no status timestamps, so this is the current time and ages are relative to it; pass --as-of'}
}

/** The note printed with offline reports. */
export function offlineNote(path: string, clock: OfflineClock): string {
  return `offline — diagnosed from ${path === '-' ? 'standard input' : path} as of ${iso(clock.now)} (${clock.source}); nothing was read from a cluster.`
}
