import type {AppRef, Application} from './app.js'

export type JsonPatchOp =
  | {op: 'add' | 'replace' | 'test'; path: string; value: unknown}
  | {op: 'remove'; path: string}

/**
 * How the pipeline knows a change worked.
 * - refresh: the controller removed the refresh annotation (a reconcile finished).
 * - terminate: the operation left Running/Terminating (the controller finished terminating it).
 * - operation: the sync we started reached Succeeded (ok) or Failed/Error (failed).
 * - reconcile: status.reconciledAt moved past the write; then report sync status.
 */
export type Verify =
  | {kind: 'none'}
  | {kind: 'refresh'; description: string}
  | {kind: 'terminate'; description: string}
  | {kind: 'operation'; description: string}
  | {kind: 'reconcile'; description: string; expectSynced: boolean}

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

/** Quote for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`
}

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
  parts.push('--type', 'json', '-p', JSON.stringify(plan.patch))
  return parts.map((p) => shellQuote(p)).join(' ')
}

/** The value at a JSON pointer, undefined when absent. */
export function valueAt(doc: unknown, pointer: string): unknown {
  let node: any = doc
  for (const raw of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined
    node = node[raw.replaceAll('~1', '/').replaceAll('~0', '~')]
  }

  return node
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
