/**
 * The one path every change takes:
 * read → plan → preview (server dryRun=All) → diff → confirm → back up → guarded apply → verify.
 * Commands build recipes (or sequences of them, `Step`s) and make one call: `runRecipe` (one
 * step), `runSteps` (a sequence on one app) or `runBatch` (many apps, one confirmation). Only this
 * file decides when the cluster is written.
 */
import {hostname} from 'node:os'
import type {AppRef, Application} from './app.js'
import {DoctorError} from './errors.js'
import {ExitCode} from './exit-codes.js'
import {writeBackup, type BackupHandle} from './backup.js'
import {writes, interrupted} from './interrupt.js'
import {changeKey, kubectlCommand, type ConnectionFlags, type Outcome, type Plan, type Step} from './plan.js'
import {renderTable} from './render/table.js'
import {colorDiff, yamlDiff} from './render/diff.js'
import {indentLines, oneLine} from './render/safe.js'
import type {Io} from './render/io.js'
import {confirmChange} from './render/prompt.js'
import {startProgress} from './render/spinner.js'
import type {AppSource} from './source.js'
import {isDone, judge, judgeDeleted, progressLine, type VerifyOutcome} from './verify.js'
import {ourCommand} from './invocation.js'
import type {WaitResult} from './cluster/kube.js'

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
  /** Aborted on Ctrl-C / SIGTERM. */
  signal?: AbortSignal
  /** Bounds the requests of many apps at once (runBatch); waits for the controller are not bounded. */
  writeSlots?: <T>(fn: () => Promise<T>) => Promise<T>
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
  /** How many times the plan was rebuilt on a fresh read because someone (usually the controller) wrote first. */
  replans?: number
  verify?: VerifyOutcome
  /** Set with RunOptions.deferVerify; not part of the JSON. */
  waitForController?: () => Promise<VerifyOutcome>
}

/** Re-plans after a concurrent write before giving up (exit 8), with jittered backoff between them. */
const MAX_ROUNDS = 8
const BASE_BACKOFF_MS = 50
const MAX_BACKOFF_MS = 1000
const DEFAULT_CONCURRENCY = 8

export interface RunOptions {
  /** The user already approved this step (a follow-up of an approved plan). */
  preApproved?: boolean
  /** Override --timeout for this plan's verify step. */
  verifyTimeoutSeconds?: (plan: Plan) => number | undefined
  /** One line per app instead of the full preview (many apps at once). */
  compact?: boolean
  /** Return right after the write; the caller awaits `result.waitForController()` (many apps at once). */
  deferVerify?: boolean
  /** The change the user approved in an earlier preview: a different plan now is a conflict, never written. */
  approvedKey?: string
  /**
   * The app as the caller has just read it (to gather what the recipe needs): the first round plans
   * from it instead of reading again. A copy that is already stale fails the resourceVersion guard
   * of the dry run and is re-read, as after any concurrent write.
   */
  firstRead?: Application
}

function renderPlan(io: Io, plan: Plan, diff: string, kubectl: string, previewKind: string): void {
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
  io.out(io.paint('bold', 'Equivalent kubectl:'))
  io.out(`  ${oneLine(kubectl)}`)
  for (const warning of plan.warnings) io.out(io.paint('yellow', `Warning: ${indentLines(warning, '         ')}`))
  for (const note of plan.notes) io.out(io.paint('cyan', `Note: ${indentLines(note, '      ')}`))
}

function noChangeResult(io: Io, outcome: Exclude<Outcome, Plan>, compact: boolean): StepResult {
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

/** Waits between re-plans: exponential with full jitter, so concurrent writers do not collide in lockstep. */
async function backoff(round: number): Promise<void> {
  const ms = Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** round)
  await new Promise((resolve) => setTimeout(resolve, ms))
}

function interruptedError(ref: AppRef): DoctorError {
  return new DoctorError('INTERRUPTED', `Interrupted before writing ${ref.namespace}/${ref.name}: nothing was written.`)
}

