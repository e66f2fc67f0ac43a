/**
 * The changing verbs as data: what each one needs before it can plan (the AppProject's sync
 * windows, the HPAs, the live resources, the backup to undo), as one `prepare` per verb that
 * turns the verb's options into the first Step of its sequence. The commands, a saved plan's
 * apply (which plans again to check nothing changed) and the MCP server's plan_<verb> tools all
 * plan through here, so a verb behaves the same whichever door it comes in by.
 *
 * Adding a verb: one entry in VERBS (its options are named as its command's flags).
 */
import type {AppRef, Application} from './app.js'
import type {LiveMeta} from './deletion.js'
import {DoctorError} from './errors.js'
import {actingUser} from './invocation.js'
import type {ConnectionFlags, NoChange, Outcome, Step} from './plan.js'
import type {ForcePresyncOptions} from './recipes/force-presync.js'
import type {AppSource} from './source.js'

/** What every verb may need besides its options: where apps come from, the clock and the user's connection flags. */
export interface VerbContext {
  source: AppSource
  now: () => Date
  conn: ConnectionFlags
}

/** The verb's first Step, and the app as read while preparing (the pipeline plans its first round from it). */
export interface Prepared {
  step: Step
  firstRead?: Application
  /** undo: the change record being reverted, and a line saying which change that is. */
  undoes?: string
  notice?: string
  /** approve-prune, unblock-delete: the managed resources read live (what the change deletes or leaves behind). */
  live?: LiveMeta[]
}

/** One option of a verb: its command's flag (same name), for the MCP tool's input schema. */
export interface VerbOption {
  type: 'boolean' | 'string' | 'integer'
  description: string
}

export interface Verb {
  name: string
  /** One line: what the change does (MCP tool descriptions). */
  summary: string
  /** The change can remove or overwrite state (MCP destructiveHint). */
  destructive: boolean
  /** Applying the same change again has no further effect (MCP idempotentHint). */
  idempotent: boolean
  /** Seconds to wait for the controller after the write (the command's --timeout default). */
  timeoutSeconds: number
  /** The options a plan of this verb records and an agent may set (a subset of the command's flags). */
  options: Record<string, VerbOption>
  prepare(ctx: VerbContext, ref: AppRef, options: Record<string, unknown>): Promise<Prepared>
}

const bool = (options: Record<string, unknown>, name: string, fallback = false): boolean => (typeof options[name] === 'boolean' ? options[name] as boolean : fallback)
const str = (options: Record<string, unknown>, name: string): string | undefined => (typeof options[name] === 'string' && options[name] !== '' ? options[name] as string : undefined)
const int = (options: Record<string, unknown>, name: string): number | undefined => (typeof options[name] === 'number' ? options[name] as number : undefined)

/** What every verb that starts a sync reads first: the app, its AppProject's sync windows (read once up front), and who asks. */
export async function syncInputs(source: AppSource, ref: AppRef): Promise<{first: Application; windows: Pick<ForcePresyncOptions, 'syncWindows' | 'syncWindowsUnchecked'>; user: string}> {
  const {syncWindowInputs} = await import('./recipes/force-presync.js')
  const {projectWants} = await import('./diagnose/related.js')
  const first = await source.read(ref)
  const wants = projectWants(first)
  const related = await source.readRelated(first, wants)
  const windows = syncWindowInputs(related.project, wants.project!)
  const user = actingUser(source)
  return {first, windows, user}
}

/** A sync with hooks (force-presync, unstick --resync). */
export async function syncBuilder(ctx: VerbContext, ref: AppRef, opts: {prune?: boolean; revision?: string; reason?: string}): Promise<{build: (app: Application) => Outcome; first: Application}> {
  const {buildForcePresyncPlan} = await import('./recipes/force-presync.js')
  const {first, windows, user} = await syncInputs(ctx.source, ref)
  return {first, build: (app) => buildForcePresyncPlan(app, {now: ctx.now(), user, prune: Boolean(opts.prune), revision: opts.revision, reason: opts.reason, conn: ctx.conn, ...windows})}
}

