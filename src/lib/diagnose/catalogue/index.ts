/**
 * The message catalogue: every message argo-doctor recognises, as data (one file per family), and
 * the one matcher that walks it. Pure: no I/O, no Application — callers say what they know about
 * the message (its resource, app facts) in a MatchInput.
 */
import {shellQuote} from '../../shell.js'
import {APPLY} from './apply.js'
import {COMPARISON} from './comparison.js'
import {DELETION} from './deletion.js'
import {HEALTH_ENTRIES} from './health.js'
import {HOOKS_ENTRIES} from './hooks.js'
import {FAMILY_TITLES, type CatalogueEntry, type CatalogueMatch, type Family, type MatchInput} from './types.js'

export * from './types.js'
export {REMOVED_APIS, removedApi} from './removed-apis.js'

/** In match order: the first non-wrapper entry that matches wins. */
export const CATALOGUE: readonly CatalogueEntry[] = [...APPLY, ...HOOKS_ENTRIES, ...DELETION, ...HEALTH_ENTRIES, ...COMPARISON]

/** Captured text is cluster text: keep it short in sentences. */
const MAX_CAPTURE = 300

function definedGroups(groups: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(groups ?? {})) if (v !== undefined) out[k] = v.length > MAX_CAPTURE ? `${v.slice(0, MAX_CAPTURE - 1)}…` : v.trim()
  return out
}

/**
 * The catalogue entry that explains this message, with its captures; undefined when none does
 * (the caller then keeps its generic finding). A wrapper entry ("one or more objects failed to
 * apply") is returned only when no specific entry matches.
 */
export function matchCatalogue(message: string, input: MatchInput = {}): CatalogueMatch | undefined {
  let wrapper: CatalogueMatch | undefined
  for (const entry of CATALOGUE) {
    if (input.families && !input.families.includes(entry.family)) continue
    const m = entry.pattern.exec(message)
    if (!m) continue
    const groups = definedGroups(m.groups)
    const derived = entry.derive ? entry.derive(groups, input) : {}
    if (derived === undefined) continue
    const hit = {entry, captures: {...groups, ...derived}}
    if (!entry.wrapper) return hit
    wrapper ??= hit
  }

  return wrapper
}

export interface RenderedCause {
  title: string
  cause: string
  steps: string[]
  /** The entry's primary command line, when it names one of ours. */
  command?: string
  /** Template names no value was given for (a bug in an entry: the tests check there are none). */
  missing: string[]
}

const TEMPLATE = /\{\{(q:|cmd:)?([^{}]+)\}\}/g

/**
 * Fill an entry's templates. `vars` are the captures plus the caller's context (app, namespace …);
 * `command` builds one of our command lines for the app (MatchContext.command).
 */
export function renderCause(match: CatalogueMatch, vars: Record<string, string>, command: (verb: string, ...extra: string[]) => string): RenderedCause {
  const values = {...vars, ...match.captures}
  const missing = new Set<string>()
  const fill = (text: string) => text.replace(TEMPLATE, (_all, kind: string | undefined, name: string) => {
    if (kind === 'cmd:') {
      const [verb, ...extra] = name.trim().split(/\s+/)
      return command(verb, ...extra)
    }

    const value = values[name]
    if (value === undefined) {
      missing.add(name)
      return `<${name}>`
    }

    return kind === 'q:' ? shellQuote(value) : value
  })
  const {entry} = match
  return {
    title: fill(entry.title),
    cause: fill(entry.cause),
    steps: entry.fix.steps.map((s) => fill(s)),
    command: entry.fix.command ? command(entry.fix.command[0], ...entry.fix.command.slice(1)) : undefined,
    missing: [...missing],
  }
}

/** Entries per family, for the README's coverage table. */
export function coverage(): Array<{family: Family; entries: number; sources: string[]}> {
  const families: Family[] = ['apply', 'comparison', 'health', 'deletion', 'hooks']
  return families.map((family) => {
    const list = CATALOGUE.filter((e) => e.family === family)
    const sources = [...new Set(list.map((e) => sourceModule(e.source)))].sort()
    return {family, entries: list.length, sources}
  })
}

/** "k8s.io/apiserver/pkg/…@v0.35.0" → "k8s.io/apiserver@v0.35.0"; an issue URL → "owner/repo#N". */
export function sourceModule(source: string): string {
  const issue = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/(?:issues|pull)\/(\d+)/.exec(source)
  if (issue) return 'public issues'
  const m = /^(github\.com\/argoproj\/argo-cd\/gitops-engine\/v3|github\.com\/argoproj\/argo-cd\/v3|k8s\.io\/[\w-]+|google\.golang\.org\/grpc)\/?[^@\s]*(@v[\d.]+)?/.exec(source)
  if (!m) return 'other'
  const name = m[1].replace('github.com/argoproj/argo-cd/gitops-engine/v3', 'gitops-engine').replace('github.com/argoproj/argo-cd/v3', 'argo-cd').replace('google.golang.org/grpc', 'grpc')
  return m[2] ? `${name}${m[2]}` : name
}

/** The README's coverage table (checked by test/unit/diagnose/catalogue.test.ts; written by scripts/catalogue-coverage.mjs). */
export function coverageTable(): string {
  const rows = coverage().map((c) => `| ${FAMILY_TITLES[c.family]} | ${c.entries} | ${c.sources.join(', ')} |`)
  return ['| family | entries | where the messages come from |', '|---|---|---|', ...rows].join('\n')
}
