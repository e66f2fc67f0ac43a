/**
 * Saved plans: a previewed change kept as data, applied later exactly as previewed — by a person
 * (`--save-plan FILE`, then `apply FILE`) or an agent (MCP `plan_<verb>`, then `apply_plan`).
 *
 * A plan is bound to the resourceVersion it was previewed on and to its change key (what it writes
 * and what it overwrites, plan.ts). Applying re-reads the app and plans again with the same verb
 * and options: when the change is still the same over the same content, the saved patch is written
 * (its resourceVersion guard moved to the object just read, every other guard checked by the API
 * server), backed up, recorded and verified like any change. When it is not, nothing is written:
 * the refusal (exit 8) carries the new preview. A plan is used once and expires.
 */
import {actingUser} from './invocation.js'
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {open} from 'node:fs/promises'
import type {AppRef} from './app.js'
import {DoctorError} from './errors.js'
import {changeKey, type JsonPatchOp, type Outcome} from './plan.js'
import {runRecipe, runSteps, type PipelineEnv, type Preview, type StepResult} from './pipeline/index.js'
import {jsonText} from './render/safe.js'
import {verbNamed, type Prepared, type VerbContext} from './verbs.js'

export const PLAN_KIND = 'ArgoDoctorPlan'
/** How long a plan stays valid unless told otherwise. */
export const DEFAULT_PLAN_TTL_SECONDS = 600
const MAX_PLAN_BYTES = 8 * 1024 * 1024

export interface SavedPlan {
  kind: typeof PLAN_KIND
  version: 1
  id: string
  /** The verb that made it, and its options: applying plans again with them to check nothing changed. */
  verb: string
  options: Record<string, unknown>
  /** The app, and the cluster it was previewed on. */
  target: AppRef & {context?: string; server?: string}
  resourceVersion?: string
  changeKey: string
  action: string
  summary: string
  why: string
  patchType: 'application/json-patch+json'
  patch: JsonPatchOp[]
  guards: string[]
  warnings: string[]
  notes: string[]
  /** What the rest of the verb's sequence would do after this change (one approval covers it). */
  then: string[]
  /** The server-side dry-run diff (secrets elided). */
  diff: string
  kubectl: string
  createdBy: string
  /** The MCP client that asked for it. */
  via?: string
  createdAt: string
  expiresAt: string
}

export interface PlanRequest {
  verb: string
  ref: AppRef
  options: Record<string, unknown>
  ttlSeconds: number
  via?: string
}

/** The verb's options, the app and the pipeline: a dry run of the first step, kept as a SavedPlan (undefined when there is nothing to change). */
export async function makePlan(env: PipelineEnv, req: PlanRequest): Promise<{plan?: SavedPlan; result: StepResult; prepared: Prepared}> {
  const verb = verbNamed(req.verb)
  const prepared = await verb.prepare(contextOf(env), req.ref, req.options)
  let preview: Preview | undefined
  const result = await runRecipe({...env, dryRun: true, onPreview: (p) => (preview ??= p)}, req.ref, prepared.step.build, {firstRead: prepared.firstRead})
  if (!preview) return {result, prepared}
  return {plan: toSavedPlan(env, req, preview, prepared.step.rest?.(result) ?? []), result, prepared}
}

/** A one-app preview (the pipeline's onPreview) as a SavedPlan. */
export function toSavedPlan(env: PipelineEnv, req: PlanRequest, {plan, before, result}: Preview, then: string[]): SavedPlan {
  const created = new Date()
  return {
    kind: PLAN_KIND,
    version: 1,
    id: `plan-${randomBytes(9).toString('base64url')}`,
    verb: req.verb,
    options: req.options,
    target: {...req.ref, context: env.source.context, server: env.source.server},
    resourceVersion: before.metadata.resourceVersion,
    changeKey: changeKey(plan, before),
    action: plan.action,
    summary: plan.summary,
    why: plan.why,
    patchType: 'application/json-patch+json',
    patch: plan.patch,
    guards: plan.guards,
    warnings: plan.warnings,
    notes: plan.notes,
    then,
    diff: result.diff ?? '',
    kubectl: result.kubectl ?? '',
    createdBy: actingUser(env.source),
    ...(req.via ? {via: req.via} : {}),
    createdAt: created.toISOString(),
    expiresAt: new Date(created.getTime() + req.ttlSeconds * 1000).toISOString(),
  }
}

function contextOf(env: PipelineEnv): VerbContext {
  return {source: env.source, now: env.now, conn: env.conn}
}

/** The same patch, guarded by the resourceVersion just read instead of the one it was previewed on. */
function withResourceVersion(patch: JsonPatchOp[], rv: string | undefined): JsonPatchOp[] {
  return patch.map((op) => (op.op === 'test' && op.path === '/metadata/resourceVersion' ? {...op, value: rv} : op))
}

/** Why a plan cannot be applied as it is: expired, or made for another cluster. */
export function checkApplicable(saved: SavedPlan, env: PipelineEnv, now = new Date()): void {
  if (now.getTime() > Date.parse(saved.expiresAt)) {
    throw new DoctorError('REFUSED', `This plan expired at ${saved.expiresAt}; nothing was written.`, 'Plan again to preview the current state.', {expired: true})
  }

  if (saved.target.server && env.source.server && saved.target.server !== env.source.server) {
    throw new DoctorError('REFUSED', `This plan was made on API server ${saved.target.server} (context ${saved.target.context ?? '?'}), not on ${env.source.server}; nothing was written.`, 'Connect to the cluster the plan was made on (--context).')
  }
}

