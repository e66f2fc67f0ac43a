/**
 * The verify step of the pipeline: wait for the controller to act on a write, judge what it saw
 * (src/lib/verify.ts), say it, and map it to an exit code.
 */
import type {AppRef, Application} from '../app.js'
import {DoctorError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import type {Plan} from '../plan.js'
import {renderTable} from '../render/table.js'
import {oneLine} from '../render/safe.js'
import type {Io} from '../render/io.js'
import {startProgress} from '../render/spinner.js'
import {isDone, judge, judgeDeleted, progressLine, type VerifyOutcome} from '../verify.js'
import {ourCommand} from '../invocation.js'
import type {WaitResult} from '../cluster/kube.js'
import type {PipelineEnv} from './types.js'

export function exitCodeFor(verify: VerifyOutcome): number {
  switch (verify.status) {
    case 'timeout':
      return ExitCode.TIMEOUT
    case 'failed':
      return ExitCode.OPERATION_FAILED
    case 'deleted':
      return ExitCode.NOT_FOUND
    case 'unverified':
      return ExitCode.UNVERIFIED
    default:
      return ExitCode.OK
  }
}

export async function verifyPlan(env: PipelineEnv, plan: Plan, written: Application, quiet: boolean): Promise<VerifyOutcome> {
  const {io} = env
  if (plan.verify.kind === 'none') return {status: 'ok', message: 'Nothing to wait for.'}
  if (!env.wait) {
    io.out(`Not waiting (--no-wait): ${plan.verify.description.replace(/^waiting/, 'would wait')}.`)
    return {status: 'not-waited', message: 'Applied; not waited for (--no-wait).'}
  }

  const verify = plan.verify
  const progress = quiet ? {update() {}, stop() {}} : await startProgress(io, `${verify.description} (up to ${env.timeoutSeconds}s)`)
  let outcome: WaitResult
  try {
    outcome = await env.source.watch(plan.target, written.metadata.resourceVersion ?? '0', (app) => isDone(verify, app, written), {
      timeoutMs: env.timeoutSeconds * 1000,
      signal: env.signal,
      onUpdate: (app) => progress.update(progressLine(verify, app)),
    })
  } catch (error) {
    // Whatever went wrong while waiting, the write happened: say so, never "unexpected error".
    outcome = {status: 'unverified', error: error instanceof DoctorError ? error : new DoctorError('ERROR', (error as Error).message)}
  } finally {
    progress.stop()
  }

  return reportWait(env, plan, written, outcome, quiet)
}

/** Judge what the wait saw (and say it): the verify outcome of one app. */
export function reportWait(env: PipelineEnv, plan: Plan, written: Application, outcome: WaitResult, quiet: boolean): VerifyOutcome {
  const {io} = env
  const verify = plan.verify as Exclude<Plan['verify'], {kind: 'none'}>
  const applied = `the change WAS applied (resourceVersion ${written.metadata.resourceVersion})`
  const checkHint = `Check on it with: ${ourCommand(['explain', plan.target.name, '-n', plan.target.namespace], env.conn)}`
  if (env.signal?.aborted) {
    throw new DoctorError('INTERRUPTED', `Interrupted while ${verify.description}; ${applied}.`, checkHint)
  }

  if (outcome.status === 'unverified') {
    const message = `The change WAS applied (resourceVersion ${written.metadata.resourceVersion}), but it could not be verified: ${outcome.error.message.replace(/\.$/, '')}. ${checkHint}`
    io.warn(oneLine(message))
    return {status: 'unverified', message, error: {code: outcome.error.code, message: outcome.error.message}}
  }

  const goneIsSuccess = outcome.status === 'deleted' ? judgeDeleted(verify) : undefined
  if (goneIsSuccess) {
    io.out(io.paint('green', `✔ ${quiet ? `${plan.target.namespace}/${plan.target.name}: ` : ''}${goneIsSuccess.message}`))
    return goneIsSuccess
  }

  if (outcome.status === 'deleted') {
    io.warn(oneLine(`${plan.target.namespace}/${plan.target.name} was deleted while ${verify.description}.`))
    return {status: 'deleted', message: 'The application was deleted.'}
  }

  if (outcome.status === 'timeout') {
    const synced = verify.kind === 'operation' && verify.health && outcome.app?.status?.operationState?.phase === 'Succeeded' && !outcome.app.operation
    const message = synced
      ? `The sync Succeeded, but after ${env.timeoutSeconds}s the app's health is still ${outcome.app?.status?.health?.status ?? 'not reported'}. Follow it with: ${ourCommand(['explain', plan.target.name, '-n', plan.target.namespace], env.conn)}`
      : `Timed out after ${env.timeoutSeconds}s ${verify.description}. The change was applied; the controller has not acted on it yet — is the application-controller running? (kubectl get pods -n ${plan.target.namespace} -l app.kubernetes.io/name=argocd-application-controller)`
    io.warn(oneLine(message))
    const timedOut: VerifyOutcome = {...judge(verify, outcome.app), status: 'timeout', message}
    if (verify.kind === 'operation' && !quiet) reportSync(io, plan.target, timedOut, verify.health)
    return timedOut
  }

  const judged = judge(verify, outcome.app)
  const line = `${judged.status === 'ok' ? '✔' : '✖'} ${oneLine(`${quiet ? `${plan.target.namespace}/${plan.target.name}: ` : ''}${judged.message}`)}`
  io.out(judged.status === 'ok' ? io.paint('green', line) : io.paint('red', line))
  if (verify.kind === 'operation' && !quiet) reportSync(io, plan.target, judged, verify.health)
  return judged
}

/** After a sync we started: the hooks it ran, or why none did (a sync meant to run hooks). */
function reportSync(io: Io, target: AppRef, verify: VerifyOutcome, noHooksExpected = false): void {
  const hooks = verify.hooks ?? []
  if (hooks.length > 0 || !noHooksExpected || verify.status === 'timeout') io.out()
  if (hooks.length > 0) {
    io.out(renderTable(['HOOK', 'RESOURCE', 'PHASE', 'MESSAGE'], hooks.map((h) => [h.hookType ?? '', `${h.kind}/${h.name}`, h.hookPhase ?? '', h.message ?? ''])))
  } else if (verify.status !== 'timeout' && !noHooksExpected) {
    io.warn(`No hook ran in this sync: the manifests Argo CD rendered for ${target.name} contain no resource annotated argocd.argoproj.io/hook. Check that the chart actually renders the hook (a template condition can leave a hook Job out of one environment).`)
  }

  if (verify.status === 'timeout') {
    io.out(`The sync is still ${verify.phase ?? 'pending'}; follow it with: ${ourCommand(['explain', target.name, '-n', target.namespace])}, or cancel it with: ${ourCommand(['unstick', target.name, '-n', target.namespace])}`)
  }
}
