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
import {writeBackup, writeBatchBackup, type BackupHandle} from './backup.js'
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
import {actingUser, ourCommand} from './invocation.js'
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
  /** Who asks besides the kubeconfig user, named in the Event (e.g. 'MCP client "claude-code"'). */
  actor?: string
  /** Called with each one-app preview a dry run makes (--save-plan, MCP plan_<verb>: stop after the preview and keep it). */
  onPreview?: (preview: Preview) => void
}

/** A previewed change: the plan, the object it was made from, and what the user was shown (diff, kubectl). */
export interface Preview {
  plan: Plan
  before: Application
  result: StepResult
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
const DEFAULT_CONCURRENCY = 16

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

/**
 * A write that timed out, or whose connection broke, may still be applied: the server may have the
 * request (a kept-alive connection carries it even to a frozen server) and act on it later. Only a
 * connection that was never made (refused, no route, no such host) proves nothing was sent.
 */
function writeMayHaveLanded(error: DoctorError): boolean {
  return error.code === 'UNREACHABLE' && !/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(error.message)
}

/** Waits between re-plans: exponential with full jitter, so concurrent writers do not collide in lockstep. */
async function backoff(round: number): Promise<void> {
  const ms = Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** round)
  await new Promise((resolve) => setTimeout(resolve, ms))
}

function interruptedError(ref: AppRef): DoctorError {
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
        written = await env.source.apply(ref, plan.patch)
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
        // The caller's approval covers the step it approved; a later step only when marked preApproved.
        preApproved: results.length === 0 ? opts.preApproved : step.preApproved,
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
  /**
   * The apps as the LIST that selected them (-l/--all) returned them, by "namespace/name": the
   * batch plans from these instead of reading each app again. The resourceVersion guard of each
   * write refuses a copy that is stale; that app is then re-read and re-planned.
   */
  listed?: Map<string, Application>
}

/** One app in one batch write: the plan made for it, and what became of it. */
interface BatchItem {
  entry: BatchEntry
  step: Step
  before: Application
  plan: Plan
  /** changeKey of the plan the user approved (first step only): a re-plan after a conflict may only write the same change. */
  approvedKey?: string
  result: StepResult
  written?: Application
  /** The app as last seen while waiting: the next step of the sequence plans from it. */
  seen?: Application
}

/** An app the next batch write plans for: its step, and the object to plan from (read when absent). */
interface BatchTarget {
  entry: BatchEntry
  step: Step
  from?: Application
}

const refKey = (ref: AppRef) => `${ref.namespace}/${ref.name}`

/** What the dry run proves the server accepts: the action and each op's kind and path (values are each app's own). */
function patchShape(plan: Plan): string {
  return JSON.stringify([plan.action, plan.patch.map((op) => `${op.op} ${op.path}`)])
}

/**
 * Many apps, one confirmation. The batch plans every app from the object the LIST returned (or one
 * read per named app), prints one line per app, and proves the change with ONE server dry run
 * (dryRun=All) per kind of patch — the apps of a batch get the same patch but for their own
 * resourceVersion — instead of a dry run and a diff per app; if the server refuses it, nothing is
 * written. After the one confirmation (or --yes) it backs up every object in one file, writes with
 * bounded concurrency — each write a JSON patch guarded by `test` on the resourceVersion the plan
 * was made from — records an Event per app, waits for the controller with one watch per namespace,
 * and prints a table. The next step of a sequence (unstick's terminate → refresh) is the next
 * batch write, planned from the app as the wait last saw it.
 *
 * An app whose write fails its guard (it changed since the LIST) goes the one-app way: re-read,
 * re-planned, previewed, written (runSteps). Unattended, a re-plan that is not the same change is a
 * conflict (exit 8, as for one app); interactively the apps that changed while the user decided are
 * previewed again and the user is asked again. After Ctrl-C/SIGTERM nothing more is written.
 */
