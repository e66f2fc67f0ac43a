/**
 * Many apps, one confirmation: plan every app as the LIST streams in, one server dry run per kind of
 * patch, one backup file, bounded concurrent guarded writes, one watch per namespace, one table. An
 * app that changed since the LIST goes the one-app way (steps.ts).
 */
import type {AppRef, Application} from '../app.js'
import {DoctorError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import {startBatchBackup, type BatchBackupSpool} from '../backup.js'
import {writes, interrupted} from '../interrupt.js'
import {changeKey, keptOf, kubectlCommand, type Plan, type Step} from '../plan.js'
import {renderTable} from '../render/table.js'
import {oneLine} from '../render/safe.js'
import type {Io} from '../render/io.js'
import {confirmChange} from '../render/prompt.js'
import {isDone} from '../verify.js'
import {ourCommand} from '../invocation.js'
import type {WaitResult} from '../cluster/kube.js'
import {interruptedError, isConflict, noChangeResult, recordEvent, writeMayHaveLanded} from './one-app.js'
import {exitCodeFor, reportWait} from './report.js'
import {runSteps} from './steps.js'
import type {PipelineEnv, StepResult} from './types.js'

const DEFAULT_CONCURRENCY = 16

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
 * The apps of a batch: names (each read once), or the apps as the LIST that selected them (-l/--all)
 * streams them in. A listed app is planned as it arrives, backed up to the batch file and dropped:
 * the batch keeps its plan and what the plan overwrites (keptOf), never the list. The resourceVersion
 * guard of each write refuses a copy that is stale; that app is then re-read and re-planned.
 */
export type BatchSelection = AppRef[] | AsyncIterable<Application>

/** One app in one batch write: the plan made for it, and what became of it. */
interface BatchItem {
  entry: BatchEntry
  step: Step
  /** What the batch keeps of the object the plan was made from (keptOf): its resourceVersion and the values the patch overwrites. */
  before: Application
  plan: Plan
  /** Its index in the batch backup (first step: added while planning). */
  backupIndex?: number
  /** A later step's whole object, backed up when that step is written. */
  whole?: Application
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
export async function runBatch(env: PipelineEnv, selection: BatchSelection, first: Step, opts: BatchOptions): Promise<{entries: BatchEntry[]; exitCode: number}> {
  // The first step's backup is written as the apps are planned; removed unless the writes begin.
  const spool = env.dryRun || env.source.kind === 'file' ? undefined : startBatchBackup({now: env.now, kubeUser: env.source.user, context: env.source.context, server: env.source.server})
  try {
    return await runPlannedBatch(env, selection, first, opts, spool)
  } finally {
    await spool?.discard()
  }
}

async function runPlannedBatch(env: PipelineEnv, selection: BatchSelection, first: Step, opts: BatchOptions, spool: BatchBackupSpool | undefined): Promise<{entries: BatchEntry[]; exitCode: number}> {
  const {io} = env
  const limit = createLimiter(opts.concurrency ?? DEFAULT_CONCURRENCY)
  const batchEnv: PipelineEnv = {...env, writeSlots: limit}
  const newEntry = (app: AppRef): BatchEntry => ({app, status: 'previewed', exitCode: ExitCode.OK, steps: []})
  const entries: BatchEntry[] = []
  let wave: BatchItem[]
  if (Array.isArray(selection)) {
    entries.push(...selection.map(newEntry))
    wave = await planBatch(batchEnv, entries.map((entry) => ({entry, step: first})), true, spool)
  } else {
    wave = []
    for await (const app of selection) {
      const entry = newEntry({name: app.metadata.name, namespace: app.metadata.namespace ?? ''})
      entries.push(entry)
      const item = await planItem(batchEnv, {entry, step: first}, app, true, spool)
      if (item) wave.push(item)
    }
  }

  if (entries.length === 0) {
    io.out('No applications match; nothing to do.')
    return {entries: [], exitCode: ExitCode.NOTHING_TO_DO}
  }

  const skipped = entries.length - wave.length
  io.out()
  io.out(`${wave.length} of ${entries.length} application${entries.length === 1 ? '' : 's'} would change${skipped ? ` (${skipped} with nothing to do, refused or unreadable)` : ''}.`)
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

    const {written, conflicted} = await writeBatch(batchEnv, wave, firstWave ? spool : undefined)
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

    wave = await planBatch(batchEnv, next, false, undefined)
  }

  for (const entry of entries) settleEntry(entry)
  let all = entries.filter((e) => !changedAtPrompt.includes(e))
  if (changedAtPrompt.length > 0) {
    io.out()
    io.warn(`${changedAtPrompt.length} application${changedAtPrompt.length === 1 ? '' : 's'} changed while you were deciding; nothing was written to ${changedAtPrompt.length === 1 ? 'it' : 'them'}. Here is a new preview.`)
    const again = await runBatch(env, changedAtPrompt.map((e) => e.app), first, {...opts, max: undefined})
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
 * Plan each target from the object given (the one the wait last saw), reading the apps without one
 * (at most `concurrency` at once). `announce`: the first step prints one line per app (the preview).
 */
async function planBatch(env: PipelineEnv, targets: BatchTarget[], announce: boolean, spool: BatchBackupSpool | undefined): Promise<BatchItem[]> {
  const items = await Promise.all(targets.map(async (target) => {
    let before: Application
    try {
      before = target.from ?? await env.writeSlots!(() => env.source.read(target.entry.app))
    } catch (error) {
      failEntry(env.io, target.entry, error)
      return undefined
    }

    return planItem(env, target, before, announce, spool)
  }))
  return items.filter((item): item is BatchItem => item !== undefined)
}

/**
 * One app of a batch: its plan from `before`, its line of the preview, and — first step — its
 * backup (added to the batch file now, so the whole object need not be kept). Undefined when there
 * is nothing to write (settled) or it failed.
 */
async function planItem(env: PipelineEnv, {entry, step}: BatchTarget, before: Application, announce: boolean, spool: BatchBackupSpool | undefined): Promise<BatchItem | undefined> {
  const {io} = env
  const ref = entry.app
  let outcome: ReturnType<Step['build']>
  try {
    outcome = step.build(before)
  } catch (error) {
    failEntry(io, entry, error)
    return undefined
  }

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
  const approvedKey = announce ? changeKey(outcome, before) : undefined
  const backupIndex = spool ? await spool.add(before, outcome) : undefined
  return {entry, step, before: keptOf(before, outcome), whole: spool ? undefined : before, plan: outcome, approvedKey, backupIndex, result}
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
  const how = env.source.kind === 'cluster' ? 'Server dry run (dryRun=All)' : `${(env.source.previewKind ?? '').charAt(0).toUpperCase()}${(env.source.previewKind ?? '').slice(1)}`
  await Promise.all([...groups].map(async ([shape, group]) => env.writeSlots!(async () => {
    const others = group.length - 1
    const same = others > 0 ? `; the same patch (with each app's own resourceVersion) goes to ${others} other app${others === 1 ? '' : 's'}` : ''
    for (const candidate of group.slice(0, 3)) {
      const ref = candidate.entry.app
      let {before, plan} = candidate
      for (let round = 1; round <= 3; round++) {
        try {
          await env.source.preview(ref, plan.patch, plan)
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
 * Name the backup of every object (one file: the first step's was written while planning; a later
 * step's is written now), then write each guarded patch (at most `concurrency` at once), appending
 * each outcome to the backup's records and an Event per app. Returns the items written and those
 * whose guard failed. After Ctrl-C/SIGTERM no further write is sent: the writes already answered
 * are reported (and recorded), and the batch stops with INTERRUPTED.
 */
async function writeBatch(env: PipelineEnv, items: BatchItem[], firstWave: BatchBackupSpool | undefined): Promise<{written: BatchItem[]; conflicted: BatchItem[]}> {
  const {io} = env
  if (items.length === 0) return {written: [], conflicted: []}
  if (interrupted() || env.signal?.aborted) throw batchInterrupted(env, items, undefined, Boolean(firstWave))
  let spool = firstWave
  if (!spool) {
    spool = startBatchBackup({now: env.now, kubeUser: env.source.user, context: env.source.context, server: env.source.server})
    for (const item of items) item.backupIndex = await spool.add(item.whole!, item.plan)
  }

  const backup = await spool.commit()
  for (const item of items) item.whole = undefined
  io.info(`Backup of the ${items.length === 1 ? 'live object' : `${items.length} live objects (one file)`}: ${oneLine(backup.file)}`)
  const warn = (message: string) => io.warn(message)
  const conflicted: BatchItem[] = []
  let notSent = 0
  try {
    await Promise.all(items.map((item) => env.writeSlots!(async () => {
      const index = item.backupIndex!
      const ref = item.entry.app
      if (interrupted() || env.signal?.aborted) {
        notSent++
        backup.notApplied(index, interruptedError(ref))
        return
      }

      let written: Application
      writes.inFlight++
      try {
        written = await env.source.apply(ref, item.plan.patch, item.plan)
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
  if (notSent > 0) throw batchInterrupted(env, items, backup.file, Boolean(firstWave))
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
