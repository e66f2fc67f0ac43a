/**
 * A Plan (a guarded JSON patch of an Application) turned into the Argo CD API's own calls. Pure.
 * What argocd-server does with each call (server/application/application.go, v3.6.2):
 *  - PATCH /api/v1/applications/{name} (json): applies the patch to its own fresh read of the app,
 *    `test` ops included, then writes only spec, labels, annotations and finalizers;
 *  - DELETE …/operation: sets status.operationState.phase to Terminating (TerminateOperation);
 *  - POST …/sync, …/rollback: sets `operation` and clears status.operationState (SetAppOperation);
 *  - GET ?refresh=hard: sets the refresh annotation and answers once the controller removed it.
 * Anything else in a plan — clearing status.operationState or `operation`, other status or
 * metadata fields — has no API call, and is refused by name rather than emulated.
 */
import {REFRESH_TIMESTAMP_ANNOTATION, type Application, type Operation} from '../app.js'
import {DoctorError} from '../errors.js'
import {shellJoin} from '../shell.js'
import type {JsonPatchOp, Plan} from '../plan.js'
import {jsonText} from '../render/safe.js'
import {historyOf, revisionsOf} from '../recipes/rollback.js'

export type ApiWrite =
  | {kind: 'patch'; ops: JsonPatchOp[]}
  | {kind: 'terminate'}
  | {kind: 'sync'; body: Record<string, unknown>}
  | {kind: 'rollback'; id: number; prune: boolean}
  | {kind: 'refresh'}

export interface ApiPlan {
  /** In order. A `patch` carries its own guards (argocd-server tests them on its read). */
  writes: ApiWrite[]
  /** Guards of the calls that take none: checked on a fresh read just before the first such call. */
  localGuards: JsonPatchOp[]
  /** The patch as the API will apply it (what the local preview shows). */
  effect: JsonPatchOp[]
}

const WRITABLE = /^\/(?:spec(?:\/|$)|metadata\/(?:annotations|labels|finalizers)(?:\/|$))/
const TIMESTAMP = REFRESH_TIMESTAMP_ANNOTATION.replaceAll('~', '~0').replaceAll('/', '~1')

/** The refusal for a change the Argo CD API cannot make. */
function cannot(plan: Plan, what: string, alternative: string): DoctorError {
  const {name, namespace} = plan.target
  return new DoctorError('REFUSED', `${plan.recipe} on ${namespace}/${name}: ${what} The Argo CD API has no call for it, and argo-doctor does not emulate one; nothing was written.`, alternative, {backend: 'argocd-api', action: plan.action})
}

export function apiPlan(plan: Plan, app: Application): ApiPlan {
  const tests = plan.patch.filter((op) => op.op === 'test')
  const changes = plan.patch.filter((op) => op.op !== 'test')
  const {name, namespace} = plan.target
  const kubeAlternative = `With Kubernetes access to the Application: kubectl argo-doctor ${plan.recipe} ${name} -n ${namespace}, or ask someone who has it.`

  if (plan.action === 'hard-refresh') {
    // GET ?refresh=hard sets the refresh annotation itself; argo-doctor's timestamp annotation is not written.
    const effect = changes.flatMap((op): JsonPatchOp[] => {
      if (op.path.endsWith(`/${TIMESTAMP}`)) return []
      if (op.op !== 'remove' && op.path === '/metadata/annotations' && op.value && typeof op.value === 'object') {
        const value = {...op.value as Record<string, unknown>}
        delete value[REFRESH_TIMESTAMP_ANNOTATION]
        return [{...op, value}]
      }

      return [op]
    })
    return {writes: [{kind: 'refresh'}], localGuards: tests, effect: [...tests, ...effect]}
  }

  const terminating = changes.find((op) => op.op === 'replace' && op.path === '/status/operationState/phase' && op.value === 'Terminating')
  if (terminating && changes.length === 1) return {writes: [{kind: 'terminate'}], localGuards: tests, effect: plan.patch}

  const start = changes.find((op) => op.op === 'add' && op.path === '/operation')
  const rest = changes.filter((op) => op !== start && !(start && op.op === 'remove' && op.path === '/status/operationState'))
  const outside = rest.find((op) => !WRITABLE.test(op.path))
  if (outside) {
    if (/^\/(?:operation|status\/operationState)(?:\/|$)/.test(outside.path)) {
      throw cannot(plan, 'clearing a stuck operation (removing `operation` / status.operationState) needs Kubernetes access.',
        `${kubeAlternative} While the application-controller is alive, a terminate may be enough: argocd app terminate-op ${name} --app-namespace ${namespace}`)
    }

    throw cannot(plan, `the change writes ${outside.path}, and the Argo CD API writes only spec, labels, annotations and finalizers.`, kubeAlternative)
  }

  const writes: ApiWrite[] = []
  const patchTests = rest.length > 0 ? tests : []
  if (rest.length > 0) writes.push({kind: 'patch', ops: [...patchTests, ...rest]})
  if (start) {
    const operation = (start as {value: Operation}).value
    if (plan.action === 'rollback') writes.push({kind: 'rollback', id: rollbackId(plan, app, operation), prune: Boolean(operation.sync?.prune)})
    else writes.push({kind: 'sync', body: syncBody(plan, operation)})
  }

  if (writes.length === 0) throw cannot(plan, 'the plan changes nothing the API can write.', kubeAlternative)
  return {writes, localGuards: rest.length > 0 ? [] : tests, effect: plan.patch}
}

