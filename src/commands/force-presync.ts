import {Args, Flags} from '@oclif/core'
import {changeFlags, connectionFlags, DoctorCommand, durationFlag, type CommandResult} from '../base-command.js'
import type {Application} from '../lib/app.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {runRecipe} from '../lib/pipeline.js'
import {buildForcePresyncPlan} from '../lib/recipes/force-presync.js'
import {isAppProject, type KubeObject} from '../lib/related-file.js'
import {renderTable} from '../lib/render/table.js'
import type {AppSource} from '../lib/source.js'
import type {SyncWindow} from '../lib/sync-windows.js'
import {ourCommand} from '../lib/invocation.js'
import {sh} from '../lib/shell.js'

export default class ForcePresync extends DoctorCommand {
  static summary = 'Start a full sync with hooks (PreSync → Sync → PostSync), as `argocd app sync` would, and follow it.'
  static description = `For hooks that never ran because the app was already Synced (auto-sync only syncs OutOfSync apps). Writes the operation the Argo CD API server would: hook strategy, no resource selection (a selective sync skips hooks), syncOptions and retry copied from spec.syncPolicy, initiatedBy = you (via argo-doctor). A completed status.operationState is cleared in the same guarded JSON patch.
Refuses when an operation is already in progress (use unstick first). Warns when a sync window of the app's AppProject blocks the sync, and lists what --prune would delete. After the write it follows the operation, showing hooks as they run, until it finishes or --timeout.`
  static examples = [
    '<%= config.bin %> force-presync db-init-prod --dry-run',
    '<%= config.bin %> force-presync db-init-prod -n argocd --reason "db-init Job never ran" --yes',
    '<%= config.bin %> force-presync my-app --prune --yes --timeout 15m',
    '<%= config.bin %> force-presync -f examples/db-init-prod-synced.yaml',
  ]

  static args = {app: Args.string({description: 'Application name (optional with -f for a one-app file).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    ...changeFlags,
    timeout: durationFlag({description: 'How long to follow the sync operation after applying.', default: 600, helpGroup: 'SAFETY'}),
    prune: Flags.boolean({description: 'Delete resources that are no longer in Git (the preview lists them). Off by default.'}),
    revision: Flags.string({description: "Sync to this Git revision instead of the app's targetRevision (single-source apps).", helpValue: '<rev>'}),
    reason: Flags.string({description: 'Why you are syncing; recorded in the operation (operation.info "Reason").', helpValue: '<text>'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(ForcePresync)
    this.setupIo(flags)
    const {source, related} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)

    const first = await source.read(ref)
    const {syncWindows, syncWindowsUnchecked} = await this.readSyncWindows(source, first, related)
    const user = source.cluster?.user || process.env.USER || process.env.USERNAME
    const build = (app: Application) => buildForcePresyncPlan(app, {
      now: env.now(),
      user: user ?? 'unknown',
      prune: flags.prune,
      revision: flags.revision,
      reason: flags.reason,
      syncWindows,
      syncWindowsUnchecked,
      conn: env.conn,
    })

    const result = await runRecipe(env, ref, build)
    const verify = result.verify
    if (verify && (verify.status === 'ok' || verify.status === 'failed' || verify.status === 'timeout')) {
      const hooks = verify.hooks ?? []
      this.io.out()
      if (hooks.length > 0) {
        this.io.out(renderTable(['HOOK', 'RESOURCE', 'PHASE', 'MESSAGE'], hooks.map((h) => [h.hookType ?? '', `${h.kind}/${h.name}`, h.hookPhase ?? '', h.message ?? ''])))
      } else if (verify.status !== 'timeout') {
        this.io.warn(`No hook ran in this sync: the manifests Argo CD rendered for ${ref.name} contain no resource annotated argocd.argoproj.io/hook. Check that the chart actually renders the hook (seed 002: a template condition left the db-init Job out in production).`)
      }

      if (verify.status === 'timeout') {
        this.io.out(`The sync is still ${verify.phase ?? 'pending'}; follow it with: ${ourCommand(['explain', ref.name, '-n', ref.namespace], env.conn)}, or cancel it with: ${ourCommand(['unstick', ref.name, '-n', ref.namespace], env.conn)}`)
      }
    }

    return {json: {command: 'force-presync', app: ref, status: result.status, exitCode: result.exitCode, steps: [result]}, exitCode: result.exitCode ?? ExitCode.OK}
  }

  /** The AppProject's sync windows: from the cluster, or from the -f file when it holds the project. */
  private async readSyncWindows(source: AppSource, app: Application, related: KubeObject[]): Promise<{syncWindows?: SyncWindow[]; syncWindowsUnchecked?: string}> {
    const project = app.spec.project || 'default'
    const projectNamespace = app.status?.controllerNamespace ?? app.metadata.namespace ?? 'argocd'
    if (!source.cluster) {
      const found = related.find((o) => isAppProject(o) && o.metadata?.name === project)
      if (found) return {syncWindows: (found.spec?.syncWindows ?? []) as SyncWindow[]}
      return {syncWindowsUnchecked: `offline, and the file holds no AppProject "${project}" (append it: ${sh('kubectl', 'get', 'appprojects.argoproj.io', project, '-n', projectNamespace, '-o', 'yaml')})`}
    }

    try {
      const found = await source.cluster.getProject(projectNamespace, project)
      return {syncWindows: (found.spec?.syncWindows ?? []) as SyncWindow[]}
    } catch (error) {
      if (!(error instanceof DoctorError) || error.code === 'UNREACHABLE') throw error
      return {syncWindowsUnchecked: `could not read AppProject "${project}" in namespace "${projectNamespace}" (${error.message})`}
    }
  }
}