export async function runBatch(env: PipelineEnv, refs: AppRef[], first: Step, opts: BatchOptions): Promise<{entries: BatchEntry[]; exitCode: number}> {
  const {io} = env
  if (refs.length === 0) {
    io.out('No applications match; nothing to do.')
    return {entries: [], exitCode: ExitCode.NOTHING_TO_DO}
  }

  const limit = createLimiter(opts.concurrency ?? DEFAULT_CONCURRENCY)
  const batchEnv: PipelineEnv = {...env, writeSlots: limit}
  const entries: BatchEntry[] = refs.map((app) => ({app, status: 'previewed', exitCode: ExitCode.OK, steps: []}))
  let wave = await planBatch(batchEnv, entries.map((entry) => ({entry, step: first, from: opts.listed?.get(refKey(entry.app))})), true)
  const skipped = refs.length - wave.length
  io.out()
  io.out(`${wave.length} of ${refs.length} application${refs.length === 1 ? '' : 's'} would change${skipped ? ` (${skipped} with nothing to do, refused or unreadable)` : ''}.`)
  // What the rest of the sequence may do (e.g. unstick's fallback to clearing), said before the one confirmation.
  for (const line of new Set(wave.flatMap((item) => item.step.rest?.(item.result) ?? []))) io.out(line)
  if (opts.max !== undefined && wave.length > opts.max) {
    throw new DoctorError('REFUSED', `${wave.length} applications would be changed, more than --max ${opts.max}; nothing was written.`, 'Narrow the selection (-l, names) or raise --max.')
  }

  if (wave.length > 0) {
    const refusedBy = await proveAccepted(batchEnv, wave)
    const [refusal] = refusedBy.values()
    if (refusal) throw refusal
  }

  if (env.dryRun || env.source.kind === 'file' || wave.length === 0) {
    if (wave.length > 0) io.out(io.paint('dim', 'Dry run: nothing was changed.'))
    for (const entry of entries) settleEntry(entry)
    return {entries, exitCode: wave.length > 0 ? batchExitCode(entries) : (entries.find((e) => e.status === 'failed')?.exitCode ?? ExitCode.NOTHING_TO_DO)}
  }

  if (!env.yes && !(await confirmChange(io, `${opts.verb} these ${wave.length} applications?`))) {
    io.out('Not applied: nothing was changed.')
    for (const entry of entries) settleEntry(entry)
    for (const item of wave) Object.assign(item.entry, {status: 'declined', exitCode: ExitCode.DECLINED})
    return {entries, exitCode: ExitCode.DECLINED}
  }

  const changedAtPrompt: BatchEntry[] = []
  let firstWave = true
  while (wave.length > 0) {
    if (!firstWave) {
      // A later step of the sequence: proved by a dry run; covered by the confirmation only when marked preApproved.
      const refusedBy = await proveAccepted(batchEnv, wave)
      for (const [item, error] of refusedBy) failEntry(io, item.entry, error)
      wave = wave.filter((item) => !refusedBy.has(item))
      wave = await confirmLaterStep(env, wave, opts.verb)
    }

    const {written, conflicted} = await writeBatch(batchEnv, wave, firstWave)
    // A write refused by its guard: that app alone is re-read and re-planned, as for one app.
    const replans = Promise.all(conflicted.map(async (item) => {
      try {
        const steps = await runSteps(batchEnv, item.entry.app, {...item.step, announce: undefined}, {preApproved: true, compact: true, approvedKey: item.approvedKey})
        item.entry.steps.push(...steps)
      } catch (error) {
        if (!env.yes && error instanceof DoctorError && error.details?.changedSincePreview) changedAtPrompt.push(item.entry)
        else failEntry(io, item.entry, error)
      }
    }))
    await Promise.all([replans, waitBatch(batchEnv, written)])
    firstWave = false
    const next: BatchTarget[] = []
    for (const item of written) {
      const step = item.step.next?.(item.result)
      if (!step) continue
      if (step.announce) io.out(`${oneLine(refKey(item.entry.app))}: ${step.announce}`)
      next.push({entry: item.entry, step, from: item.seen})
    }

    wave = await planBatch(batchEnv, next, false)
  }

  for (const entry of entries) settleEntry(entry)
  let all = entries.filter((e) => !changedAtPrompt.includes(e))
  if (changedAtPrompt.length > 0) {
    io.out()
    io.warn(`${changedAtPrompt.length} application${changedAtPrompt.length === 1 ? '' : 's'} changed while you were deciding; nothing was written to ${changedAtPrompt.length === 1 ? 'it' : 'them'}. Here is a new preview.`)
    const again = await runBatch(env, changedAtPrompt.map((e) => e.app), first, {...opts, max: undefined, listed: undefined})
    all = [...all, ...again.entries]
  }

  io.out()
  io.out(renderTable(['APP', 'RESULT', 'SYNC', 'HEALTH', 'RECONCILED'], all.map((e) => {
    const last = e.steps.at(-1)
    return [`${e.app.namespace}/${e.app.name}`, last?.verify?.status === 'not-waited' ? 'applied (not waited)' : last?.verify?.status ?? (e.error ? `failed (exit ${e.exitCode})` : e.status), last?.verify?.syncStatus ?? '', last?.verify?.healthStatus ?? '', last?.verify?.reconciledAt ?? '']
  })))
  return {entries: all, exitCode: batchExitCode(all)}
}

