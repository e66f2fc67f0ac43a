import {Command, Flags, type Interfaces} from './lib/oclif.js'
import type {AppRef, Application} from './lib/app.js'
import type {ConnectionFlags, Step} from './lib/plan.js'
import {describeApi, DoctorError, scrubSecrets} from './lib/errors.js'
import {ExitCode, exitCodeName} from './lib/exit-codes.js'
import {interrupted, interruptSummary, markInterrupted} from './lib/interrupt.js'
import {parseDuration} from './lib/duration.js'
import {validateAppName, validateNamespace, validateSelector} from './lib/names.js'
import {Io} from './lib/render/io.js'
import type {OfflineClock} from './lib/capture-time.js'
import {indentLines} from './lib/render/safe.js'
import type {AppSource, KubeObject} from './lib/source.js'
import type {PipelineEnv} from './lib/pipeline/index.js'

/** The clock ARGO_DOCTOR_NOW pins, if it does (reproducible demos and golden tests). */
export function pinnedNow(): Date | undefined {
  return process.env.ARGO_DOCTOR_NOW ? new Date(process.env.ARGO_DOCTOR_NOW) : undefined
}

/** The clock. */
export function now(): Date {
  return pinnedNow() ?? new Date()
}

/** -f only: the time the file's state is judged at (default: the newest timestamp in the file). */
export const asOfFlag = (extra: {helpGroup?: string} = {}) => Flags.string({
  description: 'With -f: judge ages as of this RFC 3339 time (default: the newest timestamp in the file, e.g. its latest status.reconciledAt).',
  helpValue: '<time>',
  ...extra,
})

export const durationFlag = Flags.custom<number>({
  async parse(input) {
    try {
      return parseDuration(input)
    } catch (error) {
      throw new DoctorError('USAGE', (error as Error).message)
    }
  },
  helpValue: '<duration>',
})

/** Flags every command has. The connection flags are kubectl's, with kubectl's meaning. */
export const connectionFlags = {
  kubeconfig: Flags.string({description: 'Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config).', helpGroup: 'CONNECTION'}),
  context: Flags.string({description: 'Kubeconfig context to use.', helpGroup: 'CONNECTION'}),
  cluster: Flags.string({description: 'Kubeconfig cluster to use (instead of the context\'s).', helpGroup: 'CONNECTION'}),
  user: Flags.string({description: 'Kubeconfig user to use (instead of the context\'s).', helpGroup: 'CONNECTION'}),
  server: Flags.string({char: 's', description: 'Address of the API server (overrides the kubeconfig\'s; works without one).', helpGroup: 'CONNECTION'}),
  token: Flags.string({description: 'Bearer token for the API server.', helpGroup: 'CONNECTION'}),
  'certificate-authority': Flags.string({description: 'Path to a CA certificate file for the API server.', helpGroup: 'CONNECTION'}),
  'insecure-skip-tls-verify': Flags.boolean({description: 'Do not check the API server\'s certificate (insecure).', helpGroup: 'CONNECTION'}),
  as: Flags.string({description: 'Impersonate this user (Impersonate-User).', helpGroup: 'CONNECTION'}),
  'argocd-server': Flags.string({description: 'Use the Argo CD API at this address (host:port) with your argocd login instead of the Kubernetes API (default with `argocd doctor` or $ARGOCD_SERVER).', helpGroup: 'CONNECTION'}),
  'as-group': Flags.string({description: 'Impersonate this group (repeatable; Impersonate-Group).', multiple: true, helpGroup: 'CONNECTION'}),
  namespace: Flags.string({char: 'n', description: 'Namespace of the Application.', env: 'ARGOCD_NAMESPACE', default: 'argocd', helpGroup: 'CONNECTION'}),
  'request-timeout': durationFlag({description: 'Give up on a single API request after this long.', default: 30, helpGroup: 'CONNECTION'}),
  json: Flags.boolean({description: 'Print one JSON document on stdout instead of text (same as -o json).', helpGroup: 'OUTPUT'}),
  output: Flags.string({char: 'o', description: 'Print one document on stdout instead of text: json or yaml.', options: ['json', 'yaml'], helpGroup: 'OUTPUT'}),
  color: Flags.boolean({description: 'Colour the output (--no-color or NO_COLOR turn it off).', default: true, allowNo: true, helpGroup: 'OUTPUT'}),
  debug: Flags.boolean({description: 'Show stack traces and API details on errors.', helpGroup: 'OUTPUT'}),
  verbosity: Flags.integer({char: 'v', description: 'kubectl\'s log level; 6 or more is --debug (-v is not --version).', helpGroup: 'OUTPUT'}),
}

