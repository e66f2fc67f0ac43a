/**
 * The one path every change takes:
 * read → plan → preview (server dryRun=All) → diff → confirm → back up → guarded apply → verify.
 * Commands build recipes; only this file decides when the cluster is written.
 */
import type {AppRef, Application} from './app.js'
import {writeBackup} from './backup.js'
import {DoctorError} from './errors.js'
import {ExitCode} from './exit-codes.js'
import {changeKey, kubectlCommand, type ConnectionFlags, type Outcome, type Plan} from './plan.js'
import {colorDiff, yamlDiff} from './render/diff.js'
import type {Io} from './render/io.js'
import {confirmChange} from './render/prompt.js'
import {startProgress} from './render/spinner.js'
import type {AppSource} from './source.js'
import {isDone, judge, progressLine, type VerifyOutcome} from './verify.js'
import {ourCommand} from './invocation.js'

export interface PipelineEnv {
  io: Io
  source: AppSource
  conn: ConnectionFlags
  dryRun: boolean
  yes: boolean
  wait: boolean
  /** Seconds to wait for the controller in the verify step. */
  timeoutSeconds: number
  now: () => Date
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal
}

export interface StepResult {
  recipe: string
  action?: string
  app: AppRef
  status: 'previewed' | 'applied' | 'nothing-to-do' | 'refused' | 'declined'
  exitCode: number
  summary: string
  why?: string
  hint?: string
  warnings: string[]
  notes: string[]
  guards?: string[]
  patch?: Plan['patch']
  kubectl?: string
  diff?: string
  backup?: string
  resourceVersion?: {before?: string; after?: string}
  verify?: VerifyOutcome
  /** Set with RunOptions.deferVerify; not part of the JSON. */
  waitForController?: () => Promise<VerifyOutcome>
}

const MAX_ROUNDS = 5

export interface RunOptions {
  /** The user already approved this step (a follow-up of an approved plan). */
  preApproved?: boolean
  /** Override --timeout for this plan's verify step. */
  verifyTimeoutSeconds?: (plan: Plan) => number
  /** One line per app instead of the full preview (many apps at once). */
  compact?: boolean
  /** Return right after the write; the caller awaits `result.waitForController()` (many apps at once). */
  deferVerify?: boolean
}

function renderPlan(io: Io, plan: Plan, diff: string, kubectl: string, previewKind: string): void {
  io.out(io.paint('bold', `${plan.recipe}: ${plan.target.namespace}/${plan.target.name}`) + ` — ${plan.summary}`)
  io.out()
  io.out(`Why: ${plan.why}`)
  io.out()
  io.out(io.paint('bold', `Diff (${previewKind}):`))
  io.out(diff ? colorDiff(io, diff) : '  (no change)')
  io.out()
  if (plan.guards.length > 0) io.out(`Guards: only if ${plan.guards.join('; ')}.`)
  io.out(io.paint('bold', 'Equivalent kubectl:'))
  io.out(`  ${kubectl}`)
  for (const warning of plan.warnings) io.out(io.paint('yellow', `Warning: ${warning}`))
  for (const note of plan.notes) io.out(io.paint('cyan', `Note: ${note}`))
}

function noChangeResult(io: Io, outcome: Exclude<Outcome, Plan>): StepResult {
  const refused = outcome.kind === 'refused'
  io.out(`${outcome.recipe}: ${outcome.target.namespace}/${outcome.target.name} — ${refused ? io.paint('yellow', 'refused') : 'nothing to do'}: ${outcome.reason}`)
  if (outcome.hint) io.out(`  ${outcome.hint}`)
  for (const note of outcome.notes) io.out(io.paint('cyan', `Note: ${note}`))
  return {
    recipe: outcome.recipe,
    app: outcome.target,
    status: refused ? 'refused' : 'nothing-to-do',
    exitCode: refused ? ExitCode.REFUSED : ExitCode.NOTHING_TO_DO,
    summary: outcome.reason,
    hint: outcome.hint,
    warnings: [],
    notes: outcome.notes,
  }
}