/** An entry's status and exit code: its error, else its last step's. */
function settleEntry(entry: BatchEntry): void {
  const last = entry.steps.at(-1)
  if (entry.error) Object.assign(entry, {status: 'failed', exitCode: entry.error.exitCode as number})
  else if (last) Object.assign(entry, {status: last.status, exitCode: last.exitCode})
}

/** The app failed: one line, and the error in its entry (saying what an earlier step of the sequence did apply). */
function failEntry(io: Io, entry: BatchEntry, error: unknown): void {
  if (!(error instanceof DoctorError)) throw error
  const applied = entry.steps.filter((r) => r.status === 'applied')
  const done = applied.map((r) => `${r.action ?? r.recipe} (resourceVersion ${r.resourceVersion?.after})`).join(', ')
  const message = applied.length > 0 && !error.message.includes('WAS applied') ? `${error.message} Before that, ${done} WAS applied.` : error.message
  io.out(`${oneLine(refKey(entry.app))}: ${io.paint('red', 'failed')}: ${message}`)
  entry.error = {...error.toJSON(), message}
  settleEntry(entry)
}

/**
 * Plan each target from the object given (the LIST's, or the one the wait last saw), reading only
 * the apps without one. `announce`: the first step prints one line per app (the preview).
 */
async function planBatch(env: PipelineEnv, targets: BatchTarget[], announce: boolean): Promise<BatchItem[]> {
  const {io} = env
  const items: Array<BatchItem | undefined> = await Promise.all(targets.map(async ({entry, step, from}) => {
    const ref = entry.app
    try {
      const before = from ?? await env.writeSlots!(() => env.source.read(ref))
      const outcome = step.build(before)
      if (outcome.kind !== 'plan') {
        entry.steps.push(noChangeResult(io, outcome, true))
        settleEntry(entry)
        return undefined
      }

      if (announce || !step.preApproved) io.out(oneLine(`${ref.namespace}/${ref.name}: ${outcome.summary}`))
      const result: StepResult = {
        recipe: outcome.recipe,
        action: outcome.action,
        app: ref,
        status: 'previewed',
        exitCode: ExitCode.OK,
        summary: outcome.summary,
        why: outcome.why,
        warnings: outcome.warnings,
        notes: outcome.notes,
        guards: outcome.guards,
        patch: outcome.patch,
        kubectl: kubectlCommand(outcome, env.conn),
        resourceVersion: {before: before.metadata.resourceVersion},
      }
      entry.steps.push(result)
      return {entry, step, before, plan: outcome, approvedKey: announce ? changeKey(outcome, before) : undefined, result}
    } catch (error) {
      failEntry(io, entry, error)
      return undefined
    }
  }))
  return items.filter((item): item is BatchItem => item !== undefined)
}

