import type {ResourceStatus} from '../../app.js'
import {shellQuote} from '../../shell.js'
import {liveHealthOf} from '../health.js'
import {matchCatalogue, renderCause, type CatalogueMatch} from '../catalogue/index.js'
import type {Evidence, Finding, MatchContext, Matcher, Severity} from '../types.js'
import {ev, kubectlKind, resourceId, resourcesWhere, type Indexed} from '../util.js'

/**
 * Findings built from the message catalogue (src/lib/diagnose/catalogue): the template variables a
 * message's context provides, one finding per entry, and the matcher for health messages of
 * managed resources.
 */

type ResourceRef = {group?: string; kind?: string; namespace?: string; name?: string}

/** The tool's own last "Error: …" line, else the message, shortened. */
export function rootCause(text: string, limit = 240): string {
  const i = text.lastIndexOf('Error: ')
  const tail = (i >= 0 ? text.slice(i) : text).trim()
  return tail.length > limit ? `${tail.slice(0, limit - 1)}…` : tail
}

/** Template variables for a message about `resource` (when known) of this app. */
export function catalogueVars(ctx: MatchContext, message: string, resource?: ResourceRef): Record<string, string> {
  const ns = resource?.namespace ?? ctx.app.spec?.destination?.namespace ?? ''
  const repos = [...new Set([ctx.app.spec?.source?.repoURL, ...(ctx.app.spec?.sources ?? []).map((s) => s.repoURL)].filter(Boolean))] as string[]
  const vars: Record<string, string> = {
    app: ctx.name,
    appNamespace: ctx.namespace,
    controllerNamespace: ctx.controllerNamespace,
    namespace: ns || 'default',
    nsFlag: ns ? ` -n ${shellQuote(ns)}` : '',
    rootCause: rootCause(message),
    repos: repos.join(', ') || 'the repository',
    resource: 'the resource',
  }
  if (resource?.kind && resource.name) {
    vars.name = resource.name
    vars.kind = resource.kind
    vars.resource = resourceId({group: resource.group, kind: resource.kind, name: resource.name, namespace: resource.namespace})
    vars.kubectlTarget = `${kubectlKind(resource.kind, resource.group)} ${shellQuote(resource.name)}${resource.namespace ? ` -n ${shellQuote(resource.namespace)}` : ''}`
  }

  return vars
}

export interface CatalogueHit {
  match: CatalogueMatch
  message: string
  evidence: Evidence
  resource?: ResourceRef
}

/** One finding for the hits of one entry (the first hit's captures fill the templates). */
export function catalogueFinding(ctx: MatchContext, hits: CatalogueHit[], opts: {severity: Severity; refines?: string; base?: Evidence[]; titlePrefix?: string; before?: string[]; after?: string[]}): Finding {
  // Render from a hit that knows its resource (the operation message repeats it without one).
  const first = hits.find((h) => h.resource) ?? hits[0]
  const r = renderCause(first.match, catalogueVars(ctx, first.message, first.resource), ctx.command)
  const {entry} = first.match
  return {
    id: entry.id,
    ...(opts.refines ? {refines: opts.refines} : {}),
    severity: opts.severity,
    title: `${opts.titlePrefix ?? ''}${r.title}`,
    explanation: r.cause,
    evidence: [...(opts.base ?? []), ...hits.slice(0, 4).map((h) => h.evidence)],
    fix: {command: r.command ?? null, steps: [...(opts.before ?? []), ...r.steps, ...(opts.after ?? [])], docs: entry.docs},
  }
}

/** Group hits by entry, in the order they were first seen. */
export function byEntry(hits: CatalogueHit[]): CatalogueHit[][] {
  const groups = new Map<string, CatalogueHit[]>()
  for (const h of hits) {
    const list = groups.get(h.match.entry.id) ?? []
    list.push(h)
    groups.set(h.match.entry.id, list)
  }

  return [...groups.values()]
}

// ------------------------------------------------------------------ health of managed resources

const UNHEALTHY = new Set(['Degraded', 'Missing', 'Progressing', 'Suspended'])

export const resourceHealthCause: Matcher = {
  id: 'health-<cause>',
  match(ctx) {
    const hits: Array<CatalogueHit & {item: Indexed<ResourceStatus>}> = []
    for (const item of resourcesWhere(ctx.app, (r) => UNHEALTHY.has(r.health?.status ?? '') && Boolean(r.health?.message))) {
      const r = item.item
      // Read live (a single-app explain): the coverage pass's finding holds this entry's meaning and the live cause.
      if ((liveHealthOf(ctx.related, r)?.cause.causes.length ?? 0) > 0) continue
      const message = r.health!.message!
      const match = matchCatalogue(message, {families: ['health', 'deletion', 'hooks'], resource: r})
      if (!match || match.entry.ownedBy || match.entry.wrapper) continue
      hits.push({match, message, resource: r, item, evidence: ev(`status.resources[${item.index}].health.message`, message, resourceId(r))})
    }

    const out: Finding[] = []
    for (const group of byEntry(hits)) {
      const items = group.map((h) => (h as (typeof hits)[number]).item)
      const degraded = items.some((i) => i.item.health?.status === 'Degraded') || group[0].match.entry.family === 'deletion'
      // Across a fleet, a resource still progressing (an image being pulled again) is noise.
      if (ctx.fleet && !degraded) continue
      const base = items.slice(0, 3).map((i) => ev(`status.resources[${i.index}].health.status`, i.item.health?.status ?? null, resourceId(i.item)))
      const f = catalogueFinding(ctx, group, {severity: degraded ? 'warning' : 'info', base})
      if (group.length > 1) f.title += ` (and ${group.length - 1} more)`
      out.push(f)
    }

    return out
  },
}
