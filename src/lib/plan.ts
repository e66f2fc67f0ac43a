import jsonpatch from 'fast-json-patch'
import type {AppRef, Application} from './app.js'
import {shellJoin} from './shell.js'
import {jsonText} from './render/safe.js'

export type JsonPatchOp =
  | {op: 'add' | 'replace' | 'test'; path: string; value: unknown}
  | {op: 'remove'; path: string}

/**
 * How the pipeline knows a change worked.
 * - refresh: the controller removed the refresh annotation (a reconcile finished).
 * - terminate: the operation left Running/Terminating (the controller finished terminating it).
 * - operation: the sync we started reached Succeeded (ok) or Failed/Error (failed); with `health`, a
 *   Succeeded sync is followed until the controller reports a settled health (not Progressing)
 *   after it, and Degraded/Missing counts as failed.
 * - reconcile: status.reconciledAt moved past the write; then report sync status.
 * - pruned: the resources waiting for confirmation are gone from status.resources (or no longer
 *   require pruning), or the sync moved past the wait / completed, or the deleting app is gone.
 * - deleted: the Application is gone (a stuck deletion finished).
 */
export type Verify =
  | {kind: 'none'}
  | {kind: 'refresh'; description: string}
  | {kind: 'terminate'; description: string}
  | {kind: 'operation'; description: string; health?: boolean}
  | {kind: 'reconcile'; description: string; expectSynced: boolean}
  | {kind: 'pruned'; description: string; pending: string[]}
  | {kind: 'deleted'; description: string}

/** A change, as data: what, why, the guarded patch, and how to tell it worked. */
export interface Plan {
  kind: 'plan'
  recipe: string
  action: string
  target: AppRef
  summary: string
  why: string
  /** Always a JSON patch; it starts with the `test` guards. */
  patch: JsonPatchOp[]
  /** Human-readable form of the guards in `patch`. */
  guards: string[]
  warnings: string[]
  /** Advice that is not part of the change (e.g. the permanent fix). */
  notes: string[]
  verify: Verify
  /** undo only: the id (see backup.ts recordId) of the change record this plan reverts; kept in its own record. */
  undoes?: string
}

/** The recipe decided there is nothing to change (exit NOTHING_TO_DO) or that it must not (exit REFUSED). */
export interface NoChange {
  kind: 'nothing' | 'refused'
  recipe: string
  target: AppRef
  reason: string
  hint?: string
  notes: string[]
}

export type Outcome = Plan | NoChange

/** How a finished step looks to the sequence that decides what comes next. */
export interface StepReport {
  action?: string
  status: 'previewed' | 'applied' | 'nothing-to-do' | 'refused' | 'declined'
  verify?: {status: 'ok' | 'failed' | 'timeout' | 'not-waited' | 'deleted' | 'unverified'}
}

/**
 * One step of a sequence the pipeline runs (terminate → refresh, or clear → refresh → sync):
 * a recipe, and what comes after it. Data and pure functions; the pipeline does the I/O.
 */
export interface Step {
  build: (app: Application) => Outcome
  /** Seconds to wait for the controller after this step's write (default: --timeout). */
  verifyTimeoutSeconds?: (plan: Plan) => number | undefined
  /** Covered by the confirmation of the step before it: one confirmation for the whole sequence. */
  preApproved?: boolean
  /** Printed before the step runs: why the sequence took this turn. */
  announce?: string
  /** The step after this one, given how it ended (only called after a write); undefined ends the sequence. */
  next?: (report: StepReport) => Step | undefined
  /** After a preview of this step: what the rest of the sequence would do. */
  rest?: (report: StepReport) => string[]
}

/** The guard every write starts with: fail instead of clobbering a newer object. */
export function resourceVersionGuard(app: Application): JsonPatchOp[] {
  const rv = app.metadata.resourceVersion
  return rv === undefined ? [] : [{op: 'test', path: '/metadata/resourceVersion', value: rv}]
}

