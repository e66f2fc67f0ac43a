import {Args, Flags} from '../lib/oclif.js'
import {changeFlags, connectionFlags, DoctorCommand, durationFlag, type CommandResult} from '../base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {runRecipe} from '../lib/pipeline/index.js'
import {VERBS} from '../lib/verbs.js'

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
    const {source} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)

    const {step, firstRead} = await VERBS['force-presync'].prepare(env, ref, flags)
    const result = await runRecipe(env, ref, step.build, {firstRead})
    return {json: {command: 'force-presync', app: ref, status: result.status, exitCode: result.exitCode, steps: [result]}, exitCode: result.exitCode ?? ExitCode.OK}
  }
}
