import {humanDuration, secondsSince, type Application, type ResourceStatus} from '../app.js'
import {ourCommand} from '../invocation.js'
import type {CommandStyle, Evidence} from './types.js'

/** Small helpers shared by the signature matchers. */

export function ev(path: string, value: Evidence['value'] | undefined, note?: string): Evidence {
  const e: Evidence = {path, value: value === undefined ? null : value}
  if (note) e.note = note
  return e
}

/** "9h8m ago", or undefined for a missing/invalid timestamp. */
export function ago(timestamp: string | undefined, now: Date): string | undefined {
  const s = secondsSince(timestamp, now)
  return s === undefined ? undefined : `${humanDuration(s)} ago`
}

/** Evidence for a timestamp field, with its age as the note. */
export function evTime(path: string, timestamp: string | undefined, now: Date): Evidence {
  return ev(path, timestamp, ago(timestamp, now))
}

/** "Deployment.apps wealist-prod/auth-service" (core group: "Secret argocd/argocd-secret"), kubectl's kind.group spelling. */
export function resourceId(r: {group?: string; kind: string; name: string; namespace?: string}): string {
  return `${r.kind}${r.group ? `.${r.group}` : ''} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`
}

export interface Indexed<T> {
  index: number
  item: T
}

export function resourcesWhere(app: Application, pred: (r: ResourceStatus) => boolean): Array<Indexed<ResourceStatus>> {
  const out: Array<Indexed<ResourceStatus>> = []
  const list = app.status?.resources
  if (!Array.isArray(list)) return out
  for (let i = 0; i < list.length; i++) if (list[i] && pred(list[i])) out.push({index: i, item: list[i]})
  return out
}

export function outOfSync(app: Application, pred: (r: ResourceStatus) => boolean = () => true): Array<Indexed<ResourceStatus>> {
  return resourcesWhere(app, (r) => r.status === 'OutOfSync' && !r.hook && pred(r))
}

export function resourceEvidence(entries: Array<Indexed<ResourceStatus>>, field: 'status' | 'requiresPruning' | 'requiresDeletionConfirmation' | 'hook' = 'status', limit = 5): Evidence[] {
  const out = entries.slice(0, limit).map(({index, item}) => ev(`status.resources[${index}].${field}`, item[field] as Evidence['value'], resourceId(item)))
  if (entries.length > limit) out.push(ev('status.resources', `${entries.length - limit} more`, `not listed: ${entries.slice(limit).map((e) => resourceId(e.item)).join(', ')}`.slice(0, 300)))
  return out
}

/** Sync options in effect for the app: spec.syncPolicy.syncOptions (what argocd app sync copies). */
export function syncOptions(app: Application): string[] {
  const opts = app.spec?.syncPolicy?.syncOptions
  return Array.isArray(opts) ? opts : []
}

export function hasSyncOption(app: Application, option: string): boolean {
  const want = option.toLowerCase()
  return syncOptions(app).some((o) => String(o).toLowerCase() === want)
}

export function conditionsOf(app: Application, type?: string): Array<Indexed<{type: string; message?: string; lastTransitionTime?: string}>> {
  const list = app.status?.conditions
  if (!Array.isArray(list)) return []
  const out = []
  for (let i = 0; i < list.length; i++) if (list[i] && (!type || list[i].type === type)) out.push({index: i, item: list[i]})
  return out
}

export function conditionEvidence(c: Indexed<{type: string; message?: string; lastTransitionTime?: string}>, now: Date): Evidence[] {
  const out = [ev(`status.conditions[${c.index}].type`, c.item.type), ev(`status.conditions[${c.index}].message`, c.item.message ?? null)]
  if (c.item.lastTransitionTime) out.push(evTime(`status.conditions[${c.index}].lastTransitionTime`, c.item.lastTransitionTime, now))
  return out
}

/** Where the app's manifests come from, for steps that name the repository and path. */
export function describeSource(app: Application): {text: string; path?: string; plainDirectory: boolean; sourceIndex?: number} {
  const multi = Boolean(app.spec?.sources?.length)
  const sources = multi ? app.spec.sources! : app.spec?.source ? [app.spec.source] : []
  const withPath = sources.filter((s) => s.path)
  const s = withPath.length === 1 ? withPath[0] : sources[0]
  if (!s) return {text: 'its source', plainDirectory: false}
  const plainDirectory = !s.helm && !s.kustomize && !s.chart && !s.plugin
  const text = s.path ? `\`${s.path}\` in ${s.repoURL ?? 'its repository'}` : s.chart ? `chart ${s.chart} from ${s.repoURL ?? 'its repository'}` : (s.repoURL ?? 'its source')
  return {text, path: s.path, plainDirectory, sourceIndex: multi ? sources.indexOf(s) : undefined}
}

/** The argv (without the program) of one of our commands on an app, with the user's connection flags. */
export function commandArgs(style: CommandStyle, verb: string, name: string, namespace: string, extra: string[] = []): string[] {
  const parts = [verb, name, '-n', namespace, ...extra]
  if (style.kubeconfig) parts.push('--kubeconfig', style.kubeconfig)
  if (style.context) parts.push('--context', style.context)
  return parts
}

/** The exact command line for one of our commands, spelled the way the user invoked us, every word quoted. */
export function commandLine(style: CommandStyle, verb: string, name: string, namespace: string, extra: string[] = []): string {
  return ourCommand(commandArgs(style, verb, name, namespace, extra), style.bin)
}

/** kubectl's short resource names for the steps we print. */
export function kubectlKind(kind: string, group?: string): string {
  const k = kind.toLowerCase()
  return group ? `${k}.${group}` : k
}

const SHARED = /^([^\s/]+)\/(\S+) is part of /

/** "Kind/name" of every resource named by a SharedResourceWarning condition. */
export function sharedObjects(app: Application): Set<string> {
  const out = new Set<string>()
  const list = app.status?.conditions
  if (!Array.isArray(list)) return out
  for (const c of list) {
    if (c?.type !== 'SharedResourceWarning') continue
    const m = SHARED.exec(c.message ?? '')
    if (m) out.add(`${m[1]}/${m[2]}`)
  }

  return out
}

/** The key of one resource of the app in Related's maps (live objects, health bundles). */
export function liveKey(r: {group?: string; kind: string; namespace?: string; name: string}): string {
  return `${r.group ?? ''}/${r.kind}/${r.namespace ?? ''}/${r.name}`
}

/**
 * A failed sync of an app that is Synced now is old news (info), unless a hook failed: a failed
 * hook (a migration, a check) did not do its work even if the app's resources match Git.
 */
export function failedSyncIsOldNews(app: Application): boolean {
  const results = app.status?.operationState?.syncResult?.resources ?? []
  const hookFailed = results.some((r) => r.hookType && (r.hookPhase === 'Failed' || r.hookPhase === 'Error'))
  return app.status?.sync?.status === 'Synced' && !hookFailed
}