const unstick: Verb = {
  name: 'unstick',
  summary: 'Clear a stuck sync operation (a graceful terminate when the controller is alive), then hard-refresh the app.',
  destructive: true,
  idempotent: false,
  timeoutSeconds: 120,
  options: {
    force: {type: 'boolean', description: 'Also act on young operations, sync-window blocks and prune confirmations.'},
    terminate: {type: 'boolean', description: 'Try a graceful terminate first when the controller is alive (default true; false clears at once).'},
    resync: {type: 'boolean', description: 'Once the operation has ended and the app is refreshed, start a sync with hooks.'},
  },
  async prepare(ctx, ref, options) {
    const {UNSTICK_DEFAULTS, unstickSteps} = await import('./recipes/unstick.js')
    const sync = bool(options, 'resync') ? await syncBuilder(ctx, ref, {}) : undefined
    const step = unstickSteps({
      now: ctx.now,
      minAgeSeconds: int(options, 'min-age') ?? UNSTICK_DEFAULTS.minAgeSeconds,
      force: bool(options, 'force'),
      controllerFreshSeconds: UNSTICK_DEFAULTS.controllerFreshSeconds,
      excludeSelf: str(options, 'exclude-self'),
      sourceIndex: int(options, 'source-index'),
      terminate: bool(options, 'terminate', true),
      terminateTimeoutSeconds: int(options, 'terminate-timeout') ?? 60,
      conn: ctx.conn,
      resync: sync && {build: sync.build, timeoutSeconds: int(options, 'sync-timeout') ?? 600},
    })
    return {step, firstRead: sync?.first}
  },
}

const hardRefresh: Verb = {
  name: 'hard-refresh',
  summary: 'Set argocd.argoproj.io/refresh=hard and wait until the controller has regenerated the manifests.',
  destructive: false,
  idempotent: true,
  timeoutSeconds: 120,
  options: {},
  async prepare(ctx) {
    const {buildHardRefreshPlan} = await import('./recipes/hard-refresh.js')
    return {step: {build: (app) => buildHardRefreshPlan(app, ctx.now())}}
  },
}

const forcePresync: Verb = {
  name: 'force-presync',
  summary: 'Start a full sync with hooks (PreSync → Sync → PostSync), as `argocd app sync` would, and follow it.',
  destructive: true,
  idempotent: false,
  timeoutSeconds: 600,
  options: {
    prune: {type: 'boolean', description: 'Delete resources that are no longer in Git (the preview lists them). Off by default.'},
    revision: {type: 'string', description: "Sync to this Git revision instead of the app's targetRevision (single-source apps)."},
    reason: {type: 'string', description: 'Why you are syncing; recorded in the operation.'},
  },
  async prepare(ctx, ref, options) {
    const {build, first} = await syncBuilder(ctx, ref, {prune: bool(options, 'prune'), revision: str(options, 'revision'), reason: str(options, 'reason')})
    return {step: {build}, firstRead: first}
  },
}

const ignoreStatus: Verb = {
  name: 'ignore-status',
  summary: 'Stop an endless OutOfSync loop: add spec.ignoreDifferences entries a built-in rule recognises, keeping existing ones.',
  destructive: false,
  idempotent: true,
  timeoutSeconds: 120,
  options: {
    respect: {type: 'boolean', description: 'Add RespectIgnoreDifferences=true (default: only when replicas are ignored).'},
  },
  async prepare(ctx, ref, options) {
    const {hpaWants} = await import('./diagnose/related.js')
    const {isScalable} = await import('./recipes/ignore-rules.js')
    const {buildIgnoreStatusPlan, validateExplicitEntry} = await import('./recipes/ignore-status.js')
    const explicit = validateExplicitEntry({
      group: str(options, 'group'), kind: str(options, 'kind'), name: str(options, 'name'), namespace: str(options, 'resource-namespace'),
      jsonPointers: options['json-pointer'] as string[] | undefined, jq: options.jq as string[] | undefined, managedFieldsManagers: options['managed-fields-manager'] as string[] | undefined,
    })
    // The HPAs matter only when a scalable workload is OutOfSync (the replicas rule); one that cannot be read is reported, never guessed.
    const first = await ctx.source.read(ref)
    const needHpas = !explicit && (first.status?.resources ?? []).some((r) => r.status === 'OutOfSync' && isScalable(r))
    const related = {hpas: needHpas ? (await ctx.source.readRelated(first, hpaWants(first))).hpas ?? [] : []}
    const respect = typeof options.respect === 'boolean' ? options.respect : undefined
    return {step: {build: (app) => buildIgnoreStatusPlan(app, {explicit, respect, related, allowMissing: bool(options, 'allow-missing'), conn: ctx.conn})}, firstRead: first}
  },
}

