/**
 * What does a controller or Kubernetes message mean? The one seam generic findings ask, so that
 * the knowledge of messages lives in one place (a catalogue kept as data, each entry with the
 * source that emits the message). Returns undefined when nothing is known about the text: the
 * caller then says what the state means in Argo CD's terms and quotes the message as it is.
 */
import type {Severity} from './types.js'

export interface MessageMeaning {
  /** The cause, in one sentence. */
  cause: string
  /** What to do about it. */
  steps: string[]
  docs?: string
  severity?: Severity
}

/** Facts about where the message was found, for entries that depend on them. */
export interface MessageFacts {
  /** Where it was read: a field path such as `status.resources[2].health.message`. */
  path: string
  /** The state it goes with: Degraded, SyncFailed, a condition type … */
  state: string
  kind?: string
  group?: string
}

export function explainMessage(_text: string | undefined, _facts: MessageFacts): MessageMeaning | undefined {
  return undefined
}