export function describeGuards(patch: JsonPatchOp[]): string[] {
  return patch
    .filter((op) => op.op === 'test')
    .map((op) => `${op.path} is still ${JSON.stringify((op as {value: unknown}).value)}`)
}

export interface ConnectionFlags {
  kubeconfig?: string
  context?: string
  /** kubectl's override flags, repeated in the printed command (never the token: it would land in shell history). */
  cluster?: string
  user?: string
  server?: string
  as?: string
  asGroups?: string[]
}

export {shellQuote} from './shell.js'

/** The kubectl command that makes exactly the same change (guards included). */
export function kubectlCommand(plan: Plan, conn: ConnectionFlags = {}): string {
  const parts = ['kubectl', 'patch', 'applications.argoproj.io', plan.target.name, '-n', plan.target.namespace]
  if (conn.kubeconfig) parts.push('--kubeconfig', conn.kubeconfig)
  if (conn.context) parts.push('--context', conn.context)
  if (conn.cluster) parts.push('--cluster', conn.cluster)
  if (conn.user) parts.push('--user', conn.user)
  if (conn.server) parts.push('--server', conn.server)
  if (conn.as) parts.push('--as', conn.as)
  for (const group of conn.asGroups ?? []) parts.push('--as-group', group)
  // jsonText: a control character in a value is written as a JSON \u escape, so the line is safe to print and still exact.
  parts.push('--type', 'json', '-p', jsonText(plan.patch))
  return shellJoin(parts)
}

/** The value at a JSON pointer (RFC 6901, fast-json-patch), undefined when any part of the path is absent. */
export function valueAt(doc: unknown, pointer: string): unknown {
  try {
    return jsonpatch.getValueByPointer(doc, pointer)
  } catch {
    return undefined
  }
}

/**
 * What a batch keeps of an object once its plan is made and the object is backed up: its identity
 * and resourceVersion, and the values at the paths the patch changes (a whole list where the patch
 * changes an element of it) — everything changeKey, touchedPaths and the change record read, at a
 * small part of the memory of the whole object.
 */
export function keptOf(app: Application, plan: Plan): Application {
  const {name, namespace, uid, resourceVersion, generation} = app.metadata
  const kept = {apiVersion: app.apiVersion, kind: app.kind, metadata: {name, namespace, uid, resourceVersion, generation}} as Application
  for (const op of plan.patch) {
    if (op.op === 'test') continue
    const parent = op.path.slice(0, op.path.lastIndexOf('/'))
    const pointer = Array.isArray(valueAt(app, parent)) ? parent : op.path
    const value = valueAt(app, pointer)
    if (value === undefined || pointer === '') continue
    const tokens = pointer.split('/').slice(1).map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'))
    let from: unknown = app
    let to = kept as unknown as Record<string, unknown>
    for (const token of tokens.slice(0, -1)) {
      from = (from as Record<string, unknown>)[token]
      to[token] ??= Array.isArray(from) ? [] : {}
      to = to[token] as Record<string, unknown>
    }

    to[tokens.at(-1)!] = value
  }

  return kept
}

/**
 * What a plan writes and what it overwrites, ignoring the resourceVersion guard and the refresh
 * timestamp. Two reads with the same key get the same change over the same content, so an
 * unattended run (--yes) may re-plan after an unrelated write (the controller's own status
 * update) — but never overwrite content nobody previewed.
 */
export function changeKey(plan: Plan, before: Application): string {
  const ops = plan.patch.filter((op) => !(op.op === 'test' && op.path === '/metadata/resourceVersion'))
  const overwritten = ops.filter((op) => op.op !== 'test').map((op) => valueAt(before, op.path))
  const stamp = (key: string, value: unknown) => (key.endsWith('refresh-timestamp') ? '*' : value)
  return JSON.stringify({action: plan.action, ops: ops.map((op) => (op.path.endsWith('refresh-timestamp') ? {...op, value: '*'} : op)), overwritten}, stamp)
}
