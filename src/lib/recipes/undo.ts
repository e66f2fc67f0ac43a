import jsonpatch from 'fast-json-patch'
/**
 * undo: the inverse of one change argo-doctor made, computed from its change record (lib/backup.ts).
 * Only the paths argo-doctor's own patch touched are restored, each guarded by a `test` that the
 * current value is still what argo-doctor wrote; a path someone changed since is a conflict and the
 * whole undo is refused. Controller-owned state (status, the operation, refresh requests) is left
 * alone: the controller has rewritten it since, and restoring a stuck operation would re-create
 * the incident. Restoring the whole object is not undo and is never done.
 */
import {REFRESH_ANNOTATION, REFRESH_TIMESTAMP_ANNOTATION, refOf, type Application} from '../app.js'
import type {ChangeRecord, TouchedPath} from '../backup.js'
import {describeGuards, resourceVersionGuard, valueAt, type JsonPatchOp, type NoChange, type Outcome} from '../plan.js'

export interface UndoOptions {
  record: ChangeRecord
  /** The change record's path, for messages. */
  backupFile: string
  /** The record's id (backup.ts BackupEntry.id); the undo's own record keeps it. */
  id: string
  /** The applied undo that already reverted this change, if any. */
  undoneBy?: {file: string; time: string}
}

export interface UndoConflict {
  path: string
  /** What argo-doctor wrote there. */
  wrote: unknown
  /** What is there now. */
  now: unknown
}

export interface UndoAnalysis {
  /** Paths to restore, with the ops that do it. */
  reverts: Array<{path: string; ops: JsonPatchOp[]}>
  /** Paths already back to their value before the change. */
  alreadyBack: string[]
  /** Paths left alone on purpose (controller-owned), with why. */
  leftAlone: Array<{path: string; why: string}>
  conflicts: UndoConflict[]
}

const REQUEST_KEYS = [REFRESH_ANNOTATION, REFRESH_TIMESTAMP_ANNOTATION]
const REQUEST_PATHS = new Set(REQUEST_KEYS.map((k) => `/metadata/annotations/${jsonpatch.escapePathComponent(k)}`))

/** Pointer → dotted path for people: /spec/source/directory/exclude → spec.source.directory.exclude */
export function dotted(pointer: string): string {
  return pointer.slice(1).split('/').map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~')).map((t) => (/^\d+$/.test(t) ? `[${t}]` : t)).join('.').replaceAll('.[', '[')
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
    : v)) ?? 'undefined'
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b)

/** Annotations minus the refresh request argo-doctor adds (the controller removes it); {} counts as absent. */
function withoutRequests(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value
  const copy = {...(value as Record<string, unknown>)}
  for (const key of REQUEST_KEYS) delete copy[key]
  return Object.keys(copy).length === 0 ? undefined : copy
}

function controllerOwned(path: string): string | undefined {
  if (path === '/status' || path.startsWith('/status/')) return 'status is written by the application-controller; it has been (or will be) rewritten since'
  if (path === '/operation' || path.startsWith('/operation/')) return 'restoring a cleared or started operation would re-run (or re-stick) a sync; start one yourself if you want it'
  if (REQUEST_PATHS.has(path)) return 'a refresh request is consumed by the controller; there is nothing to undo'
  return undefined
}

/** What undoing `record` on the current `app` would do. Pure. */
export function analyzeUndo(app: Application, record: ChangeRecord): UndoAnalysis {
  const out: UndoAnalysis = {reverts: [], alreadyBack: [], leftAlone: [], conflicts: []}
  for (const t of record.touched ?? []) {
    const owned = controllerOwned(t.path)
    if (owned) {
      out.leftAlone.push({path: t.path, why: owned})
      continue
    }

    const touched: TouchedPath = t.path === '/metadata/annotations' ? {path: t.path, before: withoutRequests(t.before), after: withoutRequests(t.after)} : t
    const current = t.path === '/metadata/annotations' ? withoutRequests(valueAt(app, t.path)) : valueAt(app, t.path)
    if (same(touched.before, touched.after)) {
      if (t.path === '/metadata/annotations') out.leftAlone.push({path: t.path, why: 'only a refresh request was added there'})
      continue
    }

    if (same(current, touched.before)) {
      out.alreadyBack.push(t.path)
      continue
    }

    if (!same(current, touched.after)) {
      out.conflicts.push({path: t.path, wrote: touched.after, now: current})
      continue
    }

    const ops: JsonPatchOp[] = []
    if (t.after !== undefined) ops.push({op: 'test', path: t.path, value: valueAt(app, t.path)})
    if (touched.before === undefined) ops.push({op: 'remove', path: t.path})
    else if (t.after === undefined) ops.push({op: 'add', path: t.path, value: touched.before})
    else ops.push({op: 'replace', path: t.path, value: touched.before})
    out.reverts.push({path: t.path, ops})
  }

  return out
}

