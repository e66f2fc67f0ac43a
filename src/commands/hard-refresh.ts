import {Args, Flags} from '@oclif/core'
import {changeFlags, connectionFlags, DoctorCommand, type CommandResult} from '../base-command.js'
import type {AppRef} from '../lib/app.js'
import {DoctorError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {runRecipe, type StepResult} from '../lib/pipeline.js'
import {confirmChange} from '../lib/render/prompt.js'
import {buildHardRefreshPlan} from '../lib/recipes/hard-refresh.js'
import {renderTable} from '../lib/render/table.js'

export default class HardRefresh extends DoctorCommand {
  static summary = 'Force the controller to regenerate manifests and wait until it has.'
  static description = 'Sets argocd.argoproj.io/refresh=hard (and refresh-timestamp), then watches until the application-controller removes the annotation: the same completion signal `argocd app get --hard-refresh` waits for. Works on one app, several, a label selector or every app in the namespace.'
  static examples = [
    '<%= config.bin %> hard-refresh my-app',
    '<%= config.bin %> hard-refresh app-a app-b --yes',
    '<%= config.bin %> hard-refresh -l team=payments --yes --timeout 5m',
    '<%= config.bin %> hard-refresh --all -n argocd --yes --no-wait',
  ]

  static strict = false
  static args = {app: Args.string({description: 'Application name(s).', ignoreStdin: true})}
  static flags = {
    ...connectionFlags,
    ...changeFlags,
    selector: Flags.string({char: 'l', description: 'Refresh every app matching this label selector.'}),
    all: Flags.boolean({description: 'Refresh every app in the namespace.'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {argv, flags} = await this.parse(HardRefresh)
    this.setupIo(flags)
    const names = argv as string[]
    const {source} = await this.fileOrCluster(flags)
    const env = this.pipelineEnv(source, flags)
    const build = (app: Parameters<typeof buildHardRefreshPlan>[0]) => buildHardRefreshPlan(app, env.now())

    const refs: AppRef[] = names.map((name) => ({name, namespace: flags.namespace}))
    if (flags.selector || flags.all) {
      if (!source.cluster) throw new DoctorError('USAGE', '-l/--all need a cluster; with -f name the app.')
      for await (const page of source.cluster.listAllApps({namespace: flags.namespace, labelSelector: flags.selector})) {
        refs.push(...page.map((a) => ({name: a.metadata.name, namespace: a.metadata.namespace ?? flags.namespace})))
      }

      if (refs.length === 0) {
        this.io.out(`No applications match in namespace "${flags.namespace}"${flags.selector ? ` with selector ${flags.selector}` : ''}.`)
        return {json: {command: 'hard-refresh', results: []}, exitCode: ExitCode.NOTHING_TO_DO}
      }
    }

    if (refs.length === 0) refs.push(await this.resolveRef(source, undefined, flags))
    if (refs.length === 1) {
      const result = await runRecipe(env, refs[0], build)
      return {json: {command: 'hard-refresh', results: [result]}, exitCode: result.exitCode}
    }

    // Many apps: preview all, ask once, write all, then wait for all at the same time.
    const previews: StepResult[] = []
    for (const ref of refs) previews.push(await runRecipe({...env, dryRun: true}, ref, build, {compact: true}))
    if (env.dryRun) {
      this.io.out(`\nDry run: nothing was changed (${refs.length} apps).`)
      return {json: {command: 'hard-refresh', results: previews}, exitCode: ExitCode.OK}
    }

    if (!env.yes && !(await confirmChange(this.io, `Hard-refresh these ${refs.length} applications?`))) {
      this.io.out('Not applied: nothing was changed.')
      return {json: {command: 'hard-refresh', results: previews.map((p) => ({...p, status: 'declined', exitCode: ExitCode.DECLINED}))}, exitCode: ExitCode.DECLINED}
    }

    const results: StepResult[] = []
    for (const ref of refs) results.push(await runRecipe(env, ref, build, {preApproved: true, compact: true, deferVerify: true}))
    await Promise.all(results.map((r) => r.waitForController?.()))
    this.io.out()
    this.io.out(renderTable(['APP', 'RESULT', 'SYNC', 'HEALTH', 'RECONCILED'], results.map((r) => [
      `${r.app.namespace}/${r.app.name}`,
      r.verify?.status ?? r.status,
      r.verify?.syncStatus ?? '',
      r.verify?.healthStatus ?? '',
      r.verify?.reconciledAt ?? '',
    ])))
    const exitCode = results.find((r) => r.exitCode !== ExitCode.OK)?.exitCode ?? ExitCode.OK
    return {json: {command: 'hard-refresh', results}, exitCode}
  }
}
