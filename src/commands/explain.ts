import {Args, Flags} from '../lib/oclif.js'
import {asOfFlag, connectionFlags, DoctorCommand, now, type CommandResult} from '../base-command.js'
import type {Application} from '../lib/app.js'
import type {CommandStyle} from '../lib/diagnose/types.js'
import type {AppSource} from '../lib/source.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {
  emitFindingEvents, explainContexts, explainFleet, explainSingle, FLEET_PAGE_SIZE, fleetExitCode, fleetJson, renderFleet, renderSingle, singleExitCode, singleJson, type FleetReport,
} from '../lib/explain.js'

export default class Explain extends DoctorCommand {
  static summary = 'Diagnose an Application: what is wrong, the evidence, and the exact command that fixes it.'
  static description = `Matches the Application (and, for a single app, the few objects it names: hook Jobs, its AppProject, HPAs, whether argocd-secret exists, the application-controller pods) against known incident signatures. Every finding has a stable id, a severity, the evidence quoted from the object, and the fix: the exact argo-doctor command, or the manual steps when the fix is outside the cluster.
Related objects that RBAC forbids are skipped with a note. Secret data is never read into the output.
--all, -A and -l list the apps with one unpaginated LIST (paged when the server will not give it whole) and diagnose each from the Application alone, as it arrives.
Exit codes: 0 no findings (or informational ones only), 20 findings of warning or critical severity (0 with --exit-zero); the usual codes otherwise (2 bad input, 3 not found, 5 forbidden, …).`

  static examples = [
    '<%= config.bin %> explain wealist-apps-prod -n argocd',
    '<%= config.bin %> explain --all',
    '<%= config.bin %> explain -A -l team=payments --json',
    '<%= config.bin %> explain -f app.yaml',
    'kubectl get applications -n argocd -o yaml | <%= config.bin %> explain -f -',
  ]