const show = (value: unknown) => {
  const text = value === undefined ? '(absent)' : JSON.stringify(value)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

function describeConflict(c: UndoConflict): string {
  if (Array.isArray(c.wrote) && Array.isArray(c.now)) {
    const first = Array.from({length: Math.max(c.wrote.length, c.now.length)}, (_, i) => i).find((i) => !same((c.wrote as unknown[])[i], (c.now as unknown[])[i]))
    return `argo-doctor wrote ${c.wrote.length} item(s); now ${c.now.length}, first difference at [${first}]: ${show((c.now as unknown[])[first ?? 0])}`
  }

  return `argo-doctor wrote ${show(c.wrote)}; now ${show(c.now)}`
}

export function buildUndoPlan(app: Application, opts: UndoOptions): Outcome {
  const target = refOf(app)
  const {record} = opts
  const what = `${record.recipe} of ${record.time}`
  const noChange = (kind: NoChange['kind'], reason: string, hint?: string, notes: string[] = []): NoChange => ({kind, recipe: 'undo', target, reason, hint, notes})
  if (record.app.name !== target.name || record.app.namespace !== target.namespace) {
    return noChange('refused', `${opts.backupFile} records a change to ${record.app.namespace}/${record.app.name}, not to ${target.namespace}/${target.name}.`, 'Name the app the backup belongs to, or list its backups: undo APP --list')
  }

  if (record.state !== 'applied') {
    return noChange('refused', record.state === 'not-applied'
      ? `The change in ${opts.backupFile} (${what}) was never applied (${record.error ?? 'the server refused it'}); there is nothing to undo.`
      : `${opts.backupFile} (${what}) does not record that the change was applied (the run ended before the server answered); argo-doctor cannot tell what to undo.`,
    'Compare the app with the backed-up object (the .json next to the record) and restore a field by hand if needed.')
  }

  if (opts.undoneBy) {
    return noChange('refused', `${what} was already undone by ${opts.undoneBy.file} (undo of ${opts.undoneBy.time}); argo-doctor never undoes a change twice (what is there now was put back by someone since), so nothing was written.`,
      `To revert that undo instead: undo ${target.name} -n ${target.namespace} --backup ${opts.undoneBy.file}`)
  }

  const analysis = analyzeUndo(app, record)
  const notes = analysis.leftAlone.map((l) => `Left alone: ${dotted(l.path)}: ${l.why}.`)
  if (analysis.alreadyBack.length > 0) notes.push(`Already back to the value before ${what}: ${analysis.alreadyBack.map((p) => dotted(p)).join(', ')}.`)
  if (analysis.conflicts.length > 0) {
    const paths = analysis.conflicts.map((c) => `${dotted(c.path)} (${describeConflict(c)})`)
    return noChange('refused', `Someone changed what ${what} wrote since; undo would overwrite their change, so nothing was written. Conflicting: ${paths.join('; ')}.`,
      `Restore those fields by hand if you mean to; the value before the change is in ${opts.backupFile.replace(/\.change\.json$/, '.json')}.`, notes)
  }

  if (analysis.reverts.length === 0) {
    return noChange('nothing', `Nothing to undo: every field ${what} changed is back to its value before, or owned by the controller.`, undefined, notes)
  }

  const patch = [...resourceVersionGuard(app), ...analysis.reverts.flatMap((r) => r.ops)]
  const paths = analysis.reverts.map((r) => dotted(r.path))
  const touchesSpec = analysis.reverts.some((r) => r.path.startsWith('/spec'))
  return {
    kind: 'plan',
    recipe: 'undo',
    action: 'undo',
    target,
    summary: `undo ${what} (${record.summary.replace(/\.$/, '')}): restore ${paths.join(', ')}.`,
    why: `${opts.backupFile} records what argo-doctor ${record.recipe} changed (resourceVersion ${record.resourceVersion.before} → ${record.resourceVersion.after}). ` +
      'Only those paths are restored, each only if it still holds what argo-doctor wrote; everything else, including changes made since by others, stays as it is.',
    patch,
    guards: describeGuards(patch),
    warnings: analysis.reverts.some((r) => r.path.startsWith('/spec/syncPolicy/automated') || r.path === '/spec/syncPolicy')
      ? [`This turns auto-sync settings back to what they were: with auto-sync on, Argo CD syncs ${target.name} to what Git holds now, so a rollback is undone unless Git was fixed.`]
      : [],
    notes,
    undoes: opts.id,
    verify: touchesSpec
      ? {kind: 'reconcile', description: 'waiting for the controller to re-compare the app', expectSynced: false}
      : {kind: 'none'},
  }
}
