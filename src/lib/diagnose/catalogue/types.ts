/**
 * One entry of the message catalogue: what a message written by Argo CD, gitops-engine or
 * Kubernetes means, what to do about it, and where the text comes from. Entries are data; the one
 * matcher that walks them is in ./index.ts.
 */

export type Family = 'apply' | 'comparison' | 'health' | 'deletion' | 'hooks'

export const FAMILY_TITLES: Record<Family, string> = {
  apply: 'Apply failures (sync)',
  comparison: 'Comparison and manifest generation',
  health: 'Health of built-in kinds and common resources',
  deletion: 'Deletion and finalizers',
  hooks: 'Hooks, waves and retries',
}

/** What the message is matched with: the resource it is about, when known, and facts of the app. */
export interface MatchInput {
  /** The resource the message is about (a syncResult entry, a status.resources entry). */
  resource?: {group?: string; version?: string; kind?: string; namespace?: string; name?: string}
  /** The app has helm valueFiles that start with `$ref/` (multi-source). */
  refValueFiles?: boolean
  /** Only entries of these families. */
  families?: readonly Family[]
}

export interface CatalogueEntry {
  /** Stable id, also the finding id when the entry makes one (`sync-failed-…`, `comparison-error-…`). */
  id: string
  family: Family
  /** Matched against the whole message; named groups become template variables. */
  pattern: RegExp
  title: string
  /**
   * The cause, for a user. Templates: `{{name}}` is a named group of the pattern, a derived value,
   * or one of app, appNamespace, controllerNamespace, resource, kubectlTarget; `{{cmd:verb --flag v}}`
   * is the exact argo-doctor command line for this app.
   */
  cause: string
  fix: {
    /** The primary argo-doctor command ([verb, ...flags]), when one of ours fixes it. */
    command?: string[]
    steps: string[]
  }
  /** Public Argo CD / Kubernetes documentation or a public issue. */
  docs: string
  /** Where the message text comes from: `module/path/file.go@version`, or a public issue URL. */
  source: string
  /** Argo CD versions that write it, where versions differ. */
  argocd?: string
  /** Real messages this entry must match, each with where it was taken from (format string or issue). */
  examples: Array<{message: string; from: string; resource?: MatchInput['resource']}>
  /**
   * Values computed from the groups and the input; undefined means the entry does not apply after
   * all (e.g. a "no matches for kind" whose kind is not in the removed-API table).
   */
  derive?: (groups: Record<string, string>, input: MatchInput) => Record<string, string> | undefined
  /** A wrapper text (e.g. "one or more objects failed to apply"): used only when no other entry matched. */
  wrapper?: boolean
  /** Another signature already turns this message into a finding with more evidence: its id. */
  ownedBy?: string
}

export interface CatalogueMatch {
  entry: CatalogueEntry
  /** Named groups of the pattern plus derived values. */
  captures: Record<string, string>
}
