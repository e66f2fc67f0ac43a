import {Args, Flags} from '../lib/oclif.js'
import {changeFlags, connectionFlags, DoctorCommand, durationFlag, type CommandResult} from '../base-command.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {runRecipe} from '../lib/pipeline/index.js'
import {defaultEntry, HISTORY_HEADER, historyOf, historyRows, isCurrent} from '../lib/recipes/rollback.js'
import {chooseOne} from '../lib/render/prompt.js'
import {renderTable} from '../lib/render/table.js'
import {VERBS} from '../lib/verbs.js'

export default class Rollback extends DoctorCommand {
  static summary = 'Roll an app back to an earlier deployment from its history, as `argocd app rollback` would, turning auto-sync off in the same guarded write (undo turns it back on).'
  static description = `Shows status.history (ID, revision(s), source(s), when, by whom). In a terminal you pick the entry (the newest one before the current deployment is offered first); scripts name it with --to ID. Multi-source apps roll back every source of the entry.
One guarded JSON patch removes spec.syncPolicy.automated (Argo CD refuses a rollback while auto-sync is on; the backup records exactly what it was) and writes the operation the Argo CD API server writes for a rollback: the entry's revision(s) and source(s), the apply strategy (no hooks), syncOptions from the spec. Then it follows the sync to its end and reports the app's health.
Auto-sync stays off until \`undo\` restores it exactly, or until Git is fixed and you re-enable it. Refuses when there is no history, when the entry is the revision deployed now, when an operation is in progress (use unstick), and when a multi-source app's sources no longer match the entry's.`
  static examples = [
    '<%= config.bin %> rollback guestbook -n argocd',
    '<%= config.bin %> rollback guestbook --to 3 --dry-run',
    '<%= config.bin %> rollback guestbook --to 3 --yes --reason "v2.1 crashes on start"',
    '<%= config.bin %> undo guestbook   # turn auto-sync back on',
  ]

  static args = {app: Args.string({description: 'Application name (optional with -f for a one-app file).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    ...changeFlags,
    to: Flags.integer({description: 'The status.history ID to roll back to (default: the newest entry before the current deployment; asked in a terminal).', helpValue: '<ID>', min: 0}),
    timeout: durationFlag({description: 'How long to follow the rollback sync and wait for a settled health.', default: 600, helpGroup: 'SAFETY'}),
    prune: Flags.boolean({description: 'Delete resources that are not in the manifests of that revision. Off by default.'}),
    reason: Flags.string({description: 'Why you are rolling back; recorded in the operation (operation.info "Reason").', helpValue: '<text>'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(Rollback)
    this.setupIo(flags)
    const {source} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)
    // The options object is read when the plan is built: the entry picked below goes into it.
    const options: Record<string, unknown> = {...flags}
    const {step, firstRead} = await VERBS.rollback.prepare(env, ref, options)
    const first = firstRead!
    const rows = historyRows(first)
    if (rows.length > 0) {
      this.io.out(`Deployment history of ${ref.namespace}/${first.metadata.name} (status.history):`)
      this.io.out(renderTable(HISTORY_HEADER, rows))
      this.io.out()
    }

    let to = flags.to
    if (to === undefined && this.io.interactive && !flags.yes && !flags['dry-run'] && !this.io.json && rows.length > 0) {
      const offer = defaultEntry(first)
      const choices = historyOf(first).filter((h) => !isCurrent(first, h)).reverse()
        .map((h) => ({name: rows.find((r) => r[0] === String(h.id))!.slice(0, 5).join('  '), value: h.id}))
      if (choices.length > 0) to = await chooseOne(this.io, 'Roll back to which deployment?', choices, offer?.id)
    }

    if (flags.to !== undefined && rows.length > 0 && !historyOf(first).some((h) => h.id === flags.to)) {
      throw new DoctorError('USAGE', `--to ${flags.to}: ${first.metadata.name} has no deployment with that history ID (IDs: ${historyOf(first).map((h) => h.id).join(', ')}).`, 'Pick one of the IDs in the table above.')
    }

    options.to = to
    const result = await runRecipe(env, ref, step.build, {firstRead: first})
    const history = historyOf(first)
    return {json: {command: 'rollback', app: ref, status: result.status, exitCode: result.exitCode, history, steps: [result]}, exitCode: result.exitCode ?? ExitCode.OK}
  }
}
