/**
 * rollback: sync an app back to an entry of its deployment history (status.history), as the Argo
 * CD API server's Rollback does (server/application/application.go, v3.6.2), in ONE guarded write
 * that also turns auto-sync off — the server refuses a rollback while auto-sync is on, because
 * auto-sync would sync straight back to the (bad) revision in Git.
 */
import {refOf, type Application, type ApplicationSource, type Operation} from '../app.js'
import {describeGuards, resourceVersionGuard, type JsonPatchOp, type NoChange, type Outcome} from '../plan.js'
import {ourCommand} from '../invocation.js'
import {initiatorName, syncBlocker, syncWindowAdvice, type ForcePresyncOptions} from './force-presync.js'
import {enabledAutomated, pauseMarkerOps, PAUSED_ANNOTATION} from './pause-sync.js'

/** One entry of status.history (RevisionHistory): Argo CD appends one after every successful sync. */
export interface HistoryEntry {
  id: number
  revision?: string
  revisions?: string[]
  source?: ApplicationSource
  sources?: ApplicationSource[]
  deployedAt?: string
  deployStartedAt?: string
  initiatedBy?: {username?: string; automated?: boolean}
}

export interface RollbackOptions extends Pick<ForcePresyncOptions, 'now' | 'user' | 'conn' | 'syncWindows' | 'syncWindowsUnchecked'> {
  /** status.history[].id to roll back to; default: the newest entry whose revision(s) differ from the current one. */
  to?: number
  /** Delete resources that are not in the entry's manifests (off by default, like argocd app rollback). */
  prune: boolean
  /** Free text recorded in operation.info as "Reason". */
  reason?: string
}

export function historyOf(app: Application): HistoryEntry[] {
  const history = app.status?.history
  return Array.isArray(history) ? (history as HistoryEntry[]).filter((h) => h && typeof h.id === 'number') : []
}

const isMultiSource = (app: Application) => (app.spec.sources?.length ?? 0) > 0

/** The revision(s) of an entry, one per source. */
export function revisionsOf(entry: HistoryEntry): string[] {
  return entry.revisions?.length ? entry.revisions : entry.revision ? [entry.revision] : []
}

/** What is deployed now: status.sync's revision(s), else the newest history entry's. */
export function currentRevisions(app: Application): string[] {
  const sync = app.status?.sync
  if (sync?.revisions?.length) return sync.revisions
  if (sync?.revision) return [sync.revision]
  const newest = historyOf(app).at(-1)
  return newest ? revisionsOf(newest) : []
}

const sameRevisions = (a: string[], b: string[]) => a.length > 0 && a.length === b.length && a.every((r, i) => r === b[i])

/** The default offer: the newest entry that is not what is deployed now. */
export function defaultEntry(app: Application): HistoryEntry | undefined {
  const current = currentRevisions(app)
  return [...historyOf(app)].reverse().find((h) => !sameRevisions(revisionsOf(h), current))
}

export function isCurrent(app: Application, entry: HistoryEntry): boolean {
  return sameRevisions(revisionsOf(entry), currentRevisions(app))
}

const sourceLabel = (s: ApplicationSource | undefined) => (s ? `${s.repoURL ?? '?'}${s.chart ? ` chart ${s.chart}` : s.path ? ` ${s.path}` : ''}` : '')

/** One row per history entry for the preview and the picker: ID, revision(s), source(s), deployed, by whom. Cluster text, escaped by the renderer. */
export function historyRows(app: Application): string[][] {
  return historyOf(app).map((h) => [
    String(h.id),
    revisionsOf(h).map((r) => (/^[0-9a-f]{40}$/.test(r) ? r.slice(0, 7) : r)).join(', '),
    (h.sources?.length ? h.sources : [h.source]).map((s) => sourceLabel(s)).join(', '),
    h.deployedAt ?? '',
    [h.initiatedBy?.username, h.initiatedBy?.automated ? 'auto-sync' : undefined].filter(Boolean).join(', ') || '?',
    isCurrent(app, h) ? 'current' : '',
  ])
}

export const HISTORY_HEADER = ['ID', 'REVISION', 'SOURCE', 'DEPLOYED', 'BY', '']

