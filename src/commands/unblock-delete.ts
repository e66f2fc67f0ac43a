import {Args, Flags} from '../lib/oclif.js'
import {changeFlags, connectionFlags, DoctorCommand, durationFlag, type CommandResult} from '../base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {runRecipe} from '../lib/pipeline/index.js'
import {VERBS} from '../lib/verbs.js'

export default class UnblockDelete extends DoctorCommand {
  static summary = 'Finish a stuck Application deletion: remove exactly the Argo CD finalizer(s) that cannot complete.'
  static description = `For an Application with a deletionTimestamp that never goes away. Finds which finalizer blocks and why: resources-finalizer.argocd.argoproj.io (/foreground, /background) whose destination cluster is gone or unreachable (DeletionError), pre-/post-delete-finalizer.argocd.argoproj.io whose hooks cannot run, a managed hook resource that kept argocd.argoproj.io/hook-finalizer (argo-cd #29464: the exact kubectl command is printed), a child Application that is itself stuck, a requested operation (unstick first) or Delete=confirm resources (approve-prune).
Shows what each removal leaves behind (the app's managed resources, read live), then removes only the blocking finalizers with a guarded JSON patch (test on each finalizer's index and value, and on resourceVersion) and waits until the Application is gone. Never touches an app that is not being deleted (exit 14); refuses without --force when nothing shows the deletion cannot finish (the controller is alive and reports no error: wait, or fix the error in status.conditions).`
  static examples = [
    '<%= config.bin %> unblock-delete old-cluster-app --dry-run',
    '<%= config.bin %> unblock-delete old-cluster-app -n argocd --yes',
    '<%= config.bin %> unblock-delete my-app --force --dry-run',
    '<%= config.bin %> unblock-delete -f stuck-deleting.yaml --json',
  ]

  static args = {app: Args.string({description: 'Application name (optional with -f for a one-app file).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    ...changeFlags,
    timeout: durationFlag({description: 'How long to wait for the Application to be gone.', default: 60, helpGroup: 'SAFETY'}),
    force: Flags.boolean({description: 'Remove Argo CD\'s finalizers even when nothing shows the deletion cannot finish (its resources stay running, unmanaged).', helpGroup: 'SAFETY'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(UnblockDelete)
    this.setupIo(flags)
    const {source} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)
    const {step, firstRead, live} = await VERBS['unblock-delete'].prepare(env, ref, flags)
    const result = await runRecipe(env, ref, step.build, {firstRead})
    return {json: {command: 'unblock-delete', app: ref, status: result.status, exitCode: result.exitCode, live, steps: [result]}, exitCode: result.exitCode ?? ExitCode.OK}
  }
}