/**
 * A later step of a batch sequence that is not covered by the first confirmation (unstick's fallback
 * from terminating to clearing): its per-app lines and dry run were shown; ask again, as for one app
 * (--yes answers yes). Returns the items to write; declined ones are settled as declined.
 */
async function confirmLaterStep(env: PipelineEnv, wave: BatchItem[], verb: string): Promise<BatchItem[]> {
  const ask = wave.filter((item) => !item.step.preApproved)
  if (ask.length === 0 || env.yes) return wave
  const actions = [...new Set(ask.map((item) => item.plan.action))].join(', ')
  if (await confirmChange(env.io, `${verb}: ${actions === 'clear-operation' ? 'Clear the operation of' : `${actions} for`} these ${ask.length} application${ask.length === 1 ? '' : 's'}?`)) return wave
  env.io.out('Not applied: nothing more was changed.')
  for (const item of ask) {
    Object.assign(item.result, {status: 'declined', exitCode: ExitCode.DECLINED})
    settleEntry(item.entry)
  }

  return wave.filter((item) => !ask.includes(item))
}

/**
 * One dry run (dryRun=All; with -f applied locally) per kind of patch in the batch, on the first
 * app that has it: the server's admission, schema validation and patch semantics accept it, or the
 * error comes back before anything is written. An app that changed since the LIST is read again
 * for the dry run (its write re-plans anyway). Returns the items whose kind of patch was refused.
 */
async function proveAccepted(env: PipelineEnv, items: BatchItem[]): Promise<Map<BatchItem, DoctorError>> {
  const {io} = env
  const groups = new Map<string, BatchItem[]>()
  for (const item of items) {
    const shape = patchShape(item.plan)
    groups.set(shape, [...(groups.get(shape) ?? []), item])
  }

  const refused = new Map<BatchItem, DoctorError>()
  const how = env.source.kind === 'cluster' ? 'Server dry run (dryRun=All)' : 'Applied locally to the file'
  await Promise.all([...groups].map(async ([shape, group]) => env.writeSlots!(async () => {
    const others = group.length - 1
    const same = others > 0 ? `; the same patch (with each app's own resourceVersion) goes to ${others} other app${others === 1 ? '' : 's'}` : ''
    for (const candidate of group.slice(0, 3)) {
      const ref = candidate.entry.app
      let {before, plan} = candidate
      for (let round = 1; round <= 3; round++) {
        try {
          await env.source.preview(ref, plan.patch)
          io.info(`${how} of the change to ${oneLine(refKey(ref))}: accepted${same}.`)
          return
        } catch (error) {
          if (!(error instanceof DoctorError)) throw error
          if (!(await isConflict(env, ref, before, error))) {
            const e = new DoctorError(error.code, `The ${env.source.kind === 'cluster' ? 'API server refused the change in a dry run' : 'change does not apply'} on ${ref.namespace}/${ref.name}${others > 0 ? ` (the same change as for ${others} other app${others === 1 ? '' : 's'})` : ''}: ${error.message.replace(/\.$/, '')}. Nothing was written.`, error.hint, error.details)
            e.api = error.api
            for (const item of group) refused.set(item, e)
            return
          }

          // Changed since the LIST: the same change on a fresh read proves the same thing.
          before = await env.source.read(ref)
          const outcome = candidate.step.build(before)
          if (outcome.kind !== 'plan' || patchShape(outcome) !== shape) break
          plan = outcome
        }
      }
    }

    const e = new DoctorError('CONFLICT', `The applications kept changing during the dry run of the change to ${group.length} of them; nothing was written.`, 'Run the command again to preview the current state.')
    for (const item of group) refused.set(item, e)
  })))
  return refused
}