  // ignoreStdin: otherwise oclif reads a missing APP from standard input, which -f - needs.
  static args = {app: Args.string({description: 'Application name (optional with -f).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    all: Flags.boolean({description: 'Explain every application in the namespace (-n).'}),
    'all-namespaces': Flags.boolean({char: 'A', description: 'Explain every application in every namespace.'}),
    selector: Flags.string({char: 'l', description: 'Only applications matching this label selector (implies --all).'}),
    filename: Flags.string({char: 'f', description: 'Work offline on YAML/JSON saved with `kubectl get app -o yaml`: one object, a List or several documents ("-" reads stdin). Ages are judged as of the newest timestamp in the file (see --as-of), not the file\'s modification time.'}),
    'as-of': asOfFlag(),
    related: Flags.boolean({description: 'Single app: also read the few related objects that sharpen the diagnosis (--no-related: only the Application).', default: true, allowNo: true}),
    context: Flags.string({description: 'Kubeconfig context to use; repeat it to explain several clusters at once (one LIST each, in parallel, with a CONTEXT column).', multiple: true, helpGroup: 'CONNECTION'}),
    'emit-events': Flags.boolean({description: 'Post each finding as a Warning (or Normal, for info) Event on its Application, de-duplicated: one Event per finding an hour, created only, never updated (for scheduled scans: the Argo CD UI shows them).'}),
    'all-contexts': Flags.boolean({description: 'Explain every context of the kubeconfig (with --all or -A; a context that fails does not fail the others).', helpGroup: 'CONNECTION'}),
    details: Flags.boolean({description: 'Many apps: print each app\'s findings after the table (--no-details: the table only).', default: true, allowNo: true}),
    'exit-zero': Flags.boolean({description: 'Exit 0 when the only problem is findings (instead of 20), e.g. a CronJob whose findings go to Events; errors keep their exit codes.'}),
  }

  protected announceConnection = false
  /** --exit-zero: findings (20) become 0; errors and a failed context keep their codes. */
  private exitZero = false

  protected async execute(): Promise<CommandResult> {
    const result = await this.explain()
    return this.exitZero && result.exitCode === ExitCode.FINDINGS ? {...result, exitCode: ExitCode.OK} : result
  }

  private async explain(): Promise<CommandResult> {
    const {args, flags: parsed} = await this.parse(Explain)
    this.exitZero = parsed['exit-zero']
    const contexts = parsed.context ?? []
    const flags = {...parsed, context: contexts[0]}
    const io = this.setupIo(flags)
    const style: CommandStyle = {bin: this.binName, kubeconfig: flags.kubeconfig, context: flags.context}
    const fleetMode = flags.all || flags['all-namespaces'] || flags.selector !== undefined
    if (flags['emit-events'] && flags.filename) throw new DoctorError('USAGE', '--emit-events posts to the cluster; it does not apply to -f files.')
    if (flags['emit-events'] && (contexts.length > 1 || flags['all-contexts'])) throw new DoctorError('USAGE', '--emit-events works on one context at a time (run one scan per context).')
    if (contexts.length > 1 || flags['all-contexts']) {
      if (args.app || flags.filename || !fleetMode) throw new DoctorError('USAGE', 'Several contexts explain fleets: use them with --all, -A or -l (not with APP or -f).', `Example: ${this.binName} explain -A --all-contexts`)
      const {kubeContexts} = await import('../lib/cluster/kube.js')
      const names = flags['all-contexts'] ? kubeContexts(flags.kubeconfig) : contexts
      const namespace = flags['all-namespaces'] ? undefined : flags.namespace
      const list = async (context: string) => (await this.connectSource({...flags, context})).stream({namespace, labelSelector: flags.selector, pageSize: FLEET_PAGE_SIZE})
      return this.printFleet(await explainContexts(names, list, now(), style), flags.details)
    }

    if (fleetMode && args.app) throw new DoctorError('USAGE', 'Name one application, or use --all/-A/-l, not both.', `Example: ${this.binName} explain --all -n ${flags.namespace}`)

    if (flags.filename && flags.selector) throw new DoctorError('USAGE', '-l/--selector needs a cluster; with -f every app in the file is explained.')
    if (!flags.filename && !fleetMode && !args.app) {
      throw new DoctorError('USAGE', 'Name the Application, or use --all (this namespace), -A (all namespaces) or -l SELECTOR.', `Example: ${this.binName} explain my-app -n ${flags.namespace}`)
    }

    const {source, clock} = await this.fileOrCluster(flags)
    const notes: string[] = this.connectionNote ? [this.connectionNote] : []
    const at = clock?.now ?? now()
    if (clock) {
      const {offlineNote} = await import('../lib/capture-time.js')
      notes.push(offlineNote(flags.filename!, clock))
    }

    const namespace = flags['all-namespaces'] ? undefined : flags.namespace
    const apps = flags.filename && !fleetMode && !args.app ? await firstPage(source.list({namespace})) : undefined
    if (fleetMode || (apps && apps.length > 1)) {
      const each = apps ?? source.stream({namespace, labelSelector: flags.selector, pageSize: FLEET_PAGE_SIZE})
      return this.fleet(each, {byKey: !apps && source.kind !== 'file', nowIsLowerBound: clock?.lowerBound}, at, style, notes, flags.details, flags['emit-events'] ? source : undefined)
    }

    const app = apps?.[0] ?? await source.read({name: args.app!, namespace: flags.namespace})
    if (!flags.related) notes.push('--no-related: only the Application was read.')
    const report = await explainSingle(app, at, style, {source: flags.related ? source : undefined, notes, nowIsLowerBound: clock?.lowerBound})
    if (flags['emit-events']) report.notes.push(await emitFindingEvents(source, [{...report.line, findings: report.findings}]))
    io.out(renderSingle(io, report))
    return {json: singleJson(report), exitCode: singleExitCode(report)}
  }

  private async fleet(apps: AsyncIterable<Application> | Iterable<Application>, order: {byKey: boolean; nowIsLowerBound?: boolean}, at: Date, style: CommandStyle, notes: string[], details: boolean, events?: AppSource): Promise<CommandResult> {
    const report = await explainFleet(apps, at, style, notes, order)
    if (events) report.notes.push(await emitFindingEvents(events, report.entries))
    return this.printFleet(report, details)
  }

  private printFleet(report: FleetReport, details: boolean): CommandResult {
    // --json/-o: the human report would be thrown away (io.out prints nothing), so it is not built.
    if (!this.io.json) this.io.out(renderFleet(this.io, report, {details}))
    return {json: fleetJson(report), exitCode: fleetExitCode(report)}
  }
}

async function firstPage(pages: AsyncIterable<Application[]>): Promise<Application[]> {
  for await (const page of pages) return page
  return []
}
