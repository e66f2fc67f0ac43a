import {Args} from '../lib/oclif.js'
import {changeFlags, connectionFlags, DoctorCommand, durationFlag, type CommandResult} from '../base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {runRecipe} from '../lib/pipeline/index.js'
import {VERBS} from '../lib/verbs.js'

export default class ApprovePrune extends DoctorCommand {
  static summary = 'Approve the prune (Prune=confirm) or deletion (Delete=confirm) a sync or app deletion waits for.'
  static description = `A sync that must prune a resource under Prune=confirm (resource annotation argocd.argoproj.io/sync-options, or the app-level sync option) stays Running with "waiting for pruning confirmation of …"; a cascading app deletion waits silently for resources marked Delete=confirm. Both continue once the Application's argocd.argoproj.io/deletion-approved annotation holds a time at or after the operation's start (or the deletion), which is what \`argocd app confirm-deletion\` writes.
Lists what will be deleted (status.resources requiresPruning / requiresDeletionConfirmation, each read live with its age), sets the annotation to the current time in a guarded JSON patch, and waits until Argo CD has deleted them. Nothing to do (exit 13) when nothing waits for confirmation.`
  static examples = [
    '<%= config.bin %> approve-prune legacy-crons --dry-run',
    '<%= config.bin %> approve-prune legacy-crons -n argocd --yes',
    '<%= config.bin %> approve-prune legacy-crons --yes --json --timeout 5m',
    '<%= config.bin %> approve-prune -f legacy-crons.yaml',
  ]

  static args = {app: Args.string({description: 'Application name (optional with -f for a one-app file).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    ...changeFlags,
    timeout: durationFlag({description: 'How long to wait for Argo CD to delete the approved resources.', default: 180, helpGroup: 'SAFETY'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(ApprovePrune)
    this.setupIo(flags)
    const {source} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)
    const {step, firstRead, live} = await VERBS['approve-prune'].prepare(env, ref, flags)
    const result = await runRecipe(env, ref, step.build, {firstRead})
    return {json: {command: 'approve-prune', app: ref, status: result.status, exitCode: result.exitCode, live, steps: [result]}, exitCode: result.exitCode ?? ExitCode.OK}
  }
}