/** The change key each preview approved, for the write that follows it (kept out of the JSON). */
const approvedKeys = new WeakMap<StepResult, string>()

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
        previewed = await env.source.preview(ref, plan.patch)
      } catch (error) {
        // Someone (usually the controller) wrote between our read and the dry run: read again.
        if (error instanceof DoctorError && await isConflict(env, ref, before, error)) return {retry: true}
        throw error
      }

      const diff = yamlDiff(before, previewed, `applications.argoproj.io/${ref.name}`)
      const kubectl = kubectlCommand(plan, env.conn)
      if (unattended && round > 1) io.info(`Re-read ${oneLine(`${ref.namespace}/${ref.name}`)} (resourceVersion ${oneLine(before.metadata.resourceVersion)}); the change is the same, applying it.`)
      else if (opts.compact) {
        if (!opts.preApproved) io.out(oneLine(`${ref.namespace}/${ref.name}: ${plan.summary}`))
      } else renderPlan(io, plan, diff, kubectl, env.source.kind === 'cluster' ? 'server dry-run' : 'applied locally to the file')
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
      approvedKeys.set(result, changeKey(plan, before))
      if (env.dryRun || env.source.kind === 'file') {
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
        written = await env.source.apply(ref, plan.patch)
      } catch (error) {
        await backup.notApplied(error)
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

/**
 * Run a sequence of steps on one app (e.g. terminate → hard refresh, falling back to clearing).
 * The first step is previewed and confirmed; a later step marked preApproved is covered by that
 * confirmation, any other step gets its own preview and confirmation. Stops at the first step
 * that does not apply.
 */
export async function runSteps(env: PipelineEnv, ref: AppRef, first: Step, opts: RunOptions = {}): Promise<StepResult[]> {
  const results: StepResult[] = []
  const prefix = opts.compact ? `${ref.namespace}/${ref.name}: ` : ''
  let step: Step | undefined = first
  while (step) {
    if (step.announce) env.io.out(`${prefix}${step.announce}`)
    let result: StepResult
    try {
      result = await runRecipe(env, ref, step.build, {
        ...opts,
        preApproved: opts.preApproved || (results.length > 0 && step.preApproved),
        approvedKey: results.length === 0 ? opts.approvedKey : undefined,
        firstRead: results.length === 0 ? opts.firstRead : undefined,
        verifyTimeoutSeconds: step.verifyTimeoutSeconds,
      })
    } catch (error) {
      // A later step failed: the earlier writes happened all the same, and the error says so.
      const applied = results.filter((r) => r.status === 'applied')
      if (applied.length === 0 || !(error instanceof DoctorError)) throw error
      const done = applied.map((r) => `${r.action ?? r.recipe} (resourceVersion ${r.resourceVersion?.after})`).join(', ')
      throw new DoctorError(error.code, `${error.message} Before that, ${done} WAS applied.`, error.hint, {...error.details, steps: results})
    }

    results.push(result)
    if (result.status === 'previewed' && !opts.compact) for (const line of step.rest?.(result) ?? []) env.io.out(line)
    if (result.status !== 'applied') break
    step = step.next?.(result)
    if (step && !opts.compact) env.io.out()
  }

  return results
}

/** One app's part of a batch: its steps, or the error that stopped it. */
export interface BatchEntry {
  app: AppRef
  status: StepResult['status'] | 'failed'
  exitCode: number
  steps: StepResult[]
  error?: Record<string, unknown>
}

export interface BatchOptions {
  /** Requests in flight at once (reads, dry runs, writes); waits for the controller are not limited. */
  concurrency?: number
  /** Refuse when more apps than this would be changed. */
  max?: number
  /** For the confirmation: "Hard-refresh", "Unstick". */
  verb: string
}

/**
 * Many apps, one confirmation: preview every app (one line each), ask once, apply with bounded
 * concurrency, wait for the controller on all at once, then a table. An app that changed between
 * the preview and the write is never written with the old plan: unattended it is a conflict
 * (exit 8, as for one app), interactively it is previewed again and the user asked again.
 */
export async function runBatch(env: PipelineEnv, refs: AppRef[], first: Step, opts: BatchOptions): Promise<{entries: BatchEntry[]; exitCode: number}> {
  const {io} = env
  if (refs.length === 0) {
    io.out('No applications match; nothing to do.')
    return {entries: [], exitCode: ExitCode.NOTHING_TO_DO}
  }

  const limit = createLimiter(opts.concurrency ?? DEFAULT_CONCURRENCY)
  const failed = (app: AppRef, error: unknown): BatchEntry => {
    if (!(error instanceof DoctorError)) throw error
    io.out(`${app.namespace}/${app.name}: ${io.paint('red', 'failed')}: ${error.message}`)
    return {app, status: 'failed', exitCode: error.exitCode, steps: [], error: error.toJSON()}
  }

  const previews = await Promise.all(refs.map(async (ref): Promise<{entry: BatchEntry; key?: string}> => {
    try {
      const r = await runRecipe({...env, dryRun: true, writeSlots: limit}, ref, first.build, {compact: true})
      return {entry: {app: ref, status: r.status, exitCode: r.exitCode, steps: [r]}, key: approvedKeys.get(r)}
    } catch (error) {
      return {entry: failed(ref, error)}
    }
  }))
  const planned = previews.filter((p) => p.entry.status === 'previewed')
  const skipped = previews.length - planned.length
  io.out()
  io.out(`${planned.length} of ${refs.length} application${refs.length === 1 ? '' : 's'} would change${skipped ? ` (${skipped} with nothing to do, refused or unreadable)` : ''}.`)
  if (opts.max !== undefined && planned.length > opts.max) {
    throw new DoctorError('REFUSED', `${planned.length} applications would be changed, more than --max ${opts.max}; nothing was written.`, 'Narrow the selection (-l, names) or raise --max.')
  }

  if (env.dryRun || env.source.kind === 'file' || planned.length === 0) {
    if (planned.length > 0) io.out(io.paint('dim', 'Dry run: nothing was changed.'))
    const entries = previews.map((p) => p.entry)
    return {entries, exitCode: planned.length > 0 ? batchExitCode(entries) : (entries.find((e) => e.status === 'failed')?.exitCode ?? ExitCode.NOTHING_TO_DO)}
  }

  if (!env.yes && !(await confirmChange(io, `${opts.verb} these ${planned.length} applications?`))) {
    io.out('Not applied: nothing was changed.')
    const entries = previews.map((p) => (p.entry.status === 'previewed' ? {...p.entry, status: 'declined' as const, exitCode: ExitCode.DECLINED} : p.entry))
    return {entries, exitCode: ExitCode.DECLINED}
  }

  const changedAtPrompt: AppRef[] = []
  const applyEnv = {...env, writeSlots: limit}
  const applied = await Promise.all(planned.map(async ({entry, key}): Promise<BatchEntry | undefined> => {
    try {
      const steps = await runSteps(applyEnv, entry.app, first, {preApproved: true, compact: true, approvedKey: key})
      const last = steps.at(-1)!
      return {app: entry.app, status: last.status, exitCode: last.exitCode, steps}
    } catch (error) {
      if (!env.yes && error instanceof DoctorError && error.details?.changedSincePreview) {
        changedAtPrompt.push(entry.app)
        return undefined
      }

      return failed(entry.app, error)
    }
  }))

  let entries = [...previews.filter((p) => p.entry.status !== 'previewed').map((p) => p.entry), ...applied.filter((e): e is BatchEntry => e !== undefined)]
  if (changedAtPrompt.length > 0) {
    io.out()
    io.warn(`${changedAtPrompt.length} application${changedAtPrompt.length === 1 ? '' : 's'} changed while you were deciding; nothing was written to ${changedAtPrompt.length === 1 ? 'it' : 'them'}. Here is a new preview.`)
    const again = await runBatch(env, changedAtPrompt, first, {...opts, max: undefined})
    entries = [...entries, ...again.entries]
  }

  io.out()
  io.out(renderTable(['APP', 'RESULT', 'SYNC', 'HEALTH', 'RECONCILED'], entries.map((e) => {
    const last = e.steps.at(-1)
    return [`${e.app.namespace}/${e.app.name}`, last?.verify?.status ?? (e.error ? `failed (exit ${e.exitCode})` : e.status), last?.verify?.syncStatus ?? '', last?.verify?.healthStatus ?? '', last?.verify?.reconciledAt ?? '']
  })))
  return {entries, exitCode: batchExitCode(entries)}
}

/** Non-zero when any app failed (its code); 0 when every app was changed or had nothing to do. */
function batchExitCode(entries: BatchEntry[]): number {
  const bad = entries.find((e) => e.exitCode !== ExitCode.OK && e.exitCode !== ExitCode.NOTHING_TO_DO)
  if (bad) return bad.exitCode
  return entries.some((e) => e.exitCode === ExitCode.OK) ? ExitCode.OK : ExitCode.NOTHING_TO_DO
}

/** At most `n` of the given tasks run at once. */
export function createLimiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0
  const queue: Array<() => void> = []
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve))
    active++
    try {
      return await fn()
    } finally {
      active--
      queue.shift()?.()
    }
  }
}

