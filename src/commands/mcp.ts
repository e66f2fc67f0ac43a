import {Flags} from '../lib/oclif.js'
import {connectionFlags, connectionSpelling, DoctorCommand, durationFlag, now, type CommandResult} from '../base-command.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'

export default class Mcp extends DoctorCommand {
  static summary = 'Serve the diagnosis and the guarded fixes to AI agents over the Model Context Protocol (stdio).'
  static description = `Read-only by default: explain, list_findings, app_history and describe_backups. With --allow-writes (narrowed by --allow), each changing verb becomes a plan_<verb> tool that previews the change (server-side dry run, diff, guards, kubectl equivalent) and returns a plan id, and apply_plan writes exactly that plan, or refuses when the app changed since. There is no one-step write. Every write is backed up, recorded as an Event naming the MCP client, and undoable with plan_undo.
The connection (--kubeconfig, --context, -n, …) is fixed here, when the server starts; the model cannot choose another cluster or namespace. Register it in an MCP client as the command \`argo-doctor mcp\` with these flags.`
  static examples = [
    '<%= config.bin %> mcp --context prod -n argocd',
    '<%= config.bin %> mcp --context staging --allow-writes',
    '<%= config.bin %> mcp --allow-writes --allow unstick,hard-refresh,undo --plan-ttl 5m',
  ]

  static flags = {
    ...connectionFlags,
    'allow-writes': Flags.boolean({description: 'Offer the write tools (plan_<verb> and apply_plan); without it the server is read-only.', helpGroup: 'SAFETY'}),
    allow: Flags.string({description: 'With --allow-writes: only these verbs (comma-separated, e.g. unstick,hard-refresh,undo).', helpValue: '<verbs>', helpGroup: 'SAFETY'}),
    'plan-ttl': durationFlag({description: 'How long a plan stays valid for apply_plan.', default: 600, helpGroup: 'SAFETY'}),
    timeout: durationFlag({description: 'Longest wait for the controller after apply_plan (each verb may wait less).', default: 120, helpGroup: 'SAFETY'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {flags} = await this.parse(Mcp)
    this.setupIo({...flags, json: false, output: undefined})
    const {VERBS} = await import('../lib/verbs.js')
    if (flags.allow && !flags['allow-writes']) throw new DoctorError('USAGE', '--allow narrows the write tools: use it with --allow-writes.')
    const allowed = flags.allow ? flags.allow.split(',').map((v) => v.trim()).filter(Boolean) : Object.keys(VERBS)
    const unknown = allowed.filter((v) => !VERBS[v])
    if (unknown.length > 0) throw new DoctorError('USAGE', `--allow: unknown verb ${unknown.join(', ')}.`, `Verbs: ${Object.keys(VERBS).join(', ')}.`)
    const source = await this.connectSource(flags)
    const {serveMcp} = await import('../lib/mcp.js')
    await serveMcp({
      source,
      conn: connectionSpelling(flags),
      namespace: flags.namespace,
      writes: flags['allow-writes'] ? allowed : [],
      planTtlSeconds: flags['plan-ttl'],
      timeoutSeconds: flags.timeout,
      now,
      version: this.config.version,
      style: {bin: this.binName, kubeconfig: flags.kubeconfig, context: flags.context},
    })
    return {json: {command: 'mcp'}, exitCode: ExitCode.OK}
  }
}
