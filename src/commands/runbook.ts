import {spawn} from 'node:child_process'
import {Flags} from '@oclif/core'
import {connectionFlags, DoctorCommand, now, type CommandResult} from '../base-command.js'
import type {AppRef, Application} from '../lib/app.js'
import type {CommandStyle} from '../lib/diagnose/types.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {explainFleet, explainSingle, FLEET_PAGE_SIZE, fleetExitCode, fleetJson, snapshotTime} from '../lib/explain.js'
import {describeRunbook, runInteractive, type Choice} from '../lib/runbook.js'
import {oneLine} from '../lib/render/safe.js'

export default class Runbook extends DoctorCommand {
  static summary = 'Interactive: list apps with problems, explain one, run a fix, explain again. What `argo-doctor` with no arguments runs.'
  static description = `Lists the applications with findings (one LIST), lets you pick one, shows its explanation and offers the fixes that are argo-doctor commands. A chosen fix runs as that command (\`unstick\`, \`hard-refresh\`, \`force-presync\`, \`ignore-status\`), so it previews the change and asks before applying, then the app is explained again.
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
    filename: Flags.string({char: 'f', description: 'Work offline on a file saved with `kubectl get app -o yaml`; fixes then only preview (-f is passed on to them).'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Runbook)
    const io = this.setupIo(flags)
    const style: CommandStyle = {bin: this.binName, kubeconfig: flags.kubeconfig, context: flags.context}

    let listFleet: () => ReturnType<typeof explainFleet>
    let explainOne: (ref: AppRef) => ReturnType<typeof explainSingle>
    let fixArgs: string[] = []
    if (flags.filename) {
      if (flags.selector) throw new DoctorError('USAGE', '-l/--selector needs a cluster; with -f every app in the file is considered.')
      const {pickFromFile, readObjectsFile} = await import('../lib/source.js')
      const {apps, related} = await readObjectsFile(flags.filename)
      const clock = await snapshotTime(flags.filename, now())
      listFleet = () => explainFleet([apps], clock.now, style)
      explainOne = async (ref) => explainSingle(pickFromFile(apps, ref.name, ref.namespace, flags.filename!), clock.now, style, {fileObjects: related})
      fixArgs = ['-f', flags.filename]
    } else {
      const cluster = (await this.connectSource(flags)).cluster!
      const namespace = flags['all-namespaces'] ? undefined : flags.namespace
      listFleet = () => explainFleet(cluster.listAllApps({namespace, labelSelector: flags.selector, pageSize: FLEET_PAGE_SIZE}), now(), style)
      explainOne = async (ref) => {
        const app: Application = await cluster.getApp(ref)
        const at = now()
        return explainSingle(app, at, style, {reader: cluster})
      }
    }

    if (!io.interactive || io.json) {
      const report = await listFleet()
      io.out(describeRunbook(io, report, style))
      return {json: fleetJson(report), exitCode: fleetExitCode(report)}
    }

    const {select} = await import('@inquirer/prompts')
    const exitCode = await runInteractive({
      io,
      style,
      listFleet,
      explainOne,
      fixArgs,
      async choose<T>(message: string, choices: Array<Choice<T>>): Promise<T> {
        try {
          // Choices quote app names and states from the cluster: one line each, escaped.
          const safe = choices.map((c) => ({...c, name: io.render(oneLine(c.name)), description: c.description === undefined ? undefined : io.render(oneLine(c.description))}))
          return await select<T>({message: io.render(oneLine(message)), choices: safe, pageSize: 15}, {output: io.stderr})
        } catch (error) {
          if ((error as Error).name === 'ExitPromptError') throw new DoctorError('INTERRUPTED', 'Interrupted at the prompt.')
          throw error
        }
      },
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
