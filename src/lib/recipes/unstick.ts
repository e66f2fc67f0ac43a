import {humanDuration, refOf, type Application} from '../app.js'
import {ARGOCD_FACTS, isControllerAlive} from '../argocd-facts.js'
import {operationFacts} from '../operation.js'
import {DoctorError} from '../errors.js'
import {describeGuards, resourceVersionGuard, type JsonPatchOp, type NoChange, type Outcome, type Step} from '../plan.js'
import {buildHardRefreshPlan, hardRefreshOps} from './hard-refresh.js'
import {ourCommand, type CommandSpelling} from '../invocation.js'

export interface UnstickOptions {
  now: Date
  /** Operations younger than this are left alone without --force. */
  minAgeSeconds: number
  force: boolean
  /** Never try a graceful terminate first (also used after a terminate did not complete). */
  skipTerminate: boolean
  /** The controller counts as alive when it reconciled the app within this many seconds. */
  controllerFreshSeconds: number
  /** Temporary self-wait fix: a file/glob to add to the source's directory.exclude. */
  excludeSelf?: string
  /** Which of spec.sources[] to exclude it from (multi-source apps). */
  sourceIndex?: number
  /** The user's --kubeconfig/--context, repeated in the commands hints suggest. */
  conn?: CommandSpelling
}

/** From the shared Argo CD facts, so unstick and explain agree on "young" and "controller alive". */
export const UNSTICK_DEFAULTS = {minAgeSeconds: ARGOCD_FACTS.orphanPhase, controllerFreshSeconds: ARGOCD_FACTS.controllerAlive}

const SELF_WAIT_NOTE = (name: string) =>
  `Permanent fix: the App-of-Apps "${name}" lists its own Application manifest among its resources, so every sync waits for its own health and can never finish. ` +
  'Move the root Application\'s manifest out of the directory it watches (e.g. k8s/argocd/root-apps/), commit, then remove the temporary exclude. Unsticking alone only buys time: the next sync deadlocks again.'