/** The connection flags as printed commands repeat them (never the token). */
export function connectionSpelling(flags: Pick<Interfaces.InferredFlags<typeof connectionFlags>, 'kubeconfig' | 'context' | 'cluster' | 'user' | 'server' | 'as' | 'as-group'>): ConnectionFlags {
  return {kubeconfig: flags.kubeconfig, context: flags.context, cluster: flags.cluster, user: flags.user, server: flags.server, as: flags.as, asGroups: flags['as-group']}
}

/** -o json|yaml / --json in raw argv (for errors raised before or while flags are parsed). */
export function outputFormat(argv: string[]): 'json' | 'yaml' | undefined {
  let format: 'json' | 'yaml' | undefined
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--') break
    if (a === '--json') format = 'json'
    const value = a === '-o' || a === '--output' ? argv[i + 1] : /^(?:-o=?|--output=)(.+)$/.exec(a)?.[1]
    if (value === 'json' || value === 'yaml') format = value
  }

  return format
}

/** --debug, or kubectl's -v N with N ≥ 6. */
export function debugRequested(argv: string[]): boolean {
  return argv.some((a, i) => a === '--debug' || (/^(?:-v|--verbosity)$/.test(a) && Number(argv[i + 1]) >= 6) || Number(/^(?:-v=?|--verbosity=)(\d+)$/.exec(a)?.[1]) >= 6)
}

/** Flags every command that changes the cluster has. */
export const changeFlags = {
  'dry-run': Flags.boolean({description: 'Preview only: server-side dry run and diff, change nothing.', helpGroup: 'SAFETY'}),
  yes: Flags.boolean({char: 'y', description: 'Apply without asking (needed when there is no terminal).', helpGroup: 'SAFETY'}),
  timeout: durationFlag({description: 'How long to wait for the controller after applying.', default: 120, helpGroup: 'SAFETY'}),
  wait: Flags.boolean({description: 'Wait for the controller to act (--no-wait returns right after the write).', default: true, allowNo: true, helpGroup: 'SAFETY'}),
  filename: Flags.string({char: 'f', description: 'Work offline on an Application saved with `kubectl get app -o yaml` (implies --dry-run).', helpGroup: 'SAFETY'}),
  'as-of': asOfFlag({helpGroup: 'SAFETY'}),
  'save-plan': Flags.string({description: 'Preview only, and save the plan (guarded patch, diff, who, when) to this file (0600) for review; `apply FILE` then applies exactly it.', helpValue: '<file>', helpGroup: 'SAFETY'}),
  'plan-ttl': durationFlag({description: 'With --save-plan: how long the saved plan stays valid.', default: 3600, helpGroup: 'SAFETY'}),
}

/** Flags of commands that can act on many apps at once (one preview each, one confirmation). */
export const batchFlags = {
  selector: Flags.string({char: 'l', description: 'Every app matching this label selector (in -n).', helpGroup: 'SELECTION'}),
  all: Flags.boolean({description: 'Every app in the namespace (-n).', helpGroup: 'SELECTION'}),
  max: Flags.integer({description: 'Refuse (exit 14, nothing written) when more apps than this would be changed.', min: 1, helpGroup: 'SELECTION'}),
  concurrency: Flags.integer({description: 'Requests in flight at once when acting on many apps.', default: 16, min: 1, max: 64, helpGroup: 'SELECTION'}),
}