/**
 * Run one recipe on one app through the pipeline. `build` is called again on a fresh read
 * when the object changed between preview and apply, so the user approves what is written.
 */
export async function runRecipe(env: PipelineEnv, ref: AppRef, build: (app: Application) => Outcome, opts: RunOptions = {}): Promise<StepResult> {
  const {io} = env
  const unattended = env.yes || Boolean(opts.preApproved)
  /** The change the user (or --yes) approved; an unattended re-plan may only write the same change. */
  let approved: string | undefined
  for (let round = 1; ; round++) {
    const before = await env.source.read(ref)
    const outcome = build(before)
    if (outcome.kind !== 'plan') return noChangeResult(io, outcome)
    const plan = outcome
    if (unattended && approved !== undefined && changeKey(plan, before) !== approved) {
      throw new DoctorError('CONFLICT', `${ref.namespace}/${ref.name} changed after the preview and the fix would now be different; nothing was written.`, 'Run the command again to preview the current state.')
    }

    let previewed: Application
    try {
      previewed = await env.source.preview(ref, plan.patch)
    } catch (error) {
      // Someone (usually the controller) wrote between our read and the dry run: read again.
      if (round < MAX_ROUNDS && error instanceof DoctorError && await isConflict(env, ref, before, error)) continue
      throw error
    }

    const diff = yamlDiff(before, previewed, `applications.argoproj.io/${ref.name}`)
    const kubectl = kubectlCommand(plan, env.conn)
    const silentReplan = unattended && approved !== undefined
    if (silentReplan) io.info(`Re-read ${ref.namespace}/${ref.name} (resourceVersion ${before.metadata.resourceVersion}); the change is the same, applying it.`)
    else if (opts.compact) io.out(`${ref.namespace}/${ref.name}: ${plan.summary}`)
    else renderPlan(io, plan, diff, kubectl, env.source.kind === 'cluster' ? 'server dry-run' : 'applied locally to the file')
    const result: StepResult = {
      recipe: plan.recipe,
      action: plan.action,
      app: ref,
      status: 'previewed',
      exitCode: ExitCode.OK,
      summary: plan.summary,
      why: plan.why,
      warnings: plan.warnings,
      notes: plan.notes,
      guards: plan.guards,
      patch: plan.patch,
      kubectl,
      diff,
      resourceVersion: {before: before.metadata.resourceVersion},
    }
    if (env.dryRun || env.source.kind === 'file') {
      if (!opts.compact) {
        io.out()
        io.out(io.paint('dim', 'Dry run: nothing was changed.'))
      }

      return result
    }

    if (!unattended) {
      io.out()
      const ok = await confirmChange(io, `Apply this change to ${ref.namespace}/${ref.name}?`)
      if (!ok) {
        io.out('Not applied: nothing was changed.')
        return {...result, status: 'declined', exitCode: ExitCode.DECLINED}
      }
    }

    approved = changeKey(plan, before)
    const cluster = env.source.cluster!
    const backup = await writeBackup({app: before, plan, now: env.now(), kubeUser: cluster.user, context: cluster.contextName, server: cluster.server})
    io.info(`Backup of the live object: ${backup.file}`)
    let written: Application
    try {
      written = await cluster.patchApp(ref, plan.patch, {dryRun: false})
    } catch (error) {
      await backup.notApplied(error)
      if (!(error instanceof DoctorError) || !(await isConflict(env, ref, before, error))) throw error
      if (round >= MAX_ROUNDS) {
        throw new DoctorError('CONFLICT', `${ref.namespace}/${ref.name} kept changing after the preview; nothing was written.`, 'Run the command again to preview the current state.')
      }

      if (unattended) io.info(`${ref.namespace}/${ref.name} changed after the preview (nothing was written); re-reading.`)
      else io.warn(`${ref.namespace}/${ref.name} changed after the preview; nothing was written. Here is a new plan for the current object.`)
      continue
    }

    await backup.applied(written, (message) => io.warn(message))
    io.out(io.paint('green', `Applied: ${opts.compact ? `${ref.namespace}/${ref.name}` : plan.summary}`))
    result.status = 'applied'
    result.backup = backup.file
    result.resourceVersion = {before: before.metadata.resourceVersion, after: written.metadata.resourceVersion}
    const timeoutSeconds = opts.verifyTimeoutSeconds?.(plan) ?? env.timeoutSeconds
    const finish = async () => {
      result.verify = await verifyPlan({...env, timeoutSeconds}, plan, written, Boolean(opts.compact))
      result.exitCode = exitCodeFor(result.verify)
      return result.verify
    }

    if (opts.deferVerify) {
      result.waitForController = finish
      return result
    }

    await finish()
    return result
  }
}