/**
 * Back up every object in one file, then write each guarded patch (at most `concurrency` at once),
 * recording each outcome in the backup and an Event per app. Returns the items written and those
 * whose guard failed. After Ctrl-C/SIGTERM no further write is sent: the writes already answered
 * are reported (and recorded), and the batch stops with INTERRUPTED.
 */
async function writeBatch(env: PipelineEnv, items: BatchItem[], firstWave: boolean): Promise<{written: BatchItem[]; conflicted: BatchItem[]}> {
  const {io} = env
  if (items.length === 0) return {written: [], conflicted: []}
  if (interrupted() || env.signal?.aborted) throw batchInterrupted(env, items, undefined, firstWave)
  const backup = await writeBatchBackup({changes: items.map((i) => ({app: i.before, plan: i.plan})), now: env.now(), kubeUser: env.source.user, context: env.source.context, server: env.source.server})
  io.info(`Backup of the ${items.length === 1 ? 'live object' : `${items.length} live objects (one file)`}: ${oneLine(backup.file)}`)
  const warn = (message: string) => io.warn(message)
  const conflicted: BatchItem[] = []
  let notSent = 0
  try {
    await Promise.all(items.map((item, index) => env.writeSlots!(async () => {
      const ref = item.entry.app
      if (interrupted() || env.signal?.aborted) {
        notSent++
        backup.notApplied(index, interruptedError(ref))
        return
      }

      let written: Application
      writes.inFlight++
      try {
        written = await env.source.apply(ref, item.plan.patch)
      } catch (error) {
        writes.inFlight--
        backup.notApplied(index, error)
        item.entry.steps.pop()
        // A re-read that fails (to tell a conflict from a bad patch) leaves the write's own error.
        if (error instanceof DoctorError && await isConflict(env, ref, item.before, error).catch(() => false)) conflicted.push(item)
        else if (error instanceof DoctorError && writeMayHaveLanded(error)) {
          failEntry(io, item.entry, new DoctorError(error.code, `${error.message} The write was already sent, so it may have been applied.`, `Check before retrying: ${ourCommand(['explain', ref.name, '-n', ref.namespace], env.conn)}`, {...error.details, outcomeUnknown: true}))
        } else failEntry(io, item.entry, error)
        return
      }

      writes.inFlight--
      backup.applied(index, written)
      writes.applied.push(`${ref.namespace}/${ref.name} (resourceVersion ${written.metadata.resourceVersion})`)
      // What the rest needs of the object the server returned (the Event, the wait): 2,000 whole copies were 100 MB.
      item.written = {
        apiVersion: written.apiVersion, kind: written.kind,
        metadata: {name: written.metadata.name, namespace: written.metadata.namespace, uid: written.metadata.uid, resourceVersion: written.metadata.resourceVersion, annotations: written.metadata.annotations},
        spec: {}, status: {reconciledAt: written.status?.reconciledAt},
      } as Application
      Object.assign(item.result, {status: 'applied', backup: backup.file, resourceVersion: {before: item.before.metadata.resourceVersion, after: written.metadata.resourceVersion}})
      await recordEvent(env, written, item.plan, item.before, backup.file)
      void backup.flush(warn)
    })))
  } finally {
    await backup.flush(warn, true)
  }

  const written = items.filter((i) => i.written)
  if (notSent > 0) throw batchInterrupted(env, items, backup.file, firstWave)
  return {written, conflicted}
}