/** Where two source lists differ (repo, path, chart), as one line; undefined when they match. */
function sourcesMismatch(spec: ApplicationSource[], entry: ApplicationSource[]): string | undefined {
  if (spec.length !== entry.length) return `the app has ${spec.length} sources now, the entry ${entry.length}`
  for (const [i, s] of spec.entries()) {
    const e = entry[i]
    for (const key of ['repoURL', 'path', 'chart'] as const) {
      if ((s[key] ?? '') !== (e[key] ?? '')) return `source ${i + 1}: ${key} is "${s[key] ?? ''}" now, "${e[key] ?? ''}" in the entry`
    }
  }

  return undefined
}

/** The operation Argo CD's Rollback writes: the entry's revision(s) and source(s), the apply strategy, syncOptions from the spec. */
export function buildRollbackOperation(app: Application, entry: HistoryEntry, opts: Pick<RollbackOptions, 'user' | 'prune' | 'reason'>): Operation {
  const sync: NonNullable<Operation['sync']> = {}
  if (entry.revision) sync.revision = entry.revision
  if (entry.revisions?.length) sync.revisions = [...entry.revisions]
  if (opts.prune) sync.prune = true
  const syncOptions = app.spec.syncPolicy?.syncOptions
  if (syncOptions?.length) sync.syncOptions = [...syncOptions]
  // The server's rollback uses the apply strategy: a rollback applies the old manifests and runs no hooks.
  sync.syncStrategy = {apply: {}}
  // The server sets source to the entry's (zero for a multi-source entry, which the controller ignores
  // when sources is set); a zero source is left out here.
  if (entry.sources?.length) sync.sources = structuredClone(entry.sources)
  else if (entry.source) sync.source = structuredClone(entry.source)
  return {
    initiatedBy: {username: initiatorName(opts.user)},
    info: [
      ...(opts.reason ? [{name: 'Reason', value: opts.reason}] : []),
      {name: 'Initiated by', value: `argo-doctor rollback to history ID ${entry.id}`},
    ],
    sync,
  }
}

const WHY =
  'A rollback is a sync to the revision(s) and source(s) of an earlier successful deployment, recorded in status.history. This writes the operation the Argo CD API server writes for `argocd app rollback`: ' +
  'the entry\'s revision(s) and source(s), the apply strategy (hooks do not run), the app\'s syncOptions, and who asked; a completed status.operationState is cleared in the same write, as the server does. ' +
  'Argo CD refuses a rollback while auto-sync is on ("rollback cannot be initiated when auto-sync is enabled"): auto-sync would sync straight back to the revision in Git. So the same guarded write removes spec.syncPolicy.automated and records on the app who did it, when, and what it was (annotation ' + PAUSED_ANNOTATION + '); `undo` or `resume-sync` restores it exactly.'

