import {Args, Flags} from '../lib/oclif.js'
import {batchFlags, changeFlags, connectionFlags, DoctorCommand, type CommandResult} from '../base-command.js'
import {VERBS} from '../lib/verbs.js'

export default class PauseSync extends DoctorCommand {
  static summary = 'Stop Argo CD from fighting the person fixing an incident: turn auto-sync (or only self-heal) off, recorded so resume-sync puts back exactly what was there.'
  static description = `Removes spec.syncPolicy.automated (or, with --self-heal-only, sets its selfHeal to false) in one guarded JSON patch that also records the pause on the app: annotation argo-doctor/sync-paused with who, when, why and the setting before. explain shows paused apps; resume-sync restores the setting exactly (refusing if someone changed it since); undo works too.
Works on one app, several, a label selector or every app in the namespace.`
  static examples = [
    '<%= config.bin %> pause-sync shop-api --reason "hotfix by hand, INC-4711"',
    '<%= config.bin %> pause-sync shop-api --self-heal-only --yes',
    '<%= config.bin %> pause-sync -l team=payments --yes',
    '<%= config.bin %> resume-sync shop-api',
  ]

  static strict = false
  static args = {app: Args.string({description: 'Application name(s).', ignoreStdin: true})}
  static flags = {
    ...connectionFlags,
    ...changeFlags,
    ...batchFlags,
    'self-heal-only': Flags.boolean({description: 'Only turn self-heal off (live changes are no longer reverted); auto-sync keeps deploying new commits.'}),
    reason: Flags.string({description: 'Why; recorded with the pause and shown by explain.', helpValue: '<text>'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {argv, flags} = await this.parse(PauseSync)
    this.setupIo(flags)
    const {source} = await this.fileOrCluster(flags)
    const env = this.pipelineEnv(source, flags)
    const {step} = await VERBS['pause-sync'].prepare(env, {name: '', namespace: flags.namespace}, flags)
    return this.runOnTargets('pause-sync', source, env, argv as string[], step, flags, 'Pause auto-sync of')
  }
}
