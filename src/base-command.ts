import {Command, Flags, Interfaces} from '@oclif/core'
import type {AppRef} from './lib/app.js'
import {DoctorError} from './lib/errors.js'
import {ExitCode} from './lib/exit-codes.js'
import {parseDuration} from './lib/duration.js'
import {Io} from './lib/render/io.js'
import type {AppSource, KubeObject} from './lib/source.js'
import type {PipelineEnv} from './lib/pipeline.js'

/** The clock; ARGO_DOCTOR_NOW pins it (reproducible demos and golden tests). */
export function now(): Date {
  return process.env.ARGO_DOCTOR_NOW ? new Date(process.env.ARGO_DOCTOR_NOW) : new Date()
}

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
  'as-group': Flags.string({description: 'Impersonate this group (repeatable; Impersonate-Group).', multiple: true, helpGroup: 'CONNECTION'}),
  namespace: Flags.string({char: 'n', description: 'Namespace of the Application.', env: 'ARGOCD_NAMESPACE', default: 'argocd', helpGroup: 'CONNECTION'}),
  'request-timeout': durationFlag({description: 'Give up on a single API request after this long.', default: 30, helpGroup: 'CONNECTION'}),
  json: Flags.boolean({description: 'Print one JSON document on stdout instead of text (same as -o json).', helpGroup: 'OUTPUT'}),
  output: Flags.string({char: 'o', description: 'Print one document on stdout instead of text: json or yaml.', options: ['json', 'yaml'], helpGroup: 'OUTPUT'}),
  color: Flags.boolean({description: 'Colour the output (--no-color or NO_COLOR turn it off).', default: true, allowNo: true, helpGroup: 'OUTPUT'}),
  debug: Flags.boolean({description: 'Show stack traces and API details on errors.', helpGroup: 'OUTPUT'}),
  verbosity: Flags.integer({char: 'v', description: 'kubectl\'s log level; 6 or more is --debug (-v is not --version).', helpGroup: 'OUTPUT'}),
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
  protected abstract execute(): Promise<CommandResult>

  async run(): Promise<void> {
    process.once('SIGINT', () => {
      this.abort.abort()
      // Give the pipeline a moment to report what was and was not applied, then leave.
      setTimeout(() => {
        process.stderr.write('Interrupted.\n')
        process.exit(ExitCode.INTERRUPTED)
      }, 1500).unref()
    })
    const result = await this.execute()
    if (this.io.json) this.io.printJson(result.json)
    process.exitCode = result.exitCode
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
    const {connect} = await import('./lib/cluster/kube.js')
    const {clusterSource} = await import('./lib/source.js')
    return clusterSource(connect({
      kubeconfig: flags.kubeconfig, context: flags.context, requestTimeout: flags['request-timeout'],
      cluster: flags.cluster, user: flags.user, server: flags.server, token: flags.token, certificateAuthority: flags['certificate-authority'],
      insecureSkipTlsVerify: flags['insecure-skip-tls-verify'], as: flags.as, asGroups: flags['as-group'],
    }))
  }

  /** -f FILE (offline, with the AppProjects/HPAs the file may also hold), or the cluster. */
  protected async fileOrCluster(flags: Connection & Partial<Change>): Promise<{source: AppSource; related: KubeObject[]}> {
    if (!flags.filename) return {source: await this.connectSource(flags), related: []}
    const {fileSource, readObjectsFile} = await import('./lib/source.js')
    const {apps, related} = await readObjectsFile(flags.filename)
    return {source: fileSource(apps, flags.filename), related}
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
      conn: {kubeconfig: flags.kubeconfig, context: flags.context, cluster: flags.cluster, user: flags.user, server: flags.server, as: flags.as, asGroups: flags['as-group']},
      dryRun: flags['dry-run'] || Boolean(flags.filename),
      yes: flags.yes,
      wait: flags.wait,
      timeoutSeconds: flags.timeout,
      now,
      signal: this.abort.signal,
    }
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
      error = new DoctorError('ERROR', `Unexpected error: ${err.message}`, 'This is a bug in argo-doctor: rerun with --debug and report it.')
    }

    if (format) {
      this.io.format = format
      this.io.printJson({error: error.toJSON()})
    } else {
      process.stderr.write(`${this.io.paint('red', 'Error:')} ${error.message}\n`)
      if (error.hint) process.stderr.write(`  ${error.hint}\n`)
    }

    if (debug) process.stderr.write(`${err.stack ?? err}\n`)
    process.exitCode = error.exitCode
  }
}
