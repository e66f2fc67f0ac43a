/**
 * One recipe on one app: read → plan → preview (server dryRun=All) → diff → confirm → back up →
 * guarded apply → Event → verify, re-planning on a fresh read when someone wrote first. The batch
 * (batch.ts) shares its no-change result, conflict test, Event and error helpers.
 */
import {hostname} from 'node:os'
import type {AppRef, Application} from '../app.js'
import {DoctorError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import {writeBackup, type BackupHandle} from '../backup.js'
import {writes, interrupted} from '../interrupt.js'
import {changeKey, kubectlCommand, type Outcome, type Plan} from '../plan.js'
import {yamlDiff, colorDiff} from '../render/diff.js'
import {indentLines, oneLine} from '../render/safe.js'
import type {Io} from '../render/io.js'
import {confirmChange} from '../render/prompt.js'
import {actingUser, ourCommand} from '../invocation.js'
import {exitCodeFor, verifyPlan} from './report.js'
import type {PipelineEnv, RunOptions, StepResult} from './types.js'

/** Re-plans after a concurrent write before giving up (exit 8), with jittered backoff between them. */
const MAX_ROUNDS = 8
const BASE_BACKOFF_MS = 50
const MAX_BACKOFF_MS = 1000

function renderPlan(io: Io, plan: Plan, diff: string, kubectl: string, previewKind: string, label = 'Equivalent kubectl'): void {
  // Names, messages and the diff quote the cluster: one-line fields stay on one line, prose is indented
  // (render/safe.ts); the Io escapes every control character.
  io.out(io.paint('bold', oneLine(`${plan.recipe}: ${plan.target.namespace}/${plan.target.name}`)) + ` — ${oneLine(plan.summary)}`)
  io.out()
  io.out(`Why: ${indentLines(plan.why, '     ')}`)
  io.out()
  io.out(io.paint('bold', `Diff (${previewKind}):`))
  io.out(diff ? colorDiff(io, diff) : '  (no change)')
  io.out()
  if (plan.guards.length > 0) io.out(`Guards: only if ${plan.guards.join('; ')}.`)
  io.out(io.paint('bold', `${label}:`))
  io.out(`  ${oneLine(kubectl)}`)
  for (const warning of plan.warnings) io.out(io.paint('yellow', `Warning: ${indentLines(warning, '         ')}`))
  for (const note of plan.notes) io.out(io.paint('cyan', `Note: ${indentLines(note, '      ')}`))
}

export function noChangeResult(io: Io, outcome: Exclude<Outcome, Plan>, compact: boolean): StepResult {
  const refused = outcome.kind === 'refused'
  const target = oneLine(`${outcome.target.namespace}/${outcome.target.name}`)
  const verdict = refused ? io.paint('yellow', 'refused') : 'nothing to do'
  if (compact) io.out(`${target}: ${verdict}: ${oneLine(outcome.reason)}`)
  else {
    io.out(`${oneLine(outcome.recipe)}: ${target} — ${verdict}: ${indentLines(outcome.reason, '  ')}`)
    if (outcome.hint) io.out(`  ${indentLines(outcome.hint, '  ')}`)
    for (const note of outcome.notes) io.out(io.paint('cyan', `Note: ${indentLines(note, '      ')}`))
  }

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
 * A write that timed out, or whose connection broke, may still be applied: the server may have the
 * request (a kept-alive connection carries it even to a frozen server) and act on it later. Only a
 * connection that was never made (refused, no route, no such host) proves nothing was sent.
 */
export function writeMayHaveLanded(error: DoctorError): boolean {
  return error.code === 'UNREACHABLE' && !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(error.message)
}

/** Waits between re-plans: exponential with full jitter, so concurrent writers do not collide in lockstep. */
async function backoff(round: number): Promise<void> {
  const ms = Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** round)
  await new Promise((resolve) => setTimeout(resolve, ms))
}

export function interruptedError(ref: AppRef): DoctorError {
  return new DoctorError('INTERRUPTED', `Interrupted before writing ${ref.namespace}/${ref.name}: nothing was written.`)
}

/**
 * Run one recipe on one app through the pipeline. `build` is called again on a fresh read
 * when the object changed between preview and apply, so the user approves what is written.
 */
export async function runRecipe(env: PipelineEnv, ref: AppRef, build: (app: Application) => Outcome, opts: RunOptions = {}): Promise<StepResult> {
  const {io} = env
  const unattended = env.yes || Boolean(opts.preApproved)
  /** The change the user (or --yes) approved; an unattended re-plan may only write the same change. */
  let approved: string | undefined = opts.approvedKey
  const writeSlot = env.writeSlots ?? ((fn) => fn())
  for (let round = 1; ; round++) {
    if (round > 1) await backoff(round)
    type Round = {done: StepResult} | {retry: true} | {written: Application; plan: Plan; result: StepResult; backup: BackupHandle; before: Application}
    const step = await writeSlot(async (): Promise<Round> => {
      const before = round === 1 && opts.firstRead ? structuredClone(opts.firstRead) : await env.source.read(ref)
      const outcome = build(before)
      if (outcome.kind !== 'plan') return {done: noChangeResult(io, outcome, Boolean(opts.compact))}
      const plan = outcome
      if (unattended && approved !== undefined && changeKey(plan, before) !== approved) {
        throw new DoctorError('CONFLICT', `${ref.namespace}/${ref.name} changed after the preview and the fix would now be different; nothing was written.`, 'Run the command again to preview the current state.', {changedSincePreview: true})
      }

      let previewed: Application
      try {
        previewed = await env.source.preview(ref, plan.patch, plan)
      } catch (error) {
        // Someone (usually the controller) wrote between our read and the dry run: read again.
        if (error instanceof DoctorError && await isConflict(env, ref, before, error)) return {retry: true}
        throw error
      }

      const diff = yamlDiff(before, previewed, `applications.argoproj.io/${ref.name}`)
      const other = env.source.equivalent?.(plan, before)
      const kubectl = other?.command ?? kubectlCommand(plan, env.conn)
      if (unattended && round > 1) io.info(`Re-read ${oneLine(`${ref.namespace}/${ref.name}`)} (resourceVersion ${oneLine(before.metadata.resourceVersion)}); the change is the same, applying it.`)
      else if (opts.compact) {
        if (!opts.preApproved) io.out(oneLine(`${ref.namespace}/${ref.name}: ${plan.summary}`))
      } else renderPlan(io, plan, diff, kubectl, env.source.previewKind ?? 'server dry-run', other?.label)
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
        env.onPreview?.({plan, before, result})
        if (!opts.compact) {
          io.out()
          io.out(io.paint('dim', 'Dry run: nothing was changed.'))
        }

        return {done: result}
      }

      if (!unattended) {
        io.out()
        const ok = await confirmChange(io, `Apply this change to ${ref.namespace}/${ref.name}?`)
        if (!ok) {
          io.out('Not applied: nothing was changed.')
          return {done: {...result, status: 'declined', exitCode: ExitCode.DECLINED} as StepResult}
        }
      }

      approved = changeKey(plan, before)
      // After Ctrl-C/SIGTERM nothing more is written: the signal may have arrived during the read,
      // the dry run or the prompt.
      if (interrupted() || env.signal?.aborted) throw interruptedError(ref)
      const backup = await writeBackup({app: before, plan, now: env.now(), kubeUser: env.source.user, context: env.source.context, server: env.source.server})
      io.info(`Backup of the live object: ${oneLine(backup.file)}`)
      if (interrupted() || env.signal?.aborted) throw interruptedError(ref)
      let written: Application
      writes.inFlight++
      try {
        written = await env.source.apply(ref, plan.patch, plan)
      } catch (error) {
        await backup.notApplied(error)
        if (error instanceof DoctorError && writeMayHaveLanded(error)) {
          throw new DoctorError(error.code, `${error.message} The write to ${ref.namespace}/${ref.name} was already sent, so it may have been applied; nothing more was done.`,
            `Check before retrying: ${ourCommand(['explain', ref.name, '-n', ref.namespace], env.conn)} (the object before the change: ${backup.file}).`, {...error.details, outcomeUnknown: true})
        }

        if (!(error instanceof DoctorError) || !(await isConflict(env, ref, before, error))) throw error
        if (unattended) io.info(`${ref.namespace}/${ref.name} changed after the preview (nothing was written); re-reading.`)
        else io.warn(`${ref.namespace}/${ref.name} changed after the preview; nothing was written. Here is a new plan for the current object.`)
        return {retry: true}
      } finally {
        writes.inFlight--
      }

      writes.applied.push(`${ref.namespace}/${ref.name} (resourceVersion ${written.metadata.resourceVersion})`)
      return {written, plan, result, backup, before}
    })

    if ('done' in step) return step.done
    if ('retry' in step) {
      if (round >= MAX_ROUNDS) {
        throw new DoctorError('CONFLICT', `${ref.namespace}/${ref.name} kept changing after the preview (${MAX_ROUNDS} attempts); nothing was written.`, 'Run the command again to preview the current state.')
      }

      continue
    }

    const {written, plan, result, backup, before} = step
    await backup.applied(written, (message) => io.warn(message))
    await recordEvent(env, written, plan, before, backup.file)
    io.out(io.paint('green', `Applied: ${oneLine(opts.compact ? `${ref.namespace}/${ref.name}` : plan.summary)}`))
    result.status = 'applied'
    result.backup = backup.file
    result.resourceVersion = {before: before.metadata.resourceVersion, after: written.metadata.resourceVersion}
    result.replans = round - 1
    const signal = interrupted()
    if (signal) {
      throw new DoctorError('INTERRUPTED', `Interrupted: the change to ${ref.namespace}/${ref.name} WAS applied (resourceVersion ${written.metadata.resourceVersion}) before the signal arrived; nothing else was done.`, `Check on it with: ${ourCommand(['explain', ref.name, '-n', ref.namespace], env.conn)}`)
    }

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

let eventWarningGiven = false

/**
 * A Kubernetes Event on the Application for every change we make: what changed, who ran it, where
 * the backup is. Never fails the command: without `events create` (or on any error) it warns once.
 */
export async function recordEvent(env: PipelineEnv, written: Application, plan: Plan, before: Application, backupFile: string): Promise<void> {
  const reason = `ArgoDoctor${plan.recipe.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`
  const who = actingUser(env.source)
  const message = `${plan.summary} By ${who}${env.actor ? ` via ${env.actor}` : ''} with argo-doctor ${plan.recipe} (resourceVersion ${before.metadata.resourceVersion} → ${written.metadata.resourceVersion}); backup of the object before the change: ${backupFile} on ${hostname()}.`
  try {
    await env.source.recordEvent(written, {reason, message, type: 'Normal'})
  } catch (error) {
    if (eventWarningGiven) return
    eventWarningGiven = true
    const why = error instanceof DoctorError && error.code === 'FORBIDDEN' ? 'RBAC does not allow creating events (deploy/rbac.yaml grants it)' : (error as Error).message
    env.io.warn(`Could not record a Kubernetes Event on ${plan.target.namespace}/${plan.target.name}: ${why}. The change itself is applied.`)
  }
}

/** A 409, a failed guard, or a patch that no longer applies because the object moved on. */
export async function isConflict(env: PipelineEnv, ref: AppRef, before: Application, error: DoctorError): Promise<boolean> {
  if (error.code === 'CONFLICT') return true
  if (!error.details?.patchDidNotApply) return false
  const now = await env.source.read(ref)
  return now.metadata.resourceVersion !== before.metadata.resourceVersion
}