function batchInterrupted(env: PipelineEnv, items: BatchItem[], backupFile: string | undefined, firstWave: boolean): DoctorError {
  const written = items.filter((i) => i.written)
  if (written.length === 0 && firstWave) return new DoctorError('INTERRUPTED', `Interrupted before writing to ${items.length === 1 ? refKey(items[0].entry.app) : `any of the ${items.length} applications`}: nothing was written.`)
  if (written.length === 0) return new DoctorError('INTERRUPTED', `Interrupted before the next step on ${items.length} application${items.length === 1 ? '' : 's'}: the step before it WAS applied; nothing else was written.`)
  const namespaces = [...new Set(written.map((i) => i.entry.app.namespace))]
  return new DoctorError('INTERRUPTED', `Interrupted: ${written.length} of ${items.length} changes WERE applied before the signal${backupFile ? ` (each recorded in ${backupFile})` : ''}; the other ${items.length - written.length} were not written.`,
    `Check on them with: ${ourCommand(['explain', '--all', '-n', namespaces[0]], env.conn)}`, {applied: written.map((i) => ({...i.entry.app, resourceVersion: i.written!.metadata.resourceVersion}))})
}

/**
 * Wait for the controller on every app written, with one watch per namespace (cluster sources;
 * otherwise one wait per app), and judge each as one app's verify would.
 */
async function waitBatch(env: PipelineEnv, items: BatchItem[]): Promise<void> {
  const {io} = env
  const waiting: BatchItem[] = []
  const notWaited = new Set<string>()
  for (const item of items) {
    const verify = item.plan.verify
    if (verify.kind === 'none') item.result.verify = {status: 'ok', message: 'Nothing to wait for.'}
    else if (!env.wait) {
      item.result.verify = {status: 'not-waited', message: 'Applied; not waited for (--no-wait).'}
      notWaited.add(verify.description)
    } else waiting.push(item)
  }

  for (const description of notWaited) io.out(`Not waiting (--no-wait): ${description.replace(/^waiting/, 'would wait')}.`)
  if (waiting.length === 0) return
  const seconds = (item: BatchItem) => item.step.verifyTimeoutSeconds?.(item.plan) ?? env.timeoutSeconds
  const judged = (item: BatchItem, outcome: WaitResult) => {
    if (env.signal?.aborted) return
    item.seen = 'app' in outcome ? outcome.app : undefined
    item.result.verify = reportWait({...env, timeoutSeconds: seconds(item)}, item.plan, item.written!, outcome, true)
    item.result.exitCode = exitCodeFor(item.result.verify)
  }

  const byNamespace = new Map<string, BatchItem[]>()
  for (const item of waiting) byNamespace.set(item.entry.app.namespace, [...(byNamespace.get(item.entry.app.namespace) ?? []), item])
  const longest = Math.max(...waiting.map(seconds))
  io.info(`Waiting for the controller on ${waiting.length} application${waiting.length === 1 ? '' : 's'} (up to ${longest}s)${env.source.watchMany ? `: one watch on namespace${byNamespace.size === 1 ? '' : 's'} ${[...byNamespace.keys()].join(', ')}` : ''}.`)
  await Promise.all([...byNamespace].map(async ([namespace, group]) => {
    const byName = new Map(group.map((item) => [item.entry.app.name, item]))
    const targets = group.map((item) => ({name: item.entry.app.name, timeoutMs: seconds(item) * 1000, check: (app: Application) => isDone(item.plan.verify, app, item.written!)}))
    try {
      if (env.source.watchMany) {
        await env.source.watchMany(namespace, targets, {signal: env.signal, onResult: (name, outcome) => judged(byName.get(name)!, outcome)})
      } else {
        await Promise.all(group.map(async (item, i) => judged(item, await env.source.watch(item.entry.app, item.written!.metadata.resourceVersion ?? '0', targets[i].check, {timeoutMs: targets[i].timeoutMs, signal: env.signal}))))
      }
    } catch (error) {
      // Whatever went wrong while waiting, the writes happened: say so, never "unexpected error".
      const e = error instanceof DoctorError ? error : new DoctorError('ERROR', (error as Error).message)
      for (const item of group) if (!item.result.verify) judged(item, {status: 'unverified', error: e})
    }
  }))
  if (env.signal?.aborted) {
    const namespaces = [...byNamespace.keys()]
    throw new DoctorError('INTERRUPTED', `Interrupted while waiting for the controller; the changes to ${items.length} application${items.length === 1 ? '' : 's'} WERE applied${items[0]?.result.backup ? ` (each recorded in ${items[0].result.backup})` : ''}.`,
      `Check on them with: ${ourCommand(['explain', '--all', '-n', namespaces[0]], env.conn)}`)
  }
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
    return {status: 'not-waited', message: 'Applied; not waited for (--no-wait).'}
  }

  const verify = plan.verify
  const progress = quiet ? {update() {}, stop() {}} : await startProgress(io, `${verify.description} (up to ${env.timeoutSeconds}s)`)
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

  return reportWait(env, plan, written, outcome, quiet)
}

