import {spawn} from 'node:child_process'
import {Flags} from '../lib/oclif.js'
import {asOfFlag, connectionFlags, DoctorCommand, now, type CommandResult} from '../base-command.js'
import type {AppRef} from '../lib/app.js'
import type {CommandStyle} from '../lib/diagnose/types.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {explainFleet, explainSingle, FLEET_PAGE_SIZE, fleetExitCode, fleetJson} from '../lib/explain.js'
import {describeRunbook, runInteractive, type Choice} from '../lib/runbook.js'
import {chooseOne} from '../lib/render/prompt.js'

export default class Runbook extends DoctorCommand {
  static summary = 'Interactive: list apps with problems, explain one, run a fix, explain again. What `argo-doctor` with no arguments runs.'
  static description = `Lists the applications with findings (one LIST), lets you pick one, shows its explanation and offers the fixes that are argo-doctor commands. A chosen fix runs as that command (\`unstick\`, \`hard-refresh\`, \`force-presync\`, \`ignore-status\`, \`approve-prune\`, \`unblock-delete\`, \`rollback\`, \`retry-sync\`, \`resume-sync\`), so it previews the change and asks before applying, then the app is explained again.
Without a terminal (or with --json) it only prints the table and the fix commands it would offer, changes nothing, and exits like explain (0 healthy, 20 findings).`

  static examples = [
    '<%= config.bin %>',
    '<%= config.bin %> runbook -n argocd',
    '<%= config.bin %> runbook -A -l team=payments',
    '<%= config.bin %> runbook -f examples/wealist-prod.yaml',
  ]

  static flags = {
    ...connectionFlags,
    'all-namespaces': Flags.boolean({char: 'A', description: 'Every namespace, not just -n.'}),
    selector: Flags.string({char: 'l', description: 'Only applications matching this label selector.'}),
    filename: Flags.string({char: 'f', description: 'Work offline on a file saved with `kubectl get app -o yaml`; fixes then only preview (-f is passed on to them). Ages are judged as of the newest timestamp in the file (see --as-of).'}),
    'as-of': asOfFlag(),
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Runbook)
    const io = this.setupIo(flags)
    const style: CommandStyle = {bin: this.binName, kubeconfig: flags.kubeconfig, context: flags.context}

    if (flags.filename && flags.selector) throw new DoctorError('USAGE', '-l/--selector needs a cluster; with -f every app in the file is considered.')
    const {source, clock} = await this.fileOrCluster(flags)
    // A saved file is judged as of when it was saved; the cluster as of now.
    const {offlineNote} = await import('../lib/capture-time.js')
    const notes = clock ? [offlineNote(flags.filename!, clock)] : []
    const namespace = flags['all-namespaces'] ? undefined : flags.namespace
    const listFleet = () => explainFleet(source.stream({namespace, labelSelector: flags.selector, pageSize: FLEET_PAGE_SIZE}), clock?.now ?? now(), style, [...notes], {byKey: source.kind !== 'file', nowIsLowerBound: clock?.lowerBound})
    const explainOne = async (ref: AppRef) => explainSingle(await source.read(ref), clock?.now ?? now(), style, {source, nowIsLowerBound: clock?.lowerBound})
    const fixArgs = flags.filename ? ['-f', flags.filename, ...(flags['as-of'] ? ['--as-of', flags['as-of']] : [])] : []

    if (!io.interactive || io.json) {
      const report = await listFleet()
      io.out(describeRunbook(io, report, style))
      return {json: fleetJson(report), exitCode: fleetExitCode(report)}
    }

    const exitCode = await runInteractive({
      io,
      style,
      listFleet,
      explainOne,
      fixArgs,
      choose: <T>(message: string, choices: Array<Choice<T>>) => chooseOne(io, message, choices),
      // The fix runs as its own command of this same binary, in the foreground with this terminal.
      runFix: (argv) => new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [process.argv[1], ...argv], {stdio: 'inherit'})
        child.on('error', () => resolve(ExitCode.ERROR))
        child.on('exit', (code, signal) => resolve(code ?? (signal ? ExitCode.INTERRUPTED : ExitCode.ERROR)))
      }),
    })
    return {json: {}, exitCode}
  }
}
