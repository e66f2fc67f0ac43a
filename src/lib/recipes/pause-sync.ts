/**
 * pause-sync / resume-sync: stop Argo CD from fighting the person fixing an incident (auto-sync
 * re-deploying a bad revision, self-heal reverting a live hotfix), and put back exactly what was
 * there afterwards.
 *
 * The record of the pause lives ON the Application, in one annotation written in the same guarded
 * patch as the change: who, when, why, and spec.syncPolicy.automated as it was. So explain can
 * say who paused an app and since when, and resume-sync works from any machine (the backup file
 * stays on the laptop that paused; `undo` uses it all the same).
 */
import jsonpatch from 'fast-json-patch'
import {refOf, type Application} from '../app.js'
import {describeGuards, resourceVersionGuard, type JsonPatchOp, type NoChange, type Outcome} from '../plan.js'
import {ourCommand, type CommandSpelling} from '../invocation.js'

export const PAUSED_ANNOTATION = 'argo-doctor/sync-paused'
const PAUSED_PATH = `/metadata/annotations/${jsonpatch.escapePathComponent(PAUSED_ANNOTATION)}`

/** What the annotation holds (JSON). */
export interface PauseMarker {
  /** automated: auto-sync turned off; selfHeal: only self-heal. */
  what: 'automated' | 'selfHeal'
  /** spec.syncPolicy.automated before the pause, exactly. */
  automated: Record<string, unknown>
  by?: string
  at?: string
  reason?: string
  /** The verb that paused it (pause-sync, rollback). */
  via?: string
  /** The annotation's text as read. */
  raw: string
}

export function readPauseMarker(app: Application): PauseMarker | undefined {
  const raw = app.metadata.annotations?.[PAUSED_ANNOTATION]
  if (raw === undefined) return undefined
  try {
    const value = JSON.parse(raw) as Partial<PauseMarker>
    if ((value.what !== 'automated' && value.what !== 'selfHeal') || !value.automated || typeof value.automated !== 'object') return undefined
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined)
    return {what: value.what, automated: value.automated, by: text(value.by), at: text(value.at), reason: text(value.reason), via: text(value.via), raw}
  } catch {
    return undefined
  }
}

/** The patch ops that record a pause on the app (the annotation, created with the map when there is none). */
export function pauseMarkerOps(app: Application, marker: Omit<PauseMarker, 'raw'>): JsonPatchOp[] {
  const value = JSON.stringify(marker)
  return app.metadata.annotations
    ? [{op: 'add', path: PAUSED_PATH, value}]
    : [{op: 'add', path: '/metadata/annotations', value: {[PAUSED_ANNOTATION]: value}}]
}

/** spec.syncPolicy.automated when it turns auto-sync on (Argo CD's IsAutomatedSyncEnabled). */
export function enabledAutomated(app: Application): Record<string, unknown> | undefined {
  const automated = app.spec.syncPolicy?.automated
  return automated && typeof automated === 'object' && automated.enabled !== false ? automated : undefined
}

export interface PauseOptions {
  now: Date
  user: string
  /** Only turn self-heal off; auto-sync keeps following Git. */
  selfHealOnly: boolean
  reason?: string
  conn?: CommandSpelling
}

export function buildPausePlan(app: Application, opts: PauseOptions): Outcome {
  const target = refOf(app)
  const name = app.metadata.name
  const resume = ourCommand(['resume-sync', name, '-n', target.namespace], opts.conn)
  const nothing = (reason: string, hint?: string): NoChange => ({kind: 'nothing', recipe: 'pause-sync', target, reason, hint, notes: []})
  const existing = readPauseMarker(app)
  if (existing) return nothing(`${existing.what === 'selfHeal' ? 'Self-heal' : 'Auto-sync'} of ${name} is already paused by argo-doctor${existing.by ? ` (${existing.by}` : ''}${existing.at ? `, ${existing.at})` : existing.by ? ')' : ''}.`, `Resume it with: ${resume}`)
  const automated = enabledAutomated(app)
  if (!automated) return nothing(`Auto-sync of ${name} is already off (no enabled spec.syncPolicy.automated); Argo CD does not sync it on its own.`)
  if (opts.selfHealOnly && automated.selfHeal !== true) return nothing(`Self-heal of ${name} is already off (spec.syncPolicy.automated.selfHeal is ${JSON.stringify(automated.selfHeal ?? null)}); live changes are not reverted.`)

  const patch: JsonPatchOp[] = [...resourceVersionGuard(app), {op: 'test', path: '/spec/syncPolicy/automated', value: automated}]
  if (opts.selfHealOnly) patch.push({op: 'replace', path: '/spec/syncPolicy/automated/selfHeal', value: false})
  else patch.push({op: 'remove', path: '/spec/syncPolicy/automated'})
  patch.push(...pauseMarkerOps(app, {what: opts.selfHealOnly ? 'selfHeal' : 'automated', automated, by: opts.user, at: opts.now.toISOString().replace(/\.\d{3}Z$/, 'Z'), reason: opts.reason, via: 'pause-sync'}))

  const what = opts.selfHealOnly ? 'self-heal' : 'auto-sync'
  return {
    kind: 'plan',
    recipe: 'pause-sync',
    action: 'pause',
    target,
    summary: `Pause ${what} of ${name} for the incident${opts.selfHealOnly ? ' (auto-sync keeps following Git)' : ''}.`,
    why: opts.selfHealOnly
      ? 'With self-heal on, Argo CD reverts every live change within seconds: a hotfix applied by hand (a scaled Deployment, an edited ConfigMap) disappears while you work. Setting spec.syncPolicy.automated.selfHeal to false stops that; new commits are still deployed.'
      : 'With auto-sync on, Argo CD deploys whatever Git holds and (with self-heal) reverts live changes: during an incident it re-deploys the bad revision and undoes hand-made fixes. Removing spec.syncPolicy.automated stops both until it is resumed.',
    patch,
    guards: describeGuards(patch),
    warnings: [`${what === 'self-heal' ? 'Self-heal' : 'Auto-sync'} stays OFF until you resume it: ${resume} (restores exactly ${JSON.stringify(automated)}).`],
    notes: [`The pause is recorded on the app itself (annotation ${PAUSED_ANNOTATION}: who, when, and the setting before), so explain shows it and resume-sync works from any machine.`],
    verify: {kind: 'none'},
  }
}

