/**
 * A sequence of steps on one app (e.g. terminate → hard refresh, falling back to clearing), each
 * step one runRecipe.
 */
import type {AppRef} from '../app.js'
import {DoctorError} from '../errors.js'
import type {Step} from '../plan.js'
import {runRecipe} from './one-app.js'
import type {PipelineEnv, RunOptions, StepResult} from './types.js'

/**
 * Run a sequence of steps on one app (e.g. terminate → hard refresh, falling back to clearing).
 * The first step is previewed and confirmed; a later step marked preApproved is covered by that
 * confirmation, any other step gets its own preview and confirmation. Stops at the first step
 * that does not apply.
 */
export async function runSteps(env: PipelineEnv, ref: AppRef, first: Step, opts: RunOptions = {}): Promise<StepResult[]> {
  const results: StepResult[] = []
  const prefix = opts.compact ? `${ref.namespace}/${ref.name}: ` : ''
  let step: Step | undefined = first
  while (step) {
    if (step.announce) env.io.out(`${prefix}${step.announce}`)
    let result: StepResult
    try {
      result = await runRecipe(env, ref, step.build, {
        ...opts,
        // The caller's approval covers the step it approved; a later step only when marked preApproved.
        preApproved: results.length === 0 ? opts.preApproved : step.preApproved,
        approvedKey: results.length === 0 ? opts.approvedKey : undefined,
        firstRead: results.length === 0 ? opts.firstRead : undefined,
        verifyTimeoutSeconds: step.verifyTimeoutSeconds,
      })
    } catch (error) {
      // A later step failed: the earlier writes happened all the same, and the error says so.
      const applied = results.filter((r) => r.status === 'applied')
      if (applied.length === 0 || !(error instanceof DoctorError)) throw error
      const done = applied.map((r) => `${r.action ?? r.recipe} (resourceVersion ${r.resourceVersion?.after})`).join(', ')
      throw new DoctorError(error.code, `${error.message} Before that, ${done} WAS applied.`, error.hint, {...error.details, steps: results})
    }

    results.push(result)
    if (result.status === 'previewed' && !opts.compact) for (const line of step.rest?.(result) ?? []) env.io.out(line)
    if (result.status !== 'applied') break
    step = step.next?.(result)
    if (step && !opts.compact) env.io.out()
  }

  return results
}
