import {Args, Flags} from '../lib/oclif.js'
import {changeFlags, connectionFlags, DoctorCommand, type CommandResult} from '../base-command.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {runRecipe} from '../lib/pipeline/index.js'
import {oneLine} from '../lib/render/safe.js'
import {sh} from '../lib/shell.js'
import {validateExplicitEntry} from '../lib/recipes/ignore-status.js'
import {VERBS} from '../lib/verbs.js'

export default class IgnoreStatus extends DoctorCommand {
  static summary = 'Stop an endless OutOfSync loop: add spec.ignoreDifferences entries without losing existing ones.'
  static description = `Automatic mode (no --kind): reads status.resources, and for each OutOfSync resource a built-in rule recognises (APIService status, HPA-managed replicas, External Secrets defaults, webhook and CRD caBundle) proposes an entry; resources no rule knows are named, with how to write an entry by hand — nothing is invented.
Explicit mode: --kind (with --group, --name, --resource-namespace) and --json-pointer/--jq/--managed-fields-manager.
Existing entries stay exactly as they are; only the new paths are merged in (into the first entry for the same group/kind/name/namespace, or as a new entry), written with a guarded JSON patch. RespectIgnoreDifferences=true is added when replicas are ignored (--respect/--no-respect to choose). Then it waits for the controller to re-compare and reports whether the app is Synced; still OutOfSync is a warning, not a failure (exit 0).`
  static examples = [
    '<%= config.bin %> ignore-status metrics-server --dry-run',
    '<%= config.bin %> ignore-status platform-addons-prod --yes',
    '<%= config.bin %> ignore-status my-app --group apps --kind Deployment --name api --resource-namespace prod --json-pointer /spec/replicas',
    "<%= config.bin %> ignore-status my-app --group external-secrets.io --kind ExternalSecret --jq '.spec.data[]?.remoteRef.conversionStrategy'",
    '<%= config.bin %> ignore-status -f examples/eso-apiservice-outofsync.yaml',
  ]

  static args = {app: Args.string({description: 'Application name (optional with -f for a one-app file).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    ...changeFlags,
    group: Flags.string({description: 'Explicit mode: API group of the resource (leave out for the core group).', helpGroup: 'ENTRY'}),
    kind: Flags.string({description: 'Explicit mode: kind of the resource, e.g. Deployment (turns automatic mode off).', helpGroup: 'ENTRY'}),
    name: Flags.string({description: 'Explicit mode: only the resource with this name.', helpGroup: 'ENTRY'}),
    'resource-namespace': Flags.string({description: 'Explicit mode: only resources in this namespace (-n is the Application\'s namespace).', helpGroup: 'ENTRY'}),
    'json-pointer': Flags.string({description: 'Explicit mode: RFC 6901 pointer to ignore (repeatable); a "/" inside a key is written ~1.', multiple: true, helpGroup: 'ENTRY'}),
    jq: Flags.string({description: 'Explicit mode: jq path expression to ignore (repeatable), e.g. \'.webhooks[]?.clientConfig.caBundle\'.', multiple: true, helpGroup: 'ENTRY'}),
    'managed-fields-manager': Flags.string({description: 'Explicit mode: ignore fields owned by this field manager (repeatable).', multiple: true, helpGroup: 'ENTRY'}),
    'allow-missing': Flags.boolean({description: 'Explicit mode: add the entry even if no such resource is in the app (e.g. not deployed yet).', helpGroup: 'ENTRY'}),
    respect: Flags.boolean({description: 'Add RespectIgnoreDifferences=true so syncs do not overwrite ignored fields (default: only when replicas are ignored).', allowNo: true}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(IgnoreStatus)
    this.setupIo(flags)
    // Bad flag values are reported before anything is read.
    const explicit = validateExplicitEntry({
      group: flags.group,
      kind: flags.kind,
      name: flags.name,
      namespace: flags['resource-namespace'],
      jsonPointers: flags['json-pointer'],
      jq: flags.jq,
      managedFieldsManagers: flags['managed-fields-manager'],
    })
    if (flags['allow-missing'] && !explicit) throw new DoctorError('USAGE', '--allow-missing only applies with --kind (explicit mode).')

    const {source} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)

    const {step, firstRead} = await VERBS['ignore-status'].prepare(env, ref, flags)
    const result = await runRecipe(env, ref, step.build, {firstRead})
    const outOfSync = result.verify?.outOfSync
    if (result.verify?.status === 'ok' && outOfSync) {
      this.io.warn(oneLine(`${ref.name} is still ${result.verify.syncStatus ?? 'not Synced'}${outOfSync.length > 0 ? ` (${outOfSync.join(', ')})` : ''}: the remaining difference is not covered by these entries, or needs a sync. Check: ${sh('argocd', 'app', 'diff', ref.name)}`))
    }

    return {json: {command: 'ignore-status', app: ref, status: result.status, exitCode: result.exitCode, steps: [result]}, exitCode: result.exitCode ?? ExitCode.OK}
  }
}