/** A 409, a failed guard, or a patch that no longer applies because the object moved on. */
async function isConflict(env: PipelineEnv, ref: AppRef, before: Application, error: DoctorError): Promise<boolean> {
  if (error.code === 'CONFLICT') return true
  if (!error.details?.patchDidNotApply) return false
  const now = await env.source.read(ref)
  return now.metadata.resourceVersion !== before.metadata.resourceVersion
}

function exitCodeFor(verify: VerifyOutcome): number {
  switch (verify.status) {
    case 'timeout':
      return ExitCode.TIMEOUT
    case 'failed':
      return ExitCode.OPERATION_FAILED
    case 'deleted':
      return ExitCode.NOT_FOUND
    default:
      return ExitCode.OK
  }
}

async function verifyPlan(env: PipelineEnv, plan: Plan, written: Application, quiet: boolean): Promise<VerifyOutcome> {
  const {io} = env
  if (plan.verify.kind === 'none') return {status: 'ok', message: 'Nothing to wait for.'}
  if (!env.wait) {
    io.out(`Not waiting (--no-wait): ${plan.verify.description.replace(/^waiting/, 'would wait')}.`)
    return {status: 'skipped', message: 'Not waited for (--no-wait).'}
  }

  const verify = plan.verify
  const progress = quiet ? {update() {}, stop() {}} : await startProgress(io, `${verify.description} (up to ${env.timeoutSeconds}s)`)
  const outcome = await env.source.cluster!.waitForApp(plan.target, written.metadata.resourceVersion ?? '0', (app) => isDone(verify, app, written), {
    timeoutMs: env.timeoutSeconds * 1000,
    signal: env.signal,
    onUpdate: (app) => progress.update(progressLine(verify, app)),
  }).finally(() => progress.stop())
  if (env.signal?.aborted) {
    throw new DoctorError('INTERRUPTED', `Interrupted while ${verify.description}; the change WAS applied (resourceVersion ${written.metadata.resourceVersion}).`, `Check on it with: ${ourCommand(`explain ${plan.target.name} -n ${plan.target.namespace}`)}`)
  }

  if (outcome.status === 'deleted') {
    io.warn(`${plan.target.namespace}/${plan.target.name} was deleted while ${verify.description}.`)
    return {status: 'deleted', message: 'The application was deleted.'}
  }

  if (outcome.status === 'timeout') {
    const message = `Timed out after ${env.timeoutSeconds}s ${verify.description}. The change was applied; the controller has not acted on it yet — is the application-controller running? (kubectl get pods -n ${plan.target.namespace} -l app.kubernetes.io/name=argocd-application-controller)`
    io.warn(message)
    return {...judge(verify, outcome.app), status: 'timeout', message}
  }

  const judged = judge(verify, outcome.app)
  const line = `${judged.status === 'ok' ? '✔' : '✖'} ${quiet ? `${plan.target.namespace}/${plan.target.name}: ` : ''}${judged.message}`
  io.out(judged.status === 'ok' ? io.paint('green', line) : io.paint('red', line))
  return judged
}
