import {Args, Flags} from '../lib/oclif.js'
import {batchFlags, changeFlags, connectionFlags, DoctorCommand, durationFlag, type CommandResult} from '../base-command.js'
import {DoctorError} from '../lib/errors.js'
import {runBatch, runSteps} from '../lib/pipeline/index.js'
import {UNSTICK_DEFAULTS} from '../lib/recipes/unstick.js'
import {VERBS} from '../lib/verbs.js'

export default class Unstick extends DoctorCommand {
  static summary = 'Clear a stuck sync operation, then hard-refresh the app.'
  static description = `Terminates the operation gracefully when the controller is alive and an operation is requested; otherwise (or when terminating does not finish) removes both .operation and .status.operationState in one guarded JSON patch. The same write sets a hard refresh, and the command waits for the controller to finish it.
Apps waiting for their own health (an App-of-Apps that includes its own manifest) get a warning and, with --exclude-self, a temporary spec.source.directory.exclude.
--resync then starts a sync with hooks once the operation has really ended (terminating is asynchronous: a sync started at once is refused with "another operation is already in progress").
-l/--all: each app is planned from the one LIST and shown on one line; one server dry run per kind of patch instead of one per app, one confirmation, one backup file, --concurrency writes at a time, one watch on the namespace; after a terminate the hard refresh is the next batch write.`
  static examples = [
    '<%= config.bin %> unstick my-app --dry-run',
    '<%= config.bin %> unstick wealist-apps-prod -n argocd --exclude-self root-app.yaml',
    '<%= config.bin %> unstick my-app --yes --json',
    '<%= config.bin %> unstick my-app --resync --yes',
    '<%= config.bin %> unstick -l team=payments --dry-run',
    '<%= config.bin %> unstick --all -n argocd --yes --max 20',
    '<%= config.bin %> unstick -f stuck-app.yaml',
  ]

  static args = {app: Args.string({description: 'Application name (optional with -f for a one-app file).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    ...changeFlags,
    ...batchFlags,
    force: Flags.boolean({description: 'Also act on young operations, sync-window blocks and prune confirmations.', helpGroup: 'SAFETY'}),
    'min-age': durationFlag({description: 'Leave operations younger than this alone (without --force).', default: UNSTICK_DEFAULTS.minAgeSeconds}),
    'terminate-timeout': durationFlag({description: 'How long a graceful terminate may take before falling back to clearing.', default: 60}),
    terminate: Flags.boolean({description: 'Try a graceful terminate first when the controller is alive (--no-terminate clears at once).', default: true, allowNo: true}),
    'exclude-self': Flags.string({description: "Temporary self-wait fix: add this file (glob) to the source's directory.exclude.", helpValue: '<file>'}),
    'source-index': Flags.integer({description: 'With --exclude-self on a multi-source app: which spec.sources[] entry.', min: 0}),
    resync: Flags.boolean({description: 'Once the operation has really ended and the app is refreshed, start a sync with hooks (as force-presync); one confirmation covers the sequence.'}),
    'sync-timeout': durationFlag({description: 'With --resync: how long to follow the new sync.', default: 600, helpGroup: 'SAFETY'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(Unstick)
    this.setupIo(flags)
    const {source} = await this.fileOrCluster(flags)
    const env = this.pipelineEnv(source, flags)
    if (flags.selector || flags.all) {
      if (flags['exclude-self'] || flags.resync) throw new DoctorError('USAGE', '--exclude-self and --resync act on one app at a time; name the app instead of -l/--all.')
      const {refs, listed} = await this.selectTargets(source, args.app ? [args.app] : [], flags)
      // Without --resync the sequence needs nothing read up front: the same Step for every app.
      const {step} = await VERBS.unstick.prepare(env, {name: '', namespace: flags.namespace}, flags)
      const batch = await runBatch(env, listed ?? refs, step, {verb: 'Unstick', max: flags.max, concurrency: flags.concurrency})
      return {json: {command: 'unstick', apps: batch.entries, exitCode: batch.exitCode}, exitCode: batch.exitCode}
    }

    const ref = await this.resolveRef(source, args.app, flags)
    const {step, firstRead} = await VERBS.unstick.prepare(env, ref, flags)
    const steps = await runSteps(env, ref, step, {firstRead})
    const last = steps.at(-1)!
    return {json: {command: 'unstick', app: ref, status: last.status, exitCode: last.exitCode, steps}, exitCode: last.exitCode}
  }
}
