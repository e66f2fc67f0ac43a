import {Args, Flags} from '../lib/oclif.js'
import {connectionFlags, DoctorCommand, durationFlag, type CommandResult} from '../base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {indentLines, oneLine} from '../lib/render/safe.js'

export default class Apply extends DoctorCommand {
  static summary = 'Apply exactly a plan saved with --save-plan, or refuse (exit 8) with the new preview when the app changed.'
  static description = `The plan file (written by any changing command with --save-plan FILE) holds the guarded JSON patch, the diff that was reviewed, who made it and when. apply re-reads the app and plans again with the same command and options: when the change is still the same over the same content, it writes exactly the saved patch (its resourceVersion guard moved to the object just read; every other guard checked by the API server), with the same backup, Event and verification as the command itself. Otherwise nothing is written: exit 8, and the preview of the change as it would be now.
A plan expires (--plan-ttl when it was saved) and is bound to the API server it was made on. There is no prompt: the review of the file is the approval.`
  static examples = [
    '<%= config.bin %> unstick my-app -n argocd --save-plan unstick.plan.json',
    '<%= config.bin %> apply unstick.plan.json',
    '<%= config.bin %> apply unstick.plan.json --json',
  ]

  static args = {file: Args.string({description: 'The plan file (--save-plan).', required: true, ignoreStdin: true})}
  static flags = {
    ...connectionFlags,
    timeout: durationFlag({description: "How long to wait for the controller after applying (default: the command's own).", helpGroup: 'SAFETY'}),
    wait: Flags.boolean({description: 'Wait for the controller to act (--no-wait returns right after the write).', default: true, allowNo: true, helpGroup: 'SAFETY'}),
  }

  protected argsAreAppNames = false

  protected async execute(): Promise<CommandResult> {
    const {args, flags} = await this.parse(Apply)
    const io = this.setupIo(flags)
    const {readPlanFile, applySavedPlan} = await import('../lib/plans.js')
    const {verbNamed} = await import('../lib/verbs.js')
    const plan = await readPlanFile(args.file)
    const verb = verbNamed(plan.verb)
    // The cluster the plan was made on, unless told otherwise (a different API server is refused).
    // A plan made through the Argo CD API (its context is "argocd…") goes back to the same Argo CD server.
    const viaArgocd = plan.target.context?.startsWith('argocd') === true
    const context = flags.context ?? (flags.server || viaArgocd ? undefined : plan.target.context)
    const source = await this.connectSource({...flags, context, 'argocd-server': flags['argocd-server'] ?? (viaArgocd && !flags.context && !flags.kubeconfig ? plan.target.server : undefined)})
    const env = this.pipelineEnv(source, {...flags, context, 'dry-run': false, yes: true, timeout: flags.timeout ?? verb.timeoutSeconds, filename: undefined, 'as-of': undefined, 'save-plan': undefined, 'plan-ttl': 0})
    const app = {name: plan.target.name, namespace: plan.target.namespace}
    io.info(oneLine(`Applying plan ${plan.id}: ${plan.verb} of ${app.namespace}/${app.name} (${plan.summary}), made by ${plan.createdBy} at ${plan.createdAt} on resourceVersion ${plan.resourceVersion ?? '?'}.`))
    const outcome = await applySavedPlan(env, plan, {onRefusal(error) {
      io.error(`${io.paint('red', 'Refused:')} ${error.message}`)
      if (error.hint) io.error(`  ${indentLines(error.hint, '  ')}`)
    }})
    if ('refusal' in outcome) {
      const {error, now} = outcome.refusal
      return {json: {command: 'apply', app, plan: plan.id, status: 'conflict', exitCode: ExitCode.CONFLICT, error: error.toJSON(), now: now.plan ?? now.result}, exitCode: ExitCode.CONFLICT}
    }

    const last = outcome.steps.at(-1)!
    return {json: {command: 'apply', app, plan: plan.id, status: last.status, exitCode: last.exitCode, steps: outcome.steps}, exitCode: last.exitCode}
  }
}