let eventWarningGiven = false

/**
 * A Kubernetes Event on the Application for every change we make: what changed, who ran it, where
 * the backup is. Never fails the command: without `events create` (or on any error) it warns once.
 */
async function recordEvent(env: PipelineEnv, written: Application, plan: Plan, before: Application, backupFile: string): Promise<void> {
  const reason = `ArgoDoctor${plan.recipe.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`
  const who = env.source.user || process.env.USER || 'unknown'
  const message = `${plan.summary} By ${who} with argo-doctor ${plan.recipe} (resourceVersion ${before.metadata.resourceVersion} → ${written.metadata.resourceVersion}); backup of the object before the change: ${backupFile} on ${hostname()}.`
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
    case 'unverified':
      return ExitCode.UNVERIFIED
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
  const applied = `the change WAS applied (resourceVersion ${written.metadata.resourceVersion})`
  const checkHint = `Check on it with: ${ourCommand(['explain', plan.target.name, '-n', plan.target.namespace], env.conn)}`
  let outcome: WaitResult
  try {
    outcome = await env.source.watch(plan.target, written.metadata.resourceVersion ?? '0', (app) => isDone(verify, app, written), {
      timeoutMs: env.timeoutSeconds * 1000,
      signal: env.signal,
      onUpdate: (app) => progress.update(progressLine(verify, app)),
    })
  } catch (error) {
    // Whatever went wrong while waiting, the write happened: say so, never "unexpected error".
    outcome = {status: 'unverified', error: error instanceof DoctorError ? error : new DoctorError('ERROR', (error as Error).message)}
  } finally {
    progress.stop()
  }

  if (env.signal?.aborted) {
    throw new DoctorError('INTERRUPTED', `Interrupted while ${verify.description}; ${applied}.`, checkHint)
  }

  if (outcome.status === 'unverified') {
    const message = `The change WAS applied (resourceVersion ${written.metadata.resourceVersion}), but it could not be verified: ${outcome.error.message.replace(/\.$/, '')}. ${checkHint}`
    io.warn(oneLine(message))
    return {status: 'unverified', message, error: {code: outcome.error.code, message: outcome.error.message}}
  }

  const goneIsSuccess = outcome.status === 'deleted' ? judgeDeleted(verify) : undefined
  if (goneIsSuccess) {
    io.out(io.paint('green', `✔ ${quiet ? `${plan.target.namespace}/${plan.target.name}: ` : ''}${goneIsSuccess.message}`))
    return goneIsSuccess
  }

  if (outcome.status === 'deleted') {
    io.warn(oneLine(`${plan.target.namespace}/${plan.target.name} was deleted while ${verify.description}.`))
    return {status: 'deleted', message: 'The application was deleted.'}
  }

  if (outcome.status === 'timeout') {
    const message = `Timed out after ${env.timeoutSeconds}s ${verify.description}. The change was applied; the controller has not acted on it yet — is the application-controller running? (kubectl get pods -n ${plan.target.namespace} -l app.kubernetes.io/name=argocd-application-controller)`
    io.warn(oneLine(message))
    const timedOut: VerifyOutcome = {...judge(verify, outcome.app), status: 'timeout', message}
    if (verify.kind === 'operation' && !quiet) reportSync(io, plan.target, timedOut)
    return timedOut
  }

  const judged = judge(verify, outcome.app)
  const line = `${judged.status === 'ok' ? '✔' : '✖'} ${oneLine(`${quiet ? `${plan.target.namespace}/${plan.target.name}: ` : ''}${judged.message}`)}`
  io.out(judged.status === 'ok' ? io.paint('green', line) : io.paint('red', line))
  if (verify.kind === 'operation' && !quiet) reportSync(io, plan.target, judged)
  return judged
}

/** After a sync we started: the hooks it ran, or why none did. */
function reportSync(io: Io, target: AppRef, verify: VerifyOutcome): void {
  const hooks = verify.hooks ?? []
  io.out()
  if (hooks.length > 0) {
    io.out(renderTable(['HOOK', 'RESOURCE', 'PHASE', 'MESSAGE'], hooks.map((h) => [h.hookType ?? '', `${h.kind}/${h.name}`, h.hookPhase ?? '', h.message ?? ''])))
  } else if (verify.status !== 'timeout') {
    io.warn(`No hook ran in this sync: the manifests Argo CD rendered for ${target.name} contain no resource annotated argocd.argoproj.io/hook. Check that the chart actually renders the hook (a template condition can leave a hook Job out of one environment).`)
  }

  if (verify.status === 'timeout') {
    io.out(`The sync is still ${verify.phase ?? 'pending'}; follow it with: ${ourCommand(['explain', target.name, '-n', target.namespace])}, or cancel it with: ${ourCommand(['unstick', target.name, '-n', target.namespace])}`)
  }
}
