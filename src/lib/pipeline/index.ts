/**
 * The one path every change takes:
 * read → plan → preview (server dryRun=All) → diff → confirm → back up → guarded apply → verify.
 * Commands build recipes (or sequences of them, `Step`s) and make one call: `runRecipe` (one
 * step), `runSteps` (a sequence on one app) or `runBatch` (many apps, one confirmation). Only this
 * folder decides when the cluster is written.
 *
 * One file per part: one-app.ts (runRecipe), steps.ts (runSteps), batch.ts (runBatch), report.ts
 * (the verify step), types.ts (the shapes they share). Saved plans are src/lib/plans.ts.
 */
export type {PipelineEnv, Preview, RunOptions, StepResult} from './types.js'
export {runRecipe} from './one-app.js'
export {runSteps} from './steps.js'
export {createLimiter, runBatch, type BatchEntry, type BatchOptions} from './batch.js'