/** Decide how to unstick an app. Pure: the caller supplies the app as read and the clock. */
export function buildUnstickPlan(app: Application, opts: UnstickOptions): Outcome {
  const facts = operationFacts(app, opts.now)
  const target = refOf(app)
  const name = app.metadata.name
  const notes = facts.selfWait ? [SELF_WAIT_NOTE(name)] : []
  const noChange = (kind: NoChange['kind'], reason: string, hint?: string): NoChange => ({kind, recipe: 'unstick', target, reason, hint, notes})

  if (!facts.inProgress && !opts.excludeSelf) {
    return noChange('nothing', `No sync operation is in progress on ${name} (phase: ${facts.phase ?? 'none'}, no operation requested); nothing to unstick.`,
      `If it is OutOfSync or looks stale, try: ${ourCommand(['explain', name, '-n', target.namespace], opts.conn)}`)
  }

  if (facts.inProgress && !opts.force) {
    if (facts.ageSeconds !== undefined && facts.ageSeconds < opts.minAgeSeconds) {
      return noChange('refused', `The operation on ${name} started ${humanDuration(facts.ageSeconds)} ago; it may still be making progress.`,
        `Wait until it is older than --min-age (${humanDuration(opts.minAgeSeconds)}), or pass --force.`)
    }

    if (facts.blockedBySyncWindow) {
      return noChange('refused', `The operation on ${name} is blocked by a sync window ("${facts.message}"); clearing it will not help, the next sync is blocked too.`,
        'Wait for the window to open or change the AppProject\'s spec.syncWindows; pass --force to clear it anyway.')
    }

    if (facts.waitingForPruneConfirmation) {
      return noChange('refused', `The sync of ${name} waits for pruning confirmation ("${facts.message}"), it is not stuck.`,
        `Approve the prune (it lists what will be deleted first): ${ourCommand(['approve-prune', name, '-n', target.namespace], opts.conn)}; pass --force to clear the operation instead.`)
    }
  }

  const excludeOps = opts.excludeSelf ? [...excludeSelfOps(app, opts.excludeSelf, opts.sourceIndex), ...stopSelfPruneOps(app)] : []
  const controllerAlive = isControllerAlive(facts.reconciledAgoSeconds, opts.controllerFreshSeconds)

  if (facts.operationSet && facts.phase === 'Running' && controllerAlive && !opts.skipTerminate) {
    const patch: JsonPatchOp[] = [
      ...resourceVersionGuard(app),
      {op: 'test', path: '/status/operationState/phase', value: 'Running'},
      {op: 'replace', path: '/status/operationState/phase', value: 'Terminating'},
    ]
    return {
      kind: 'plan',
      recipe: 'unstick',
      action: 'terminate',
      target,
      summary: `Terminate the running sync of ${name} (same as argocd app terminate-op), then hard-refresh.`,
      why: `The controller reconciled ${name} ${humanDuration(facts.reconciledAgoSeconds!)} ago, so it is alive: asking it to terminate lets it clean up running hooks and finish the operation itself. ` +
        'If it does not finish within --terminate-timeout, argo-doctor falls back to clearing the operation.',
      patch,
      guards: describeGuards(patch),
      warnings: [],
      notes,
      verify: {kind: 'terminate', description: 'waiting for the controller to terminate the operation'},
    }
  }

  const clearOps: JsonPatchOp[] = []
  if (facts.operationSet) clearOps.push({op: 'remove', path: '/operation'})
  if (app.status?.operationState) {
    if (facts.phase !== undefined) clearOps.push({op: 'test', path: '/status/operationState/phase', value: facts.phase})
    clearOps.push({op: 'remove', path: '/status/operationState'})
  }

  const patch = [...resourceVersionGuard(app), ...clearOps, ...excludeOps, ...hardRefreshOps(app, opts.now)]
  const age = facts.ageSeconds === undefined ? '' : ` for ${humanDuration(facts.ageSeconds)}`
  const reasons: string[] = []
  if (!facts.inProgress) reasons.push('No operation is in progress; only the exclude and a hard refresh are applied.')
  else if (!facts.operationSet) reasons.push(`The phase has been ${facts.phase}${age} but no operation is requested (top-level \`operation\` is empty), so \`argocd app terminate-op\` refuses and the controller will never finish it.`)
  else if (!controllerAlive) reasons.push(`The controller has not reconciled ${name} ${facts.reconciledAgoSeconds === undefined ? 'recently (no status.reconciledAt)' : `for ${humanDuration(facts.reconciledAgoSeconds)}`}, so a graceful terminate would not be acted on.`)
  else if (facts.phase !== 'Running') reasons.push(`An operation is requested but the phase is ${facts.phase ?? 'absent'}${age}; a live controller would start it again, so both are cleared.`)
  else reasons.push('A graceful terminate did not complete in time.')
  if (facts.inProgress && facts.operationSet) reasons.push('Removing both `operation` and `status.operationState` in one guarded patch clears the stuck sync; removing only operationState (the common manual recipe) leaves `operation`, and the controller starts the same sync again.')
  else if (facts.inProgress) reasons.push('Removing `status.operationState` (guarded by the phase and resourceVersion read) clears the stuck sync.')
  reasons.push('A hard refresh in the same write makes the controller re-read Git and re-compare.')

  return {
    kind: 'plan',
    recipe: 'unstick',
    action: facts.inProgress ? 'clear-operation' : 'exclude-self',
    target,
    summary: facts.inProgress
      ? `Clear the stuck sync of ${name} (${facts.phase ?? 'operation requested'}${age}) and hard-refresh it.`
      : `Add a directory exclude to ${name} and hard-refresh it.`,
    why: reasons.join(' '),
    patch,
    guards: describeGuards(patch),
    warnings: [
      ...(facts.selfWait && !opts.excludeSelf
        ? [`${name} is waiting for its own health (it manages its own Application manifest): the next sync will get stuck again. Pass --exclude-self <file> to exclude that manifest for now.`]
        : []),
      ...(opts.force && facts.blockedBySyncWindow ? ['A sync window blocks syncs of this app: the next sync will wait for the window too.'] : []),
      ...(opts.excludeSelf && stopSelfPruneOps(app).length > 0 ? [SELF_PRUNE_WARNING(name)] : []),
    ],
    notes,
    verify: {kind: 'refresh', description: 'waiting for the controller to finish the hard refresh'},
  }
}

