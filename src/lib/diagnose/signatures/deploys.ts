/**
 * After a deploy: an app that turned Degraded with the last successful sync (roll it back), and an
 * app whose auto-sync argo-doctor paused for an incident (so nobody forgets to resume it).
 */
import {currentRevisions, defaultEntry, historyOf, revisionsOf} from '../../recipes/rollback.js'
import {PAUSED_ANNOTATION, readPauseMarker} from '../../recipes/pause-sync.js'
import type {Evidence, Matcher} from '../types.js'
import {ev, evTime, resourceId, resourcesWhere} from '../util.js'

const short = (revisions: string[]) => revisions.map((r) => (/^[0-9a-f]{40}$/.test(r) ? r.slice(0, 7) : r)).join(', ')

export const degradedAfterDeploy: Matcher = {
  id: 'degraded-after-deploy',
  match(ctx) {
    const {app, facts} = ctx
    if (app.status?.health?.status !== 'Degraded' || facts.inProgress || facts.operationSet) return
    const state = app.status.operationState
    if (state && state.phase !== 'Succeeded') return
    const history = historyOf(app)
    const newest = history.at(-1)
    const previous = defaultEntry(app)
    if (!newest || !previous) return
    // Degraded since that deploy: the health changed at or after it started (when both are known).
    const since = app.status.health.lastTransitionTime
    const deployed = newest.deployStartedAt ?? newest.deployedAt
    if (since && deployed && Date.parse(since) < Date.parse(deployed)) return
    const degraded = resourcesWhere(app, (r) => r.health?.status === 'Degraded' && !r.hook)
    const evidence: Evidence[] = [ev('status.health.status', 'Degraded')]
    if (since) evidence.push(evTime('status.health.lastTransitionTime', since, ctx.now))
    evidence.push(ev(`status.history[${history.length - 1}]`, `ID ${newest.id}, revision ${short(currentRevisions(app))}`, newest.deployedAt ? `deployed ${newest.deployedAt}` : undefined))
    evidence.push(ev(`status.history[${history.indexOf(previous)}]`, `ID ${previous.id}, revision ${short(revisionsOf(previous))}`, previous.deployedAt ? `deployed ${previous.deployedAt}` : undefined))
    for (const d of degraded.slice(0, 3)) evidence.push(d.item.health?.message ? ev(`status.resources[${d.index}].health.message`, d.item.health.message, resourceId(d.item)) : ev(`status.resources[${d.index}].health.status`, d.item.health?.status ?? null, resourceId(d.item)))
    const auto = app.spec.syncPolicy?.automated && (app.spec.syncPolicy.automated as {enabled?: boolean}).enabled !== false
    return {
      id: 'degraded-after-deploy',
      severity: 'warning',
      title: `Degraded since the last deploy (history ID ${newest.id}, revision ${short(currentRevisions(app))})${degraded.length ? `: ${degraded.slice(0, 2).map((d) => `${d.item.kind} ${d.item.name}`).join(', ')}` : ''}`,
      explanation: `The last sync of ${ctx.name} succeeded — Kubernetes accepted the manifests — but the app has been Degraded since${degraded.length ? `: ${degraded.slice(0, 3).map((d) => `${d.item.kind} ${d.item.name}${d.item.health?.message ? ` ("${d.item.health.message}")` : ''}`).join('; ')}` : ''}. ` +
        `The previous deployment (history ID ${previous.id}, revision ${short(revisionsOf(previous))}) is the fastest way back while the cause is fixed in Git (a wrong image tag, a bad config value).${auto ? ' Auto-sync is on, so a plain sync to the old revision is undone by the next auto-sync: a rollback turns auto-sync off in the same write.' : ''}`,
      evidence,
      fix: {
        command: ctx.command('rollback', '--to', String(previous.id)),
        steps: [
          `Then fix the cause in Git (revert the commit, or correct the image tag or value); once Git is fixed, turn auto-sync back on exactly as it was: ${ctx.command('resume-sync')}`,
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/commands/argocd_app_rollback/',
      },
    }
  },
}

export const autoSyncPausedByUs: Matcher = {
  id: 'auto-sync-paused',
  match(ctx) {
    const marker = readPauseMarker(ctx.app)
    if (!marker) return
    return {
      id: 'auto-sync-paused',
      severity: 'info',
      title: `${marker.what === 'selfHeal' ? 'Self-heal' : 'Auto-sync'} paused by argo-doctor${marker.by ? ` (${marker.by}` : ''}${marker.at ? `${marker.by ? ', ' : ' ('}${marker.at}` : ''}${marker.by || marker.at ? ')' : ''}`,
      explanation: `Someone paused ${marker.what === 'selfHeal' ? 'self-heal' : 'automated sync'} of ${ctx.name} with argo-doctor ${marker.via ?? 'pause-sync'}${marker.reason ? ` ("${marker.reason}")` : ''}: ${marker.what === 'selfHeal' ? 'live changes are no longer reverted' : `${ctx.name} no longer follows Git`} until it is resumed.`,
      evidence: [ev(`metadata.annotations.${PAUSED_ANNOTATION}`, marker.raw), ...(marker.at ? [evTime('paused at', marker.at, ctx.now)] : [])],
      fix: {
        command: ctx.command('resume-sync'),
        steps: ['Resume when the incident is over; it restores exactly what was there before the pause.'],
      },
    }
  },
}
