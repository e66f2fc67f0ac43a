/**
 * What does a controller or Kubernetes message mean? The one seam generic findings ask, so that
 * the knowledge of messages lives in one place: the catalogue (./catalogue/), kept as data, each
 * entry with the source that emits the message. Returns undefined when nothing is known about the
 * text: the caller then says what the state means in Argo CD's terms and quotes the message as it is.
 */
import {matchCatalogue, renderCause} from './catalogue/index.js'
import {catalogueVars} from './signatures/catalogue.js'
import type {MatchContext, Severity} from './types.js'

export interface MessageMeaning {
  /** The catalogue entry that explains it. */
  id: string
  /** A short name for the cause. */
  title: string
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
  version?: string
  namespace?: string
  name?: string
}

export function explainMessage(text: string | undefined, facts: MessageFacts, ctx: MatchContext): MessageMeaning | undefined {
  if (!text) return undefined
  const resource = facts.kind ? {group: facts.group, version: facts.version, kind: facts.kind, namespace: facts.namespace, name: facts.name} : undefined
  const match = matchCatalogue(text, {resource})
  // A wrapper ("one or more objects failed to apply") says where it failed, not why: the caller's own words are better.
  if (!match || match.entry.wrapper) return undefined
  const rendered = renderCause(match, catalogueVars(ctx, text, resource), ctx.command)
  return {id: match.entry.id, title: rendered.title, cause: rendered.cause, steps: rendered.steps, docs: match.entry.docs}
}