export interface Refusal {
  error: DoctorError
  /** The preview of the app as it is now (no plan when there is nothing to change). */
  now: {plan?: SavedPlan; result: StepResult}
}

/**
 * Apply exactly the saved plan: plan again with the same verb and options; write the saved patch
 * only when the fresh plan is the same change over the same content (then the rest of the verb's
 * sequence runs as the approval covered it). Otherwise nothing is written and the refusal carries
 * the new preview (made with `previewEnv`, e.g. printing it).
 */
export async function applySavedPlan(env: PipelineEnv, saved: SavedPlan, opts: {ttlSeconds?: number; via?: string; onRefusal?: (error: DoctorError) => void} = {}): Promise<{steps: StepResult[]} | {refusal: Refusal}> {
  checkApplicable(saved, env)
  const ref = {name: saved.target.name, namespace: saved.target.namespace}
  const prepared = await verbNamed(saved.verb).prepare(contextOf(env), ref, saved.options)
  const exactly = (app: Parameters<typeof prepared.step.build>[0]): Outcome => {
    const fresh = prepared.step.build(app)
    if (fresh.kind !== 'plan') return fresh
    const same = changeKey(fresh, app) === saved.changeKey && changeKey({...fresh, patch: saved.patch}, app) === saved.changeKey
    return same ? {...fresh, patch: withResourceVersion(saved.patch, app.metadata.resourceVersion)} : fresh
  }

  const refuse = async (message: string): Promise<{refusal: Refusal}> => {
    const error = new DoctorError('CONFLICT', message, 'Review the change as it would be now (the new preview; `now` in JSON) and plan again to apply it.', {changedSincePreview: true})
    opts.onRefusal?.(error)
    const now = await makePlan(env, {verb: saved.verb, ref, options: saved.options, ttlSeconds: opts.ttlSeconds ?? DEFAULT_PLAN_TTL_SECONDS, via: opts.via})
    return {refusal: {error, now: {plan: now.plan, result: now.result}}}
  }

  const changed = `${ref.namespace}/${ref.name} changed since the plan was made (resourceVersion ${saved.resourceVersion ?? '?'}) and the change would now be different; nothing was written.`
  let steps: StepResult[]
  try {
    steps = await runSteps({...env, dryRun: false, yes: true}, ref, {...prepared.step, build: exactly}, {approvedKey: saved.changeKey, firstRead: prepared.firstRead})
  } catch (error) {
    if (error instanceof DoctorError && error.details?.changedSincePreview && !error.message.includes('WAS applied')) return refuse(changed)
    throw error
  }

  const first = steps[0]
  if (first && (first.status === 'nothing-to-do' || first.status === 'refused')) {
    return refuse(`${ref.namespace}/${ref.name} changed since the plan was made (resourceVersion ${saved.resourceVersion ?? '?'}): ${first.status === 'refused' ? 'the change is now refused' : 'there is nothing to change any more'}; nothing was written.`)
  }

  return {steps}
}

/** Write a plan file readable by its owner only, never through a symbolic link. Control characters are JSON \u escapes: faithful and safe to print. */
export async function writePlanFile(path: string, plan: SavedPlan): Promise<void> {
  let handle
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DoctorError('USAGE', `Cannot write the plan to ${path}: ${code === 'ELOOP' ? 'it is a symbolic link' : (error as Error).message}.`)
  }

  try {
    await handle.chmod(0o600)
    await handle.writeFile(jsonText(plan, 2) + '\n')
  } finally {
    await handle.close()
  }
}

/** Read a plan file written by --save-plan; anything else is a usage error. */
export async function readPlanFile(path: string): Promise<SavedPlan> {
  let text: string
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      if ((await handle.stat()).size > MAX_PLAN_BYTES) throw new Error('larger than any plan')
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DoctorError('USAGE', `Cannot read the plan ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'ELOOP' ? 'it is a symbolic link' : (error as Error).message}.`, 'Save one with --save-plan FILE on a changing command (e.g. unstick my-app --save-plan plan.json).')
  }

  let plan: SavedPlan
  try {
    plan = JSON.parse(text) as SavedPlan
  } catch (error) {
    throw new DoctorError('USAGE', `${path} is not a plan: ${(error as Error).message}.`, 'Save one with --save-plan FILE on a changing command.')
  }

  const ok = plan && plan.kind === PLAN_KIND && plan.version === 1 && typeof plan.verb === 'string' && typeof plan.changeKey === 'string' && Array.isArray(plan.patch) &&
    typeof plan.target?.name === 'string' && typeof plan.target?.namespace === 'string' && typeof plan.expiresAt === 'string' && typeof plan.options === 'object' && plan.options !== null
  if (!ok) throw new DoctorError('USAGE', `${path} is not an argo-doctor plan (kind ${PLAN_KIND}, version 1).`, 'Save one with --save-plan FILE on a changing command.')
  return plan
}

/** Plans an MCP session made, by id: each used once, none past its expiry. */
export class PlanStore {
  private readonly plans = new Map<string, SavedPlan>()

  put(plan: SavedPlan): void {
    // Plans long past their expiry are forgotten; a recently expired one is still reported as expired.
    for (const [id, p] of this.plans) if (Date.parse(p.expiresAt) < Date.now() - 3_600_000) this.plans.delete(id)
    this.plans.set(plan.id, plan)
  }

  /** The plan, removed from the store (a plan is applied at most once). */
  take(id: string): SavedPlan {
    const plan = this.plans.get(id)
    if (!plan) throw new DoctorError('NOT_FOUND', `No plan "${id}": plans are kept by this server only, applied at most once, and expire.`, 'Plan again (plan_<verb>) and apply the new plan_id.')
    this.plans.delete(id)
    return plan
  }
}