/** Judge what the wait saw (and say it): the verify outcome of one app. */
function reportWait(env: PipelineEnv, plan: Plan, written: Application, outcome: WaitResult, quiet: boolean): VerifyOutcome {
  const {io} = env
  const verify = plan.verify as Exclude<Plan['verify'], {kind: 'none'}>
  const applied = `the change WAS applied (resourceVersion ${written.metadata.resourceVersion})`
  const checkHint = `Check on it with: ${ourCommand(['explain', plan.target.name, '-n', plan.target.namespace], env.conn)}`
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
    const synced = verify.kind === 'operation' && verify.health && outcome.app?.status?.operationState?.phase === 'Succeeded' && !outcome.app.operation
    const message = synced
      ? `The sync Succeeded, but after ${env.timeoutSeconds}s the app's health is still ${outcome.app?.status?.health?.status ?? 'not reported'}. Follow it with: ${ourCommand(['explain', plan.target.name, '-n', plan.target.namespace], env.conn)}`
      : `Timed out after ${env.timeoutSeconds}s ${verify.description}. The change was applied; the controller has not acted on it yet — is the application-controller running? (kubectl get pods -n ${plan.target.namespace} -l app.kubernetes.io/name=argocd-application-controller)`
    io.warn(oneLine(message))
    const timedOut: VerifyOutcome = {...judge(verify, outcome.app), status: 'timeout', message}
    if (verify.kind === 'operation' && !quiet) reportSync(io, plan.target, timedOut, verify.health)
    return timedOut
  }

  const judged = judge(verify, outcome.app)
  const line = `${judged.status === 'ok' ? '✔' : '✖'} ${oneLine(`${quiet ? `${plan.target.namespace}/${plan.target.name}: ` : ''}${judged.message}`)}`
  io.out(judged.status === 'ok' ? io.paint('green', line) : io.paint('red', line))
  if (verify.kind === 'operation' && !quiet) reportSync(io, plan.target, judged, verify.health)
  return judged
}

/** After a sync we started: the hooks it ran, or why none did (a sync meant to run hooks). */
function reportSync(io: Io, target: AppRef, verify: VerifyOutcome, noHooksExpected = false): void {
  const hooks = verify.hooks ?? []
  if (hooks.length > 0 || !noHooksExpected || verify.status === 'timeout') io.out()
  if (hooks.length > 0) {
    io.out(renderTable(['HOOK', 'RESOURCE', 'PHASE', 'MESSAGE'], hooks.map((h) => [h.hookType ?? '', `${h.kind}/${h.name}`, h.hookPhase ?? '', h.message ?? ''])))
  } else if (verify.status !== 'timeout' && !noHooksExpected) {
    io.warn(`No hook ran in this sync: the manifests Argo CD rendered for ${target.name} contain no resource annotated argocd.argoproj.io/hook. Check that the chart actually renders the hook (a template condition can leave a hook Job out of one environment).`)
  }

  if (verify.status === 'timeout') {
    io.out(`The sync is still ${verify.phase ?? 'pending'}; follow it with: ${ourCommand(['explain', target.name, '-n', target.namespace])}, or cancel it with: ${ourCommand(['unstick', target.name, '-n', target.namespace])}`)
  }
}