/** ApplicationSyncRequest from the operation the plan would write. */
function syncBody(plan: Plan, operation: Operation): Record<string, unknown> {
  const sync = (operation.sync ?? {}) as NonNullable<Operation['sync']> & {revisions?: string[]}
  const body: Record<string, unknown> = {name: plan.target.name, appNamespace: plan.target.namespace, dryRun: false, prune: Boolean(sync.prune)}
  if (sync.revision) body.revision = sync.revision
  if (sync.revisions?.length) {
    body.revisions = sync.revisions
    body.sourcePositions = sync.revisions.map((_, i) => i + 1)
  }

  if (sync.syncStrategy) body.strategy = sync.syncStrategy
  if (sync.resources?.length) body.resources = sync.resources
  if (sync.syncOptions) body.syncOptions = {items: sync.syncOptions}
  if (operation.info?.length) body.infos = operation.info
  if (operation.retry) body.retryStrategy = operation.retry
  return body
}

/** The status.history ID whose revision(s) and source(s) the rollback operation names (the API rolls back by ID). */
function rollbackId(plan: Plan, app: Application, operation: Operation): number {
  const sync = (operation.sync ?? {}) as NonNullable<Operation['sync']> & {revisions?: string[]; sources?: unknown[]; source?: unknown}
  const wanted = JSON.stringify([sync.revisions?.length ? sync.revisions : sync.revision ? [sync.revision] : [], sync.sources ?? sync.source ?? null])
  const entry = [...historyOf(app)].reverse().find((h) => JSON.stringify([revisionsOf(h), h.sources?.length ? h.sources : h.source ?? null]) === wanted)
  if (!entry) throw cannot(plan, 'no status.history entry matches the revision to roll back to.', 'Run the command again to plan from the current history.')
  return entry.id
}

/** The argocd CLI command that makes the same change (shown where kubectl's would be). */
export function argocdCommand(plan: Plan, app: Application): string {
  let api: ApiPlan
  try {
    api = apiPlan(plan, app)
  } catch {
    return '(none: the Argo CD API cannot make this change)'
  }

  const {name, namespace} = plan.target
  const ns = ['--app-namespace', namespace]
  return api.writes.map((w) => {
    switch (w.kind) {
      case 'patch':
        return shellJoin(['argocd', 'app', 'patch', name, ...ns, '--type', 'json', '--patch', jsonText(w.ops)])
      case 'terminate':
        return shellJoin(['argocd', 'app', 'terminate-op', name, ...ns])
      case 'refresh':
        return shellJoin(['argocd', 'app', 'get', name, ...ns, '--hard-refresh'])
      case 'rollback':
        return shellJoin(['argocd', 'app', 'rollback', name, String(w.id), ...ns, ...(w.prune ? ['--prune'] : [])])
      case 'sync': {
        const b = w.body as {revision?: string; prune?: boolean; strategy?: {apply?: {force?: boolean}; hook?: {force?: boolean}}; resources?: Array<{group?: string; kind: string; namespace?: string; name: string}>; syncOptions?: {items: string[]}}
        const argv = ['argocd', 'app', 'sync', name, ...ns]
        if (b.revision) argv.push('--revision', b.revision)
        if (b.prune) argv.push('--prune')
        if (b.strategy?.apply) argv.push('--strategy', 'apply')
        if (b.strategy?.apply?.force || b.strategy?.hook?.force) argv.push('--force')
        for (const r of b.resources ?? []) argv.push('--resource', `${r.group ?? ''}:${r.kind}:${r.namespace ? `${r.namespace}/` : ''}${r.name}`)
        for (const o of b.syncOptions?.items ?? []) argv.push('--sync-option', o)
        return shellJoin(argv)
      }
    }
  }).join(' && ')
}