type Connection = Interfaces.InferredFlags<typeof connectionFlags>
type Change = Interfaces.InferredFlags<typeof changeFlags>

export interface CommandResult {
  json: unknown
  exitCode: number
}

/**
 * Shared plumbing: output, connecting, Ctrl-C and the one place errors become messages and
 * exit codes. Subclasses implement `execute` and return their JSON document and exit code.
 */
export abstract class DoctorCommand extends Command {
  protected io = new Io(false, true)
  protected abort = new AbortController()
  /** With -f: the time the file is judged at (see capture-time.ts). */
  protected fileClock?: OfflineClock
  /** How we connected, when it is not a kubeconfig (the pod's service account): one line. */
  protected connectionNote?: string
  /** Print connectionNote on stderr (explain puts it in its report's notes instead). */
  protected announceConnection = true
  protected abstract execute(): Promise<CommandResult>
  /** The arguments are Application names, checked as such before anything is read (apply's is a file). */
  protected argsAreAppNames = true

  /** Every command's arguments and -n go through the same name checks before anything is read. */
  protected async parse<F extends {[name: string]: any}, B extends {[name: string]: any}, A extends {[name: string]: any}>(options?: Interfaces.Input<F, B, A>, argv?: string[]): Promise<Interfaces.ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv)
    const flags = out.flags as Record<string, unknown>
    if (typeof flags.namespace === 'string' && out.metadata.flags.namespace?.setFromDefault) {
      // No -n and no $ARGOCD_NAMESPACE: in a pod with no kubeconfig, kubectl's in-cluster default ($POD_NAMESPACE, else the service account's).
      const {inClusterNamespace} = await import('./lib/cluster/in-cluster.js')
      const pod = inClusterNamespace({kubeconfig: flags.kubeconfig as string | undefined, server: flags.server as string | undefined})
      if (pod) flags.namespace = validateNamespace(pod.namespace, `namespace (from ${pod.from})`)
    }

    if (typeof flags.namespace === 'string') validateNamespace(flags.namespace)
    if (this.argsAreAppNames) for (const name of out.argv) if (typeof name === 'string') validateAppName(name)
    if (typeof flags.selector === 'string' && flags.selector.trim() !== '') validateSelector(flags.selector)
    return out
  }

  async run(): Promise<void> {
    const onSignal = (signal: NodeJS.Signals) => {
      markInterrupted(signal)
      this.abort.abort()
      // Give the pipeline a moment to report what was and was not applied, then leave.
      setTimeout(() => {
        process.stderr.write(`${interruptSummary(signal)}\n`)
        process.exit(signal === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.INTERRUPTED)
      }, 1500).unref()
    }

    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const result = this.argv.some((a) => /^--save-plan(=|$)/.test(a)) ? await this.savePlan() : await this.execute()
    if (this.io.json) await this.io.printJson(this.envelope(result.exitCode, {result: result.json}))
    process.exitCode = result.exitCode
  }

  /**
   * --save-plan FILE on a changing verb: the one-app preview (server dry run), kept as a plan file
   * that `apply FILE` applies exactly (lib/plans.ts). Nothing is written to the cluster.
   */
  private async savePlan(): Promise<CommandResult> {
    const parsed = await this.parse(this.ctor)
    const args = parsed.args as {app?: string}
    const flags = parsed.flags as Connection & Change & {selector?: string; all?: boolean; 'save-plan': string; 'plan-ttl': number}
    this.setupIo(flags)
    const {VERBS, verbOptions} = await import('./lib/verbs.js')
    const verb = VERBS[this.id ?? '']
    if (!verb) throw new DoctorError('USAGE', `--save-plan is not offered by ${this.id}.`)
    if (flags.selector || flags.all || flags.filename || parsed.argv.length > 1) throw new DoctorError('USAGE', '--save-plan saves the plan of one app on a cluster: name the app (not -l/--all/-f).', `Example: ${this.binName} ${this.id} my-app -n ${flags.namespace} --save-plan plan.json`)
    const {makePlan, writePlanFile} = await import('./lib/plans.js')
    const {source} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)
    const {plan, result} = await makePlan(env, {verb: verb.name, ref, options: verbOptions(verb, flags), ttlSeconds: flags['plan-ttl']})
    if (!plan) {
      this.io.info('No plan saved: there is nothing to change.')
      return {json: {command: this.id, app: ref, status: result.status, exitCode: result.exitCode, steps: [result]}, exitCode: result.exitCode}
    }

    await writePlanFile(flags['save-plan'], plan)
    const {ourCommand} = await import('./lib/invocation.js')
    this.io.out(`Plan ${plan.id} saved to ${flags['save-plan']} (valid until ${plan.expiresAt}). Review it, then apply exactly it with:`)
    this.io.out(`  ${ourCommand(['apply', flags['save-plan']], env.conn)}`)
    return {json: {command: this.id, app: ref, status: result.status, exitCode: result.exitCode, savedPlan: {file: flags['save-plan'], id: plan.id, expiresAt: plan.expiresAt}, steps: [result]}, exitCode: result.exitCode}
  }

  protected setupIo(flags: Pick<Connection, 'json' | 'color' | 'output'>): Io {
    const format = flags.output === 'yaml' ? 'yaml' : flags.json || flags.output === 'json' ? 'json' : undefined
    this.io = new Io(format !== undefined, flags.color)
    if (format) this.io.format = format
    return this.io
  }

  /** Human name of how we were invoked, for hints: "kubectl argo-doctor", "argocd doctor" or "argo-doctor". */
  protected get binName(): string {
    return this.config.bin
  }

  protected async connectSource(flags: Connection): Promise<AppSource> {
    // The Argo CD API backend: only looked at (and its modules only loaded) when it may apply.
    const kubeFlags = Boolean(flags.kubeconfig || flags.context || flags.cluster || flags.user || flags.server || flags.token || flags['certificate-authority'] || flags['insecure-skip-tls-verify'] || flags.as || flags['as-group'])
    if (flags['argocd-server'] || (!kubeFlags && (process.env.ARGOCD_SERVER || this.binName === 'argocd doctor'))) {
      const {chooseBackend} = await import('./lib/argocd/session.js')
      const backend = await chooseBackend({argocdServer: flags['argocd-server'], asArgocdPlugin: this.binName === 'argocd doctor', kubeFlags})
      if (backend.kind === 'argocd') {
        const {argocdSource} = await import('./lib/argocd/source.js')
        const source = await argocdSource(backend.session, flags['request-timeout'])
        this.io.info(source.announcement)
        return source
      }

      if (backend.why) this.io.info(`Backend: the Kubernetes API (kubeconfig), because ${backend.why}.`)
    }

    const {connect} = await import('./lib/cluster/kube.js')
    const {clusterSource} = await import('./lib/source.js')
    const cluster = connect({
      kubeconfig: flags.kubeconfig, context: flags.context, requestTimeout: flags['request-timeout'],
      cluster: flags.cluster, user: flags.user, server: flags.server, token: flags.token, certificateAuthority: flags['certificate-authority'],
      insecureSkipTlsVerify: flags['insecure-skip-tls-verify'], as: flags.as, asGroups: flags['as-group'],
    })
    if (cluster.inCluster) {
      const {join} = await import('node:path')
      this.connectionNote = `In-cluster config: acting as ${cluster.inCluster.subject ?? 'the pod\'s service account'} (its token: ${join(cluster.inCluster.dir, 'token')}), API server ${cluster.server}.`
      if (this.announceConnection) this.io.info(this.connectionNote)
    }

    return clusterSource(cluster)
  }

  /** -f FILE (offline, with the AppProjects/HPAs/Jobs the file may also hold, judged as of when it was saved), or the cluster. */
  protected async fileOrCluster(flags: Connection & {filename?: string; 'as-of'?: string}): Promise<{source: AppSource; clock?: OfflineClock}> {
    if (!flags.filename) {
      if (flags['as-of']) throw new DoctorError('USAGE', '--as-of only applies with -f FILE (a live cluster is judged as of now).')
      return {source: await this.connectSource(flags)}
    }

    const {fileSource, readObjectsFile} = await import('./lib/source.js')
    const file = await readObjectsFile(flags.filename)
    const {offlineClock} = await import('./lib/capture-time.js')
    this.fileClock = offlineClock([...file.apps, ...file.related] as KubeObject[], {asOf: flags['as-of'], pinned: pinnedNow(), current: new Date()})
    return {source: fileSource(file, flags.filename), clock: this.fileClock}
  }

  /**
   * The apps a batch command acts on: the names given, the one app of a -f file, or -l/--all: the
   * LIST as it streams in (`listed`; a batch plans each app as it arrives, the list is never held),
   * read ahead by two apps so that one app alone is also given as `refs` and `firstRead`.
   */
  protected async selectTargets(source: AppSource, names: string[], flags: Connection & {selector?: string; all?: boolean; filename?: string}): Promise<{refs: AppRef[]; firstRead?: Application; listed?: AsyncIterable<Application>}> {
    if (names.length > 0 && (flags.selector || flags.all)) throw new DoctorError('USAGE', 'Name applications, or use -l/--all, not both.')
    if (flags.selector || flags.all) {
      if (source.kind === 'file') throw new DoctorError('USAGE', '-l/--all need a cluster; with -f name the app.')
      // One unpaginated LIST, read as it arrives (paged only when the server will not give it whole).
      const stream = source.stream({namespace: flags.namespace, labelSelector: flags.selector})[Symbol.asyncIterator]()
      const ahead: Application[] = []
      for (let next; ahead.length < 2 && !(next = await stream.next()).done;) ahead.push(next.value)
      const listed = (async function * () {
        yield * ahead.splice(0)
        for (let next; !(next = await stream.next()).done;) yield next.value
      })()
      if (ahead.length !== 1) return {refs: [], listed}
      return {refs: [{name: ahead[0].metadata.name, namespace: ahead[0].metadata.namespace ?? flags.namespace}], firstRead: ahead[0], listed}
    }

    // A name given twice is one app: a second write would only fail its resourceVersion guard.
    if (names.length > 0) return {refs: [...new Set(names)].map((name) => ({name, namespace: flags.namespace}))}
    return {refs: [await this.resolveRef(source, undefined, flags)]}
  }

  /**
   * One step on the apps named or selected (-l/--all): one app goes through runRecipe, many through
   * runBatch (one confirmation). The JSON result of every such command.
   */
  protected async runOnTargets(command: string, source: AppSource, env: PipelineEnv, names: string[], step: Step, flags: Connection & {selector?: string; all?: boolean; filename?: string; max?: number; concurrency?: number}, verb: string): Promise<CommandResult> {
    const {runBatch, runRecipe} = await import('./lib/pipeline/index.js')
    const {refs, firstRead, listed} = await this.selectTargets(source, names, flags)
    if (refs.length === 1) {
      const result = await runRecipe(env, refs[0], step.build, {firstRead})
      return {json: {command, app: refs[0], status: result.status, exitCode: result.exitCode, steps: [result]}, exitCode: result.exitCode}
    }

    const batch = await runBatch(env, listed ?? refs, step, {verb, max: flags.max, concurrency: flags.concurrency})
    return {json: {command, apps: batch.entries, exitCode: batch.exitCode}, exitCode: batch.exitCode}
  }

  /** Resolve APP against -f: with a one-app file, the name may be left out. */
  protected async resolveRef(source: AppSource, name: string | undefined, flags: Connection): Promise<AppRef> {
    if (name) return {name, namespace: flags.namespace}
    if (source.kind === 'file') {
      const app = await source.read({name: '', namespace: flags.namespace})
      return {name: app.metadata.name, namespace: app.metadata.namespace ?? flags.namespace}
    }

    throw new DoctorError('USAGE', 'Name the Application: APP argument missing.', `Example: ${this.binName} ${this.id} my-app -n argocd`)
  }

  protected pipelineEnv(source: AppSource, flags: Connection & Change): PipelineEnv {
    return {
      io: this.io,
      source,
      conn: connectionSpelling(flags),
      dryRun: flags['dry-run'] || Boolean(flags.filename),
      yes: flags.yes,
      wait: flags.wait,
      timeoutSeconds: flags.timeout,
      // Offline, ages are judged as of when the file was captured, like explain -f does.
      now: this.fileClock && source.kind === 'file' ? () => this.fileClock!.now : now,
      signal: this.abort.signal,
    }
  }

  /**
   * The one JSON document every command prints with --json (schemas/envelope.schema.json):
   * {command, status, exitCode, result | error, warnings}. `status` is the exit code's name in
   * kebab case ("ok", "findings", "nothing-to-do", "conflict", …, "error" for a failure).
   */
  protected envelope(exitCode: number, body: {result: unknown} | {error: Record<string, unknown>}): Record<string, unknown> {
    return {command: this.id ?? 'runbook', status: 'error' in body ? 'error' : exitCodeName(exitCode), exitCode, ...body, warnings: this.io.warnings}
  }

  protected async catch(err: Error & {oclif?: {exit?: number}; code?: string}): Promise<void> {
    const format = outputFormat(this.argv)
    const debug = debugRequested(this.argv)
    let error: DoctorError
    const oneLine = (text: string) => text.replace(/\s*See more help with --help/, '').replace(/\s*\n\s*/g, ': ').replace(/: :/g, ':').trim()
    if (err instanceof DoctorError) error = new DoctorError(err.code, oneLine(err.message), err.hint ?? (err.code === 'USAGE' ? `See: ${this.config.bin} ${this.id ?? ''} --help` : undefined), err.details)
    else if (err.code === 'EEXIT') throw err // oclif's own exits (--help, --version)
    else if (err.oclif?.exit === 2 || 'parse' in err) {
      error = new DoctorError('USAGE', oneLine(err.message), `See: ${this.config.bin} ${this.id ?? ''} --help`)
    } else {
      error = new DoctorError('ERROR', `Unexpected error: ${scrubSecrets(err.message)}`, 'This is a bug in argo-doctor: rerun with --debug and report it.')
    }

    // The pipeline reports a signal as INTERRUPTED; SIGTERM has its own exit code.
    if (error.code === 'INTERRUPTED' && interrupted() === 'SIGTERM') error = new DoctorError('TERMINATED', error.message.replace(/^Interrupted/, 'Stopped by SIGTERM'), error.hint, error.details)
    // Messages quote the API server and the cluster's objects: written through the Io, escaped (render/safe.ts).
    if (format) {
      this.io.format = format
      await this.io.printJson(this.envelope(error.exitCode, {error: error.toJSON()}))
    } else {
      this.io.error(`${this.io.paint('red', 'Error:')} ${error.message}`)
      if (error.hint) this.io.error(`  ${indentLines(error.hint, '  ')}`)
    }

    if (debug) {
      if (err instanceof DoctorError && err.api) for (const line of describeApi(err.api)) this.io.error(line)
      this.io.error(scrubSecrets(`${err.stack ?? err}`))
    }
    process.exitCode = error.exitCode
  }
}