/** What a pause left in spec.syncPolicy.automated (undefined = absent). */
function leftByPause(marker: PauseMarker): Record<string, unknown> | undefined {
  return marker.what === 'selfHeal' ? {...marker.automated, selfHeal: false} : undefined
}

const canonical = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v)) ?? 'undefined'

export function buildResumePlan(app: Application): Outcome {
  const target = refOf(app)
  const name = app.metadata.name
  const refuse = (kind: NoChange['kind'], reason: string, hint?: string): NoChange => ({kind, recipe: 'resume-sync', target, reason, hint, notes: []})
  const marker = readPauseMarker(app)
  if (!marker) {
    return app.metadata.annotations?.[PAUSED_ANNOTATION] === undefined
      ? refuse('nothing', `${name} was not paused by argo-doctor (no ${PAUSED_ANNOTATION} annotation); nothing to resume.`, enabledAutomated(app) ? undefined : 'Auto-sync is off: turn it on in Git (spec.syncPolicy.automated) or with argocd app set APP --sync-policy automated.')
      : refuse('refused', `The ${PAUSED_ANNOTATION} annotation of ${name} is not a pause record argo-doctor can read; nothing was changed.`, `Set spec.syncPolicy.automated by hand, then remove the annotation: kubectl annotate applications.argoproj.io ${name} -n ${target.namespace} ${PAUSED_ANNOTATION}-`)
  }

  const now = app.spec.syncPolicy?.automated
  const expected = leftByPause(marker)
  if (canonical(now) !== canonical(expected)) {
    return refuse('refused', `spec.syncPolicy.automated of ${name} changed since it was paused${marker.by ? ` by ${marker.by}` : ''}${marker.at ? ` at ${marker.at}` : ''}: the pause left ${expected === undefined ? 'it absent' : JSON.stringify(expected)}, now it is ${now === undefined ? 'absent' : JSON.stringify(now)}. Resuming would overwrite that change, so nothing was written.`,
      `If the current setting is what you want, only drop the pause record: kubectl annotate applications.argoproj.io ${name} -n ${target.namespace} ${PAUSED_ANNOTATION}-`)
  }

  const patch: JsonPatchOp[] = [...resourceVersionGuard(app)]
  if (expected !== undefined) patch.push({op: 'test', path: '/spec/syncPolicy/automated', value: expected}, {op: 'replace', path: '/spec/syncPolicy/automated', value: marker.automated})
  else if (app.spec.syncPolicy) patch.push({op: 'add', path: '/spec/syncPolicy/automated', value: marker.automated})
  else patch.push({op: 'add', path: '/spec/syncPolicy', value: {automated: marker.automated}})
  patch.push({op: 'test', path: PAUSED_PATH, value: marker.raw}, {op: 'remove', path: PAUSED_PATH})

  return {
    kind: 'plan',
    recipe: 'resume-sync',
    action: 'resume',
    target,
    summary: `Resume ${marker.what === 'selfHeal' ? 'self-heal' : 'auto-sync'} of ${name}: spec.syncPolicy.automated back to ${JSON.stringify(marker.automated)}, as before the pause${marker.by ? ` by ${marker.by}` : ''}${marker.at ? ` at ${marker.at}` : ''}.`,
    why: `The ${PAUSED_ANNOTATION} annotation records what spec.syncPolicy.automated was before argo-doctor ${marker.via ?? 'pause-sync'} turned it off; this puts exactly that back and removes the record, guarded so that a setting someone changed since is never overwritten.`,
    patch,
    guards: describeGuards(patch),
    warnings: [`With ${marker.what === 'selfHeal' ? 'self-heal' : 'auto-sync'} on again, Argo CD ${marker.what === 'selfHeal' ? 'reverts live changes that differ from Git (hand-made fixes included)' : `syncs ${name} to what Git holds now — if Git still holds the bad revision, it is deployed again`}.`],
    notes: [],
    verify: {kind: 'reconcile', description: 'waiting for the controller to re-compare the app', expectSynced: false},
  }
}
