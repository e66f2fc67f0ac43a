import {Args, Flags} from '@oclif/core'
import {changeFlags, connectionFlags, DoctorCommand, durationFlag, type CommandResult} from '../base-command.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {runRecipe, type StepResult} from '../lib/pipeline.js'
import {buildHardRefreshPlan} from '../lib/recipes/hard-refresh.js'
import {buildUnstickPlan, UNSTICK_DEFAULTS, type UnstickOptions} from '../lib/recipes/unstick.js'

export default class Unstick extends DoctorCommand {
  static summary = 'Clear a stuck sync operation, then hard-refresh the app.'
  static description = `Terminates the operation gracefully when the controller is alive and an operation is requested; otherwise (or when terminating does not finish) removes both .operation and .status.operationState in one guarded JSON patch. The same write sets a hard refresh, and the command waits for the controller to finish it.
Apps waiting for their own health (an App-of-Apps that includes its own manifest) get a warning and, with --exclude-self, a temporary spec.source.directory.exclude.`
  static examples = [
    '<%= config.bin %> unstick my-app --dry-run',
    '<%= config.bin %> unstick wealist-apps-prod -n argocd --exclude-self root-app.yaml',
    '<%= config.bin %> unstick my-app --yes --json',
    '<%= config.bin %> unstick -f stuck-app.yaml',
  ]

  static args = {app: Args.string({description: 'Application name (optional with -f for a one-app file).', ignoreStdin: true})}

  static flags = {
    ...connectionFlags,
    ...changeFlags,
    force: Flags.boolean({description: 'Also act on young operations, sync-window blocks and prune confirmations.', helpGroup: 'SAFETY'}),
    'min-age': durationFlag({description: 'Leave operations younger than this alone (without --force).', default: UNSTICK_DEFAULTS.minAgeSeconds}),
    'terminate-timeout': durationFlag({description: 'How long a graceful terminate may take before falling back to clearing.', default: 60}),
    terminate: Flags.boolean({description: 'Try a graceful terminate first when the controller is alive (--no-terminate clears at once).', default: true, allowNo: true}),
    'exclude-self': Flags.string({description: "Temporary self-wait fix: add this file (glob) to the source's directory.exclude.", helpValue: '<file>'}),
    'source-index': Flags.integer({description: 'With --exclude-self on a multi-source app: which spec.sources[] entry.', min: 0}),
  }

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(Unstick)
    this.setupIo(flags)
    const {source} = await this.fileOrCluster(flags)
    const ref = await this.resolveRef(source, args.app, flags)
    const env = this.pipelineEnv(source, flags)
    const options = (skipTerminate: boolean): UnstickOptions => ({
      now: env.now(),
      minAgeSeconds: flags['min-age'],
      force: flags.force,
      skipTerminate,
      controllerFreshSeconds: UNSTICK_DEFAULTS.controllerFreshSeconds,
      excludeSelf: flags['exclude-self'],
      sourceIndex: flags['source-index'],
      conn: env.conn,
    })
    const build = (skipTerminate: boolean) => (app: Parameters<typeof buildUnstickPlan>[0]) => {
      try {
        return buildUnstickPlan(app, options(skipTerminate))
      } catch (error) {
        if (error instanceof RangeError) throw new DoctorError('USAGE', error.message)
        throw error
      }
    }

    const verifyTimeoutSeconds = (plan: {action: string}) => plan.action === 'terminate' ? flags['terminate-timeout'] : flags.timeout
    const steps: StepResult[] = [await runRecipe(env, ref, build(!flags.terminate), {verifyTimeoutSeconds})]
    const first = steps[0]
    if (first.action === 'terminate' && first.status === 'applied') {
      this.io.out()
      if (first.verify?.status === 'ok') {
        // The controller ended the operation itself; finish with what the user approved: the exclude (if
        // asked for) and the hard refresh.
        const next = flags['exclude-self'] ? build(true) : (app: Parameters<typeof buildHardRefreshPlan>[0]) => buildHardRefreshPlan(app, env.now())
        steps.push(await runRecipe(env, ref, next, {preApproved: true}))
      } else if (first.verify?.status === 'timeout') {
        this.io.out('The graceful terminate did not finish; falling back to clearing the operation.')
        steps.push(await runRecipe(env, ref, build(true), {verifyTimeoutSeconds}))
      }
    } else if (first.action === 'terminate' && first.status === 'previewed') {
      this.io.out(`If the controller does not finish terminating within ${flags['terminate-timeout']}s, argo-doctor then clears the operation (a second preview and confirmation).`)
      this.io.out(`Once the operation has ended, argo-doctor ${flags['exclude-self'] ? `adds the directory exclude "${flags['exclude-self']}" and ` : ''}hard-refreshes the app.`)
    }

    const last = steps.at(-1)!
    return {json: {command: 'unstick', app: ref, status: last.status, exitCode: last.exitCode, steps}, exitCode: last.exitCode ?? ExitCode.OK}
  }
}