const SELF_PRUNE_WARNING = (name: string) =>
  `Auto-sync prune is turned off on ${name} (spec.syncPolicy.automated.prune: false): it still tracks its own Application, so once its manifest is excluded an automated prune would delete ${name} itself — and, through its resources finalizer, every child app. ` +
  'Turn prune back on after the permanent fix (moving the manifest out of the watched directory).'

/**
 * Excluding the app's own manifest makes the app "require pruning" of itself; with automated
 * prune the controller would delete the root app (seen on a real Argo CD v3.2 controller).
 */
export function stopSelfPruneOps(app: Application): JsonPatchOp[] {
  if (app.spec.syncPolicy?.automated?.prune !== true) return []
  return [
    {op: 'test', path: '/spec/syncPolicy/automated/prune', value: true},
    {op: 'replace', path: '/spec/syncPolicy/automated/prune', value: false},
  ]
}

/**
 * The alternatives of a glob that is one brace group from its first character to its last
 * (`{a,b/*.{x,y}}` → ["a", "b/*.{x,y}"]), or undefined (`{dev,prod}/*.{yaml,yml}` is not one group).
 */
function braceAlternatives(glob: string): string[] | undefined {
  if (!glob.startsWith('{')) return undefined
  const parts: string[] = []
  let depth = 0
  let start = 1
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === '\\') i++
    else if (c === '{') depth++
    else if (c === ',' && depth === 1) {
      parts.push(glob.slice(start, i))
      start = i + 1
    } else if (c === '}' && --depth === 0) {
      if (i !== glob.length - 1) return undefined
      parts.push(glob.slice(start, i))
      return parts
    }
  }

  return undefined
}

/** Ops that add `file` to the source's directory.exclude glob. */
export function excludeSelfOps(app: Application, file: string, sourceIndex?: number): JsonPatchOp[] {
  let base: string
  let source
  if (app.spec.sources?.length) {
    const index = sourceIndex ?? (app.spec.sources.length === 1 ? 0 : undefined)
    if (index === undefined || index < 0 || index >= app.spec.sources.length) {
      throw new RangeError(`${app.metadata.name} has ${app.spec.sources.length} sources: pass --source-index 0..${app.spec.sources.length - 1} to say which one watches the directory.`)
    }

    base = `/spec/sources/${index}`
    source = app.spec.sources[index]
  } else if (app.spec.source) {
    base = '/spec/source'
    source = app.spec.source
  } else {
    throw new RangeError(`${app.metadata.name} has no spec.source to exclude a file from.`)
  }

  if (source.helm || source.kustomize || source.chart) {
    throw new RangeError(`${base.slice(1).replaceAll('/', '.')} is a Helm/Kustomize source; directory.exclude applies only to plain directory sources.`)
  }

  const current = source.directory?.exclude
  if (!source.directory) return [{op: 'add', path: `${base}/directory`, value: {exclude: file}}]
  if (!current) return [{op: 'add', path: `${base}/directory/exclude`, value: file}]
  const alternatives = braceAlternatives(current)
  if (current === file || alternatives?.includes(file)) return []
  // Argo CD matches the exclude with github.com/gobwas/glob, which nests braces: one more
  // alternative inside a pattern that is a single {…} group, else the whole pattern wrapped —
  // `{dev,prod}/*.{yaml,yml}` becomes `{{dev,prod}/*.{yaml,yml},root-app.yaml}`.
  const merged = alternatives ? `${current.slice(0, -1)},${file}}` : `{${current},${file}}`
  return [
    {op: 'test', path: `${base}/directory/exclude`, value: current},
    {op: 'replace', path: `${base}/directory/exclude`, value: merged},
  ]
}