const approvePrune: Verb = {
  name: 'approve-prune',
  summary: 'Approve the prune (Prune=confirm) or deletion (Delete=confirm) a sync or app deletion waits for; Argo CD then deletes the listed resources.',
  destructive: true,
  idempotent: true,
  timeoutSeconds: 180,
  options: {},
  async prepare(ctx, ref) {
    const {buildApprovePrunePlan} = await import('./recipes/approve-prune.js')
    const first = await ctx.source.read(ref)
    const live = await ctx.source.readManaged(first, (r) => Boolean(r.requiresPruning || r.requiresDeletionConfirmation))
    // One approval time for the whole run, so a re-plan after a controller write writes the same value.
    const now = ctx.now()
    return {step: {build: (app) => buildApprovePrunePlan(app, {now, live})}, firstRead: first, live}
  },
}

const unblockDelete: Verb = {
  name: 'unblock-delete',
  summary: 'Finish a stuck Application deletion: remove exactly the Argo CD finalizer(s) that cannot complete.',
  destructive: true,
  idempotent: true,
  timeoutSeconds: 60,
  options: {
    force: {type: 'boolean', description: "Remove Argo CD's finalizers even when nothing shows the deletion cannot finish (its resources stay running, unmanaged)."},
  },
  async prepare(ctx, ref, options) {
    const {buildUnblockDeletePlan, UNBLOCK_DEFAULTS} = await import('./recipes/unblock-delete.js')
    const first = await ctx.source.read(ref)
    const live = first.metadata.deletionTimestamp ? await ctx.source.readManaged(first, () => true) : undefined
    const build = (app: Application) => buildUnblockDeletePlan(app, {now: ctx.now(), force: bool(options, 'force'), controllerFreshSeconds: UNBLOCK_DEFAULTS.controllerFreshSeconds, live})
    return {step: {build}, firstRead: first, live}
  },
}

const undo: Verb = {
  name: 'undo',
  summary: 'Revert the last change argo-doctor made to an app, and only that change (refused when someone changed those paths since).',
  destructive: true,
  idempotent: false,
  timeoutSeconds: 120,
  options: {
    backup: {type: 'string', description: 'The change record to undo (a `record` from describe_backups / `undo --list`); default: the newest applied change not already reverted.'},
  },
  async prepare(ctx, ref, options) {
    const backups = await import('./backup.js')
    const {analyzeUndo, buildUndoPlan} = await import('./recipes/undo.js')
    const named = str(options, 'backup')
    // Changes an applied undo already reverted are never undone again (someone may have put the same thing back since).
    const recorded = await backups.listBackups(ref)
    const undone = backups.undoneBy(recorded)
    let chosen: Awaited<ReturnType<typeof backups.readBackup>> | undefined
    let first: Application | undefined
    const applied = recorded.filter((e) => e.record.state === 'applied' && e.record.recipe !== 'undo')
    if (named) chosen = await backups.readBackup(named, ref)
    else {
      const all = applied.filter((e) => !undone.has(e.id)).reverse()
      if (all.length > 0) {
        // The newest change not undone yet that still has something to revert.
        first = await ctx.source.read(ref)
        chosen = all.find((e) => {
          const a = analyzeUndo(first!, e.record)
          return a.reverts.length > 0 || a.conflicts.length > 0
        }) ?? all[0]
      }
    }

    if (!chosen) {
      const reason = applied.length > 0
        ? `every applied argo-doctor change of this app recorded in ${backups.backupDir()} is already undone (undo --list shows them).`
        : `no applied argo-doctor change of this app is recorded in ${backups.backupDir()}.`
      const nothing: NoChange = {kind: 'nothing', recipe: 'undo', target: ref, reason, notes: []}
      return {step: {build: () => nothing}, firstRead: first}
    }

    const record = chosen
    const by = undone.get(record.id)
    const build = (app: Application) => buildUndoPlan(app, {record: record.record, backupFile: record.file, id: record.id, undoneBy: by && {file: by.file, time: by.record.time}})
    return {step: {build}, firstRead: first, undoes: record.file, notice: `Undoing ${record.record.recipe} of ${record.record.time} (${record.file}).`}
  },
}

const rollback: Verb = {
  name: 'rollback',
  summary: 'Roll the app back to an earlier status.history entry as `argocd app rollback` does, turning auto-sync off in the same guarded write (undo or resume-sync turn it back on).',
  destructive: true,
  idempotent: false,
  timeoutSeconds: 600,
  options: {
    to: {type: 'integer', description: 'The status.history ID to roll back to (default: the newest entry before the current deployment).'},
    prune: {type: 'boolean', description: 'Delete resources that are not in the manifests of that revision. Off by default.'},
    reason: {type: 'string', description: 'Why you are rolling back; recorded in the operation.'},
  },
  async prepare(ctx, ref, options) {
    const {buildRollbackPlan} = await import('./recipes/rollback.js')
    const {first, windows, user} = await syncInputs(ctx.source, ref)
    const build = (app: Application) => buildRollbackPlan(app, {now: ctx.now(), user, to: int(options, 'to'), prune: bool(options, 'prune'), reason: str(options, 'reason'), conn: ctx.conn, ...windows})
    return {step: {build}, firstRead: first}
  },
}

