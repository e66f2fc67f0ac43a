import {Args} from '../lib/oclif.js'
import {batchFlags, changeFlags, connectionFlags, DoctorCommand, type CommandResult} from '../base-command.js'
import {VERBS} from '../lib/verbs.js'

export default class ResumeSync extends DoctorCommand {
  static summary = 'Put back the auto-sync (or self-heal) setting that pause-sync or rollback turned off, exactly as it was.'
  static description = `Reads the pause record on the app (annotation argo-doctor/sync-paused, written by pause-sync and rollback in the same write as the change) and restores spec.syncPolicy.automated to the recorded value, removing the record, in one guarded JSON patch. Refuses when the setting changed since the pause (someone else turned it on or edited it). With auto-sync back on, Argo CD deploys what Git holds now.
Works on one app, several, a label selector or every app in the namespace.`
  static examples = [
    '<%= config.bin %> resume-sync shop-api',
    '<%= config.bin %> resume-sync -l team=payments --yes',
  ]

  static strict = false
  static args = {app: Args.string({description: 'Application name(s).', ignoreStdin: true})}
  static flags = {
    ...connectionFlags,
    ...changeFlags,
    ...batchFlags,
  }

  protected async execute(): Promise<CommandResult> {
    const {argv, flags} = await this.parse(ResumeSync)
    this.setupIo(flags)
    const {source} = await this.fileOrCluster(flags)
    const env = this.pipelineEnv(source, flags)
    const {step} = await VERBS['resume-sync'].prepare(env, {name: '', namespace: flags.namespace}, flags)
    return this.runOnTargets('resume-sync', source, env, argv as string[], step, flags, 'Resume auto-sync of')
  }
}