export interface UnstickSequenceOptions extends Omit<UnstickOptions, 'skipTerminate' | 'now'> {
  now: () => Date
  /** Try a graceful terminate first when the controller is alive. */
  terminate: boolean
  /** Seconds a graceful terminate may take before falling back to clearing. */
  terminateTimeoutSeconds: number
  /** --resync: once the operation has really ended and the app is refreshed, start this sync. */
  resync?: {build: (app: Application) => Outcome; timeoutSeconds: number}
}

/**
 * unstick as a sequence for the pipeline: terminate (controller alive) → hard refresh, or clear
 * the operation with the hard refresh in the same write; a terminate that does not finish falls
 * back to clearing (its own preview and confirmation). With resync, a sync with hooks follows
 * once the operation has ended — one confirmation for the whole sequence. This is the race people
 * script around (argoproj/argo-cd#6494): terminating is asynchronous, and a sync started at once
 * gets "another operation is already in progress".
 */
export function unstickSteps(opts: UnstickSequenceOptions): Step {
  const build = (skipTerminate: boolean) => (app: Application): Outcome => {
    try {
      return buildUnstickPlan(app, {...opts, now: opts.now(), skipTerminate})
    } catch (error) {
      if (error instanceof RangeError) throw new DoctorError('USAGE', error.message)
      throw error
    }
  }

  const resync: Step | undefined = opts.resync && {
    build: opts.resync.build,
    preApproved: true,
    announce: 'The operation has ended and the app is refreshed: starting the sync (--resync).',
    verifyTimeoutSeconds: () => opts.resync!.timeoutSeconds,
  }
  // After the write that ends the operation and refreshes the app: the sync, if asked for and refreshed.
  const afterRefresh = (report: {verify?: {status: string}}) => (report.verify?.status === 'ok' ? resync : undefined)
  const restOfResync = resync ? ['Then, once the operation has ended and the controller has refreshed the app, argo-doctor starts a sync with hooks (as force-presync): one confirmation covers the whole sequence.'] : []
  const clear: Step = {
    build: build(true),
    verifyTimeoutSeconds: () => undefined,
    next: afterRefresh,
    rest: () => restOfResync,
  }
  return {
    build: build(!opts.terminate),
    verifyTimeoutSeconds: (plan) => (plan.action === 'terminate' ? opts.terminateTimeoutSeconds : undefined),
    next(report) {
      if (report.action !== 'terminate') return afterRefresh(report)
      if (report.verify?.status === 'ok') {
        // The controller ended the operation itself; finish with what the user approved: the exclude (if asked for) and the hard refresh.
        return {build: opts.excludeSelf ? build(true) : (app) => buildHardRefreshPlan(app, opts.now()), preApproved: true, next: afterRefresh}
      }

      if (report.verify?.status === 'timeout') return {...clear, announce: 'The graceful terminate did not finish; falling back to clearing the operation.'}
      return undefined
    },
    rest(report) {
      if (report.action !== 'terminate') return restOfResync
      return [
        `If the controller does not finish terminating within ${opts.terminateTimeoutSeconds}s, argo-doctor then clears the operation instead (previewed and confirmed again; --yes answers yes).`,
        `Once the operation has ended, argo-doctor ${opts.excludeSelf ? `adds the directory exclude "${opts.excludeSelf}" and ` : ''}hard-refreshes the app.`,
        ...restOfResync,
      ]
    },
  }
}
