import {Args} from '../lib/oclif.js'
import {batchFlags, changeFlags, connectionFlags, DoctorCommand, type CommandResult} from '../base-command.js'
import type {Application} from '../lib/app.js'
import {buildHardRefreshPlan} from '../lib/recipes/hard-refresh.js'

export default class HardRefresh extends DoctorCommand {
  static summary = 'Force the controller to regenerate manifests and wait until it has.'
  static description = 'Sets argocd.argoproj.io/refresh=hard (and refresh-timestamp), then watches until the application-controller removes the annotation: the same completion signal `argocd app get --hard-refresh` waits for. Works on one app, several, a label selector or every app in the namespace.\nMany apps: each is planned from the one LIST and shown on one line; one server dry run of the patch (the same for every app, with its own resourceVersion guard) replaces a dry run and a diff per app; one confirmation, one backup file, --concurrency writes at a time, and one watch on the namespace for the controller.'
  static examples = [
    '<%= config.bin %> hard-refresh my-app',
    '<%= config.bin %> hard-refresh app-a app-b --yes',
    '<%= config.bin %> hard-refresh -l team=payments --yes --timeout 5m',
    '<%= config.bin %> hard-refresh --all -n argocd --yes --no-wait',
  ]

  static strict = false
  static args = {app: Args.string({description: 'Application name(s).', ignoreStdin: true})}
  static flags = {
    ...connectionFlags,
    ...changeFlags,
    ...batchFlags,
  }

  protected async execute(): Promise<CommandResult> {
    const {argv, flags} = await this.parse(HardRefresh)
    this.setupIo(flags)
    const {source} = await this.fileOrCluster(flags)
    const env = this.pipelineEnv(source, flags)
    return this.runOnTargets('hard-refresh', source, env, argv as string[], {build: (app: Application) => buildHardRefreshPlan(app, env.now())}, flags, 'Hard-refresh')
  }
}
