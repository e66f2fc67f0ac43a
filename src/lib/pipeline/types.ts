/**
 * The shapes the pipeline shares: what a command hands it (PipelineEnv, RunOptions) and what one step
 * of it returns (StepResult, and the Preview a dry run keeps).
 */
import type {AppRef, Application} from '../app.js'
import type {ConnectionFlags, Plan} from '../plan.js'
import type {Io} from '../render/io.js'
import type {AppSource} from '../source.js'
import type {VerifyOutcome} from '../verify.js'

export interface PipelineEnv {
  io: Io
  source: AppSource
  conn: ConnectionFlags
  dryRun: boolean
  yes: boolean
  wait: boolean
  /** Seconds to wait for the controller in the verify step. */
  timeoutSeconds: number
  now: () => Date
  /** Aborted on Ctrl-C / SIGTERM. */
  signal?: AbortSignal
  /** Bounds the requests of many apps at once (runBatch); waits for the controller are not bounded. */
  writeSlots?: <T>(fn: () => Promise<T>) => Promise<T>
  /** Who asks besides the kubeconfig user, named in the Event (e.g. 'MCP client "claude-code"'). */
  actor?: string
  /** Called with each one-app preview a dry run makes (--save-plan, MCP plan_<verb>: stop after the preview and keep it). */
  onPreview?: (preview: Preview) => void
}

/** A previewed change: the plan, the object it was made from, and what the user was shown (diff, kubectl). */
export interface Preview {
  plan: Plan
  before: Application
  result: StepResult
}

export interface StepResult {
  recipe: string
  action?: string
  app: AppRef
  status: 'previewed' | 'applied' | 'nothing-to-do' | 'refused' | 'declined'
  exitCode: number
  summary: string
  why?: string
  hint?: string
  warnings: string[]
  notes: string[]
  guards?: string[]
  patch?: Plan['patch']
  kubectl?: string
  diff?: string
  backup?: string
  resourceVersion?: {before?: string; after?: string}
  /** How many times the plan was rebuilt on a fresh read because someone (usually the controller) wrote first. */
  replans?: number
  verify?: VerifyOutcome
  /** Set with RunOptions.deferVerify; not part of the JSON. */
  waitForController?: () => Promise<VerifyOutcome>
}
export interface RunOptions {
  /** The user already approved this step (a follow-up of an approved plan). */
  preApproved?: boolean
  /** Override --timeout for this plan's verify step. */
  verifyTimeoutSeconds?: (plan: Plan) => number | undefined
  /** One line per app instead of the full preview (many apps at once). */
  compact?: boolean
  /** Return right after the write; the caller awaits `result.waitForController()` (many apps at once). */
  deferVerify?: boolean
  /** The change the user approved in an earlier preview: a different plan now is a conflict, never written. */
  approvedKey?: string
  /**
   * The app as the caller has just read it (to gather what the recipe needs): the first round plans
   * from it instead of reading again. A copy that is already stale fails the resourceVersion guard
   * of the dry run and is re-read, as after any concurrent write.
   */
  firstRead?: Application
}