export function buildRollbackPlan(app: Application, opts: RollbackOptions): Outcome {
  const target = refOf(app)
  const name = app.metadata.name
  const ns = target.namespace
  const refuse = (reason: string, hint?: string): NoChange => ({kind: 'refused', recipe: 'rollback', target, reason, hint, notes: []})
  const blocked = syncBlocker(app, 'rollback', opts)
  if (blocked) return blocked

  const history = historyOf(app)
  if (history.length === 0) {
    return refuse(`${name} has no deployment history (status.history is empty): Argo CD records an entry after each successful sync, so there is nothing to roll back to.`,
      `Sync a known-good revision instead: ${ourCommand(['force-presync', name, '-n', ns, '--revision', '<rev>'], opts.conn)} (with auto-sync off), or revert the change in Git.`)
  }

  const ids = history.map((h) => h.id).join(', ')
  const entry = opts.to === undefined ? defaultEntry(app) : history.find((h) => h.id === opts.to)
  if (!entry) {
    return opts.to === undefined
      ? refuse(`Every entry of ${name}'s history (IDs ${ids}) is the revision deployed now (${currentRevisions(app).join(', ')}); there is no earlier deployment to roll back to.`, 'Revert the change in Git, or sync a known-good revision.')
      : refuse(`${name} has no deployment with history ID ${opts.to} (IDs: ${ids}).`, `Pick one of them: ${ourCommand(['rollback', name, '-n', ns, '--to', '<ID>'], opts.conn)}`)
  }

  if (isCurrent(app, entry)) {
    return refuse(`History ID ${entry.id} is the revision deployed now (${revisionsOf(entry).join(', ')}); rolling back to it changes nothing.`,
      `Pick an earlier entry (IDs: ${ids}): ${ourCommand(['rollback', name, '-n', ns, '--to', '<ID>'], opts.conn)}`)
  }

  if (!entry.source?.repoURL && !entry.sources?.length) {
    return refuse(`History ID ${entry.id} records no source (deployed by a very old Argo CD), so it cannot be rolled back to; Argo CD refuses the same way.`, 'Sync to its revision instead, with auto-sync off.')
  }

  if (isMultiSource(app) || entry.sources?.length) {
    const mismatch = sourcesMismatch(app.spec.sources ?? (app.spec.source ? [app.spec.source] : []), entry.sources?.length ? entry.sources : entry.source ? [entry.source] : [])
    if (mismatch) {
      return refuse(`The sources of ${name} no longer match history ID ${entry.id} (${mismatch}): a rollback would deploy the entry's sources while the app's spec names others, and the next comparison would be against sources that were never rolled back.`,
        'Revert spec.sources in Git (or by hand) to what they were, or sync each source to a known-good revision: argocd app sync APP --revisions REV --source-positions N.')
    }
  }

  const patch: JsonPatchOp[] = [...resourceVersionGuard(app)]
  const automated = enabledAutomated(app)
  if (automated) {
    patch.push({op: 'test', path: '/spec/syncPolicy/automated', value: automated}, {op: 'remove', path: '/spec/syncPolicy/automated'})
    // The same record pause-sync writes: explain shows who turned auto-sync off and when, and resume-sync can restore it.
    if (app.metadata.annotations?.[PAUSED_ANNOTATION] === undefined) {
      patch.push(...pauseMarkerOps(app, {what: 'automated', automated, by: opts.user, at: opts.now.toISOString().replace(/\.\d{3}Z$/, 'Z'), reason: opts.reason, via: `rollback to history ID ${entry.id}`}))
    }
  }

  const state = app.status?.operationState
  if (state) {
    if (state.phase !== undefined) patch.push({op: 'test', path: '/status/operationState/phase', value: state.phase})
    patch.push({op: 'remove', path: '/status/operationState'})
  }

  patch.push({op: 'add', path: '/operation', value: buildRollbackOperation(app, entry, opts)})

  const warnings: string[] = []
  const notes: string[] = []
  const revisions = revisionsOf(entry).join(', ')
  const undo = ourCommand(['undo', name, '-n', ns], opts.conn)
  if (automated) {
    warnings.push(`Auto-sync stays OFF after the rollback (spec.syncPolicy.automated was ${JSON.stringify(automated)}): ${name} no longer follows Git. ` +
      `Turn it back on with \`${undo}\` or \`${ourCommand(['resume-sync', name, '-n', ns], opts.conn)}\` (both restore exactly that), or re-enable it once Git holds a fixed revision — until then, auto-sync would deploy the bad revision again.`)
  } else {
    notes.push(`Auto-sync is already off for ${name}; it stays off.`)
  }

  if (opts.prune) warnings.push('--prune: resources that are not in the manifests of that revision are DELETED.')
  else notes.push('Resources that are not in the manifests of that revision are left alone (pass --prune to delete them).')
  syncWindowAdvice(app, opts, warnings, notes)
  if (app.status?.resources?.some((r) => r.hook)) notes.push('The rollback uses the apply strategy, as argocd app rollback does: hooks (PreSync/Sync/PostSync) do not run.')

  return {
    kind: 'plan',
    recipe: 'rollback',
    action: 'rollback',
    target,
    summary: `Roll ${name} back to history ID ${entry.id} (revision ${revisions}${entry.deployedAt ? `, deployed ${entry.deployedAt}` : ''})${automated ? ' and turn auto-sync off' : ''}, as \`argocd app rollback\` would.`,
    why: WHY,
    patch,
    guards: describeGuards(patch),
    warnings,
    notes,
    verify: {kind: 'operation', description: 'following the rollback sync', health: true},
  }
}