const retrySync: Verb = {
  name: 'retry-sync',
  summary: 'Re-run the last failed sync for the resources that failed (or all), with the sync options that fix the recorded failure, set on the operation only.',
  destructive: true,
  idempotent: false,
  timeoutSeconds: 600,
  options: {
    'all-resources': {type: 'boolean', description: 'Sync every resource (hooks run), not only the ones that failed.'},
    replace: {type: 'boolean', description: 'Sync option Replace=true.'},
    force: {type: 'boolean', description: 'Force: delete and re-create what cannot be replaced (implies replace).'},
    'server-side': {type: 'boolean', description: 'Sync option ServerSideApply=true.'},
    'skip-dry-run': {type: 'boolean', description: 'Sync option SkipDryRunOnMissingResource=true.'},
    prune: {type: 'boolean', description: 'Delete resources that are no longer in Git. Off by default.'},
  },
  async prepare(ctx, ref, options) {
    const {buildRetrySyncPlan} = await import('./recipes/retry-sync.js')
    const {first, windows, user} = await syncInputs(ctx.source, ref)
    const chosen = {allResources: bool(options, 'all-resources'), replace: bool(options, 'replace'), force: bool(options, 'force'), serverSide: bool(options, 'server-side'), skipDryRun: bool(options, 'skip-dry-run'), prune: bool(options, 'prune')}
    return {step: {build: (app) => buildRetrySyncPlan(app, {now: ctx.now(), user, conn: ctx.conn, ...windows, ...chosen})}, firstRead: first}
  },
}

const pauseSync: Verb = {
  name: 'pause-sync',
  summary: 'Turn auto-sync (or only self-heal) off for the incident, recording exactly what was there so resume-sync restores it.',
  destructive: false,
  idempotent: true,
  timeoutSeconds: 60,
  options: {
    'self-heal-only': {type: 'boolean', description: 'Only turn self-heal off; auto-sync keeps deploying new commits.'},
    reason: {type: 'string', description: 'Why; recorded with the pause and shown by explain.'},
  },
  async prepare(ctx, _ref, options) {
    const {buildPausePlan} = await import('./recipes/pause-sync.js')
    const user = actingUser(ctx.source)
    return {step: {build: (app) => buildPausePlan(app, {now: ctx.now(), user, selfHealOnly: bool(options, 'self-heal-only'), reason: str(options, 'reason'), conn: ctx.conn})}}
  },
}

const resumeSync: Verb = {
  name: 'resume-sync',
  summary: 'Put back the auto-sync setting that pause-sync or rollback turned off, exactly as recorded (refused if it changed since).',
  destructive: false,
  idempotent: true,
  timeoutSeconds: 60,
  options: {},
  async prepare() {
    const {buildResumePlan} = await import('./recipes/pause-sync.js')
    return {step: {build: (app) => buildResumePlan(app)}}
  },
}

/** Every changing verb, by name. New verbs: one line here. */
export const VERBS: Record<string, Verb> = Object.fromEntries([unstick, hardRefresh, forcePresync, ignoreStatus, approvePrune, unblockDelete, undo, rollback, retrySync, pauseSync, resumeSync].map((v) => [v.name, v]))

export function verbNamed(name: string): Verb {
  const verb = VERBS[name]
  if (!verb) throw new DoctorError('USAGE', `Unknown verb "${name}".`, `Verbs: ${Object.keys(VERBS).join(', ')}.`)
  return verb
}

/** The verb's options out of a command's parsed flags (the same names): what a saved plan records. */
export function verbOptions(verb: Verb, flags: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(VERB_FLAGS[verb.name] ?? verb.options).filter((k) => flags[k] !== undefined).map((k) => [k, flags[k]]))
}

/** Flags a verb's command has beyond the options an agent may set (a saved plan records them too). */
const VERB_FLAGS: Record<string, Record<string, unknown>> = {
  unstick: {...unstick.options, 'min-age': 1, 'exclude-self': 1, 'source-index': 1, 'terminate-timeout': 1, 'sync-timeout': 1},
  'ignore-status': {...ignoreStatus.options, group: 1, kind: 1, name: 1, 'resource-namespace': 1, 'json-pointer': 1, jq: 1, 'managed-fields-manager': 1, 'allow-missing': 1},
}
