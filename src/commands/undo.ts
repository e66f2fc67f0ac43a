import {Args, Flags} from '../lib/oclif.js'
import {changeFlags, connectionFlags, DoctorCommand, type CommandResult} from '../base-command.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {runRecipe} from '../lib/pipeline/index.js'
import {VERBS} from '../lib/verbs.js'
import {renderTable} from '../lib/render/table.js'

export default class Undo extends DoctorCommand {
  static summary = 'Revert the last change argo-doctor made to an app, and only that change.'
  static description = `Every change argo-doctor writes is backed up first, with a record of the JSON patch it applied. undo computes the inverse of that patch for the paths it touched and applies it as a guarded JSON patch (each path must still hold what argo-doctor wrote), with the same preview, confirmation, backup and verification as every other change.
It refuses (exit 14), showing the paths, when someone changed one of those paths since: it never reverts anyone else's change, and it never restores the whole object. Controller-owned state is left alone: status (e.g. the operationState unstick cleared), the operation, and refresh requests.
Without --backup it picks the app's newest applied change that is not already reverted (earlier undos are skipped). A change an undo already reverted is never undone again; --list shows them all and which are undone.`
  static examples = [
    '<%= config.bin %> undo my-app --list',
    '<%= config.bin %> undo my-app --dry-run',
    '<%= config.bin %> undo my-app --yes',
    '<%= config.bin %> undo my-app --backup ~/.local/state/argo-doctor/backups/argocd_my-app_2026-01-02T001200.000Z_rv1234.json',
    '<%= config.bin %> undo -f my-app.yaml --backup argocd_my-app_2026-01-02T001200.000Z_rv1234.change.json',
  ]

  static args = {app: Args.string({description: 'Application name (optional with -f for a one-app file).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    ...changeFlags,
    list: Flags.boolean({description: "List the app's backups (newest last) and change nothing."}),
    backup: Flags.string({description: 'Undo this backup (the .json or .change.json file) instead of the newest one; required with -f.', helpValue: '<file>'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(Undo)
    this.setupIo(flags)
    const backups = await import('../lib/backup.js')
    if (flags.list) {
      if (!args.app && !flags.filename) throw new DoctorError('USAGE', 'Name the Application: APP argument missing.', `Example: ${this.binName} undo my-app -n argocd --list`)
      const ref = args.app ? {name: args.app, namespace: flags.namespace} : await this.resolveRef((await this.fileOrCluster(flags)).source, undefined, flags)
      const entries = await backups.listBackups(ref)
      const undone = backups.undoneBy(entries)
      const rows = entries.map((e) => [e.record.time, e.record.recipe, e.record.state, `${e.record.resourceVersion.before ?? '?'} → ${e.record.resourceVersion.after ?? '?'}`,
        undone.has(e.id) ? `by undo of ${undone.get(e.id)!.record.time}` : '', e.objectFile])
      if (entries.length === 0) this.io.out(`No backups of ${ref.namespace}/${ref.name} in ${backups.backupDir()}.`)
      else this.io.out(renderTable(['TIME', 'RECIPE', 'STATE', 'RESOURCEVERSION', 'UNDONE', 'BACKUP'], rows))
      const json = entries.map((e) => ({time: e.record.time, recipe: e.record.recipe, action: e.record.action, state: e.record.state, summary: e.record.summary, resourceVersion: e.record.resourceVersion,
        backup: e.objectFile, record: e.file, id: e.id, undoes: e.record.undoes, undoneBy: undone.get(e.id)?.id}))
      return {json: {command: 'undo', app: ref, backups: json}, exitCode: ExitCode.OK}
    }

    if (flags.filename && !flags.backup) throw new DoctorError('USAGE', 'With -f, name the backup to undo: --backup FILE.', `List them with: ${this.binName} undo APP -n NS --list`)
    const {source} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)

    const {step, firstRead, undoes, notice} = await VERBS.undo.prepare(env, ref, flags)
    if (notice) this.io.info(notice)
    const result = await runRecipe(env, ref, step.build, {firstRead})
    return {json: {command: 'undo', app: ref, ...(undoes ? {undoes} : {}), status: result.status, exitCode: result.exitCode, steps: undoes ? [result] : []}, exitCode: result.exitCode ?? ExitCode.OK}
  }
}
