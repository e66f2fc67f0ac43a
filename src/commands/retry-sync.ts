import {Args, Flags} from '../lib/oclif.js'
import {changeFlags, connectionFlags, DoctorCommand, durationFlag, type CommandResult} from '../base-command.js'
import {runRecipe} from '../lib/pipeline/index.js'
import {VERBS} from '../lib/verbs.js'

export default class RetrySync extends DoctorCommand {
  static summary = 'Re-run the last failed sync — only the failed resources, or all of them — with the sync options that fix the recorded failure (Replace, ServerSideApply, SkipDryRunOnMissingResource).'
  static description = `Reads the failed resources and their messages from status.operationState and picks the options that fix them: Replace=true for "field is immutable" (--force also deletes and re-creates), ServerSideApply=true for "metadata.annotations: Too long", SkipDryRunOnMissingResource=true for a kind whose CRD arrives in the same sync. Flags you give override the choice. The options are set on the operation only (operation.sync.syncOptions), next to the app's own syncOptions, never in the spec.
By default only the failed resources are synced (as argocd app sync --resource); a selective sync does not run hooks, so when the app has hooks it says so and --all-resources syncs everything. --prune only when asked. Follows the sync to its end and reports health.`
  static examples = [
    '<%= config.bin %> retry-sync shop-api --dry-run',
    '<%= config.bin %> retry-sync shop-api --yes',
    '<%= config.bin %> retry-sync db-migrate --replace --force --yes',
    '<%= config.bin %> retry-sync platform --all-resources --server-side',
  ]

  static args = {app: Args.string({description: 'Application name (optional with -f for a one-app file).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    ...changeFlags,
    timeout: durationFlag({description: 'How long to follow the sync and wait for a settled health.', default: 600, helpGroup: 'SAFETY'}),
    'all-resources': Flags.boolean({description: 'Sync every resource (hooks run), not only the ones that failed.'}),
    replace: Flags.boolean({description: 'Sync option Replace=true (kubectl create/replace instead of apply).'}),
    force: Flags.boolean({description: 'Force: delete and re-create what cannot be replaced (implies --replace).'}),
    'server-side': Flags.boolean({description: 'Sync option ServerSideApply=true.'}),
    'skip-dry-run': Flags.boolean({description: 'Sync option SkipDryRunOnMissingResource=true.'}),
    prune: Flags.boolean({description: 'Delete resources that are no longer in Git. Off by default.'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(RetrySync)
    this.setupIo(flags)
    const {source} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)
    const {step, firstRead} = await VERBS['retry-sync'].prepare(env, ref, flags)
    const result = await runRecipe(env, ref, step.build, {firstRead})
    return {json: {command: 'retry-sync', app: ref, status: result.status, exitCode: result.exitCode, steps: [result]}, exitCode: result.exitCode}
  }
}
