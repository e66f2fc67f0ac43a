/**
 * The coverage pass: explain is never blind. After the specific matchers ran, every non-green
 * fact of the app (facts.ts) must be quoted by a finding at least as severe as the state. A fact
 * no finding quotes gets a generic finding that says what the state means in Argo CD's terms,
 * which resource it is, its message, and the next diagnostic step (for unhealthy resources, the
 * cause read from their Pods and Events: health.ts). App-level summaries (sync and health status,
 * a SyncError that repeats a failed operation) are added to the finding that explains their parts.
 * Pure.
 */
import {humanDuration, secondsSince} from '../app.js'
import {byVersion} from '../argocd-facts.js'
import {sh} from '../shell.js'
import {appTreeHealthFacts, type FactKind, type NonGreenFact} from './facts.js'
import {liveHealthOf} from './health.js'
import {explainMessage} from './messages.js'
import {SEVERITY_RANK, type Evidence, type Finding, type MatchContext, type Severity} from './types.js'
import {ago, describeSource, ev, kubectlKind} from './util.js'

const DOCS_HEALTH = 'https://argo-cd.readthedocs.io/en/stable/operator-manual/health/'
const DOCS_STATUS = 'https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/'
const DOCS_HOOKS = 'https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/'

/** What each resource health means, in gitops-engine's terms (pkg/health/health.go). */
const HEALTH_MEANING: Record<string, string> = {
  Degraded: 'Argo CD\'s health check reports Degraded: the resource failed, or cannot reach the state its spec asks for (a rollout that timed out, a failed Job or Pod, a custom health check that says so).',
  Missing: 'The resource is in the desired state from Git but does not exist in the cluster: it was not created yet (no sync ran, the sync failed before it, or it is in a later wave) or it was deleted outside Argo CD.',
  Unknown: 'Argo CD could not assess its health: the health check itself failed — for a custom resource, usually a Lua health check (resource.customizations.health in argocd-cm, or one Argo CD ships for the kind) that raised an error, and the message is that error.',
  Suspended: 'The resource is suspended or paused on purpose (a suspended CronJob or Job, a paused Deployment or Rollout): Argo CD reports Suspended, and the app shows Suspended when that is its worst resource.',
  Progressing: 'Its health check still reports Progressing well after the last sync finished: the rollout is not finishing, or the status field the check reads is never set.',
}

function covers(f: Finding, fact: NonGreenFact): boolean {
  return SEVERITY_RANK[f.severity] <= SEVERITY_RANK[fact.minSeverity] && f.evidence.some((e) => fact.coveredBy.includes(e.path))
}

/** The findings that quote a fact, most severe first. */
function coveringFinding(findings: readonly Finding[], fact: NonGreenFact): Finding | undefined {
  return findings.find((f) => covers(f, fact))
}

const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

function describeStep(r: {kind: string; group?: string; name: string; namespace?: string}): string {
  return sh('kubectl', 'describe', kubectlKind(r.kind, r.group), r.name, ...(r.namespace ? ['-n', r.namespace] : []))
}

function factEvidence(fact: NonGreenFact): Evidence[] {
  const out = [ev(fact.path, fact.value, fact.evidenceNote ?? fact.resource)]
  if (fact.messagePath) out.push(ev(fact.messagePath, fact.message ?? null))
  return out
}

interface HistoryEntry {
  revision?: string
  deployedAt?: string
  id?: number
}

/** "If the last sync introduced it …: roll back" when status.history has an earlier deployment. */
function rollbackStep(ctx: MatchContext): string | undefined {
  const history = (Array.isArray(ctx.app.status?.history) ? ctx.app.status.history : []) as HistoryEntry[]
  if (history.length < 2) return undefined
  const last = history.at(-1)!
  const prev = history.at(-2)!
  const short = (r?: string) => (r ? r.slice(0, 10) : '?')
  const when = secondsSince(last.deployedAt, ctx.now)
  return `If the last sync introduced it (revision ${short(last.revision)}${when === undefined ? '' : `, deployed ${humanDuration(when)} ago`}; before it the app ran ${short(prev.revision)}), roll back to the previous deployment first, then fix Git: ${ctx.command('rollback')}`
}

function whereStep(ctx: MatchContext, where: 'git' | 'cluster' | undefined): string | undefined {
  if (where === 'git') return `Fix it in Git (${describeSource(ctx.app).text}) and sync; a change made only in the cluster is reverted by the next sync or shows as drift.`
  if (where === 'cluster') return 'Fix it in the cluster (capacity, a missing Secret or ConfigMap, registry credentials): nothing in Git needs to change for that.'
  return undefined
}

function meaningOf(ctx: MatchContext, fact: NonGreenFact) {
  const r = fact.entry
  return explainMessage(fact.message, {path: fact.messagePath ?? fact.path, state: fact.state, kind: r?.kind, group: r?.group, version: r?.version, namespace: r?.namespace, name: r?.name}, ctx)
}

/** A generic finding for one unhealthy resource (or failed hook): meaning, message, cause from live evidence, next steps. */
function healthFinding(ctx: MatchContext, fact: NonGreenFact, severity: Severity, hook: boolean): Finding {
  const r = fact.entry!
  const live = liveHealthOf(ctx.related, r)
  const bundle = live?.bundle
  const cause = live?.cause
  const meaning = meaningOf(ctx, fact)
  const hookType = 'hookType' in r ? r.hookType : undefined
  const evidence = [...factEvidence(fact), ...(cause?.evidence ?? [])]
  const lead = hook
    ? `The ${hookType ? `${hookType} ` : ''}hook ${fact.resource} ended ${String(fact.value)}. Argo CD stops a sync at a failed hook: the resources of later phases and waves were not applied, and the sync ends Failed.`
    : HEALTH_MEANING[fact.state] ?? `Its health is ${fact.state}.`
  const because = cause?.causes.length ? ` Why, from ${bundle!.object.status === 'found' || bundle!.pods?.status === 'found' ? 'the live objects' : 'its Events'}: ${cause.causes.slice(0, 3).join('; ').replace(/\.$/, '')}.` : ''
  const message = fact.message ? ` Its message: "${clip(fact.message, 300)}".` : ''
  const steps = [
    ...(meaning?.steps ?? []),
    ...(cause?.steps ?? []),
    describeStep(r),
    ...(bundle && bundle.lacks.length > 0 && fact.state !== 'Suspended' ? [`The -f file does not hold ${bundle.lacks.join(', ')}: save them next to the app in the same file to see why.`] : []),
    ...(fact.state === 'Unknown' && !hook && r.group ? [`If the message is a Lua error, the health check for ${r.group}/${r.kind} is at fault, not the resource: fix it in argocd-cm (resource.customizations.health.${r.group}_${r.kind}) and test it with argocd admin settings resource-overrides health.`] : []),
    ...(fact.state === 'Missing' ? [`Sync the app (or just this resource): ${sh('argocd', 'app', 'sync', ctx.name, '--app-namespace', ctx.namespace, '--resource', `${r.group ?? ''}:${r.kind}:${r.namespace ? `${r.namespace}/` : ''}${r.name}`)}`] : []),
  ]
  const where = fact.state === 'Suspended' ? undefined : whereStep(ctx, cause?.where)
  if (where) steps.push(where)
  if (fact.state === 'Degraded' && !hook && !ctx.fleet) {
    const rollback = rollbackStep(ctx)
    if (rollback) steps.push(rollback)
  }

  const headline = cause?.causes[0] ?? (meaning?.cause) ?? (fact.message ? clip(fact.message) : undefined)
  return {
    id: hook ? 'hook-failed' : `resource-${fact.state.toLowerCase()}`,
    severity,
    title: `${hook ? `${hookType ?? ''} hook `.trimStart() : ''}${fact.resource} ${hook ? `ended ${String(fact.value)}` : `is ${fact.state}`}${headline ? `: ${headline}` : ''}`,
    explanation: `${lead}${meaning ? ` ${meaning.cause}` : ''}${message}${because}`,
    evidence,
    fix: {command: null, steps: [...new Set(steps)], docs: meaning?.docs ?? (hook ? DOCS_HOOKS : DOCS_HEALTH)},
  }
}

/** The live evidence says why the resource or hook failed (its Pods, conditions, Events). */
function hasLiveCause(ctx: MatchContext, fact: NonGreenFact): boolean {
  const r = fact.entry!
  return (liveHealthOf(ctx.related, r)?.cause.causes.length ?? 0) > 0
}

/** One finding for a group of resource facts of the same kind (OutOfSync, requiresPruning, PruneSkipped). */
function groupFinding(ctx: MatchContext, kind: 'resource-sync' | 'requires-pruning' | 'prune-skipped', facts: NonGreenFact[]): Finding {
  const names = facts.slice(0, 3).map((f) => f.resource).join(', ') + (facts.length > 3 ? ` and ${facts.length - 3} more` : '')
  const evidence = facts.flatMap((f) => factEvidence(f))
  const diff = sh('argocd', 'app', 'diff', ctx.name, '--app-namespace', ctx.namespace)
  if (kind === 'requires-pruning') {
    return {
      id: 'resources-require-pruning',
      severity: 'info',
      title: `${facts.length} resource${facts.length === 1 ? '' : 's'} no longer in Git, waiting to be pruned: ${names}`,
      explanation: 'Argo CD marks a resource requiresPruning when it is still in the cluster but no longer in the desired state from Git. It deletes it only on a sync with prune (spec.syncPolicy.automated.prune: true, or argocd app sync --prune); until then the app stays OutOfSync.',
      evidence,
      fix: {command: null, steps: [`Check they should go: ${diff}`, `Then prune them: ${sh('argocd', 'app', 'sync', ctx.name, '--app-namespace', ctx.namespace, '--prune')}`], docs: DOCS_STATUS},
    }
  }

  if (kind === 'prune-skipped') {
    return {
      id: 'prune-skipped',
      severity: 'info',
      title: `The last sync skipped pruning ${facts.length} resource${facts.length === 1 ? '' : 's'}: ${names}`,
      explanation: 'Argo CD did not delete these resources although they are no longer in Git: prune was off for that sync (no automated.prune, no --prune), or the resource is annotated argocd.argoproj.io/sync-options: Prune=false.' +
        (facts[0].message ? ` Message: "${clip(facts[0].message, 200)}".` : ''),
      evidence,
      fix: {command: null, steps: [`Check they should go: ${diff}`, `Then sync with prune: ${sh('argocd', 'app', 'sync', ctx.name, '--app-namespace', ctx.namespace, '--prune')}`], docs: DOCS_STATUS},
    }
  }

  const running = ctx.facts.inProgress
  return {
    id: 'resources-out-of-sync',
    severity: running ? 'info' : 'warning',
    title: `${facts.length} resource${facts.length === 1 ? '' : 's'} OutOfSync: ${names}`,
    explanation: `Argo CD's comparison of the live objects with the desired state from Git finds ${facts.length === 1 ? 'a difference' : 'differences'}: Git changed and the change is not synced yet, or something changed the live object${facts.length === 1 ? '' : 's'}. ` +
      (running ? 'A sync is running and may resolve it.' : ctx.app.spec?.syncPolicy?.automated ? 'Auto-sync is on, yet no sync is running: the last sync attempt of this revision may have failed (auto-sync does not retry it), or the difference reappears after each sync.' : 'Auto-sync is off: nothing syncs it until someone does.'),
    evidence,
    fix: {command: null, steps: [`See the difference: ${diff}`, `If Git is right, sync: ${sh('argocd', 'app', 'sync', ctx.name, '--app-namespace', ctx.namespace)}; if the live change is expected, ignore the field (spec.ignoreDifferences).`], docs: DOCS_STATUS},
  }
}

function syncFailedFinding(ctx: MatchContext, fact: NonGreenFact): Finding {
  const meaning = meaningOf(ctx, fact)
  return {
    id: 'resource-sync-failed',
    severity: ctx.app.status?.sync?.status === 'Synced' ? 'info' : 'warning',
    title: `${fact.resource} failed to sync${fact.message ? `: ${clip(fact.message)}` : ''}`,
    explanation: `Argo CD could not apply this resource in the last sync (its result is SyncFailed); the message is the API server's or kubectl's answer.${meaning ? ` ${meaning.cause}` : ''}`,
    evidence: factEvidence(fact),
    fix: {command: null, steps: [...(meaning?.steps ?? []), 'Fix what the message names (usually the manifest in Git), then sync again.', describeStep(fact.entry!)], docs: meaning?.docs ?? DOCS_STATUS},
  }
}

function appLevelFinding(ctx: MatchContext, fact: NonGreenFact): Finding {
  const meaning = meaningOf(ctx, fact)
  const refresh = ctx.command('hard-refresh')
  if (fact.kind === 'app-sync') {
    const unknown = fact.state === 'Unknown'
    return {
      id: 'app-not-synced',
      severity: 'warning',
      title: `Sync status ${fact.state}, and no resource says why`,
      explanation: unknown
        ? 'Argo CD could not compare the app with Git: generating the manifests or reaching the destination cluster failed, and no condition says why (the status may be stale).'
        : `The app is ${fact.state}, but status.resources lists no OutOfSync resource: the status may be stale, or the difference is in a resource the status does not list.`,
      evidence: factEvidence(fact),
      fix: {command: null, steps: [`Refresh the status: ${refresh}`, `Then look: ${sh('argocd', 'app', 'get', ctx.name, '--app-namespace', ctx.namespace, '--refresh')}`], docs: DOCS_STATUS},
    }
  }

  if (fact.kind === 'app-health') {
    const missing = fact.state === 'Missing'
      ? ` ${byVersion(ctx.related.argocdVersion, 4, 'an app is Missing only when none of its resources exists (argo-cd#25962); one missing resource no longer counts.', 'one missing resource that has a health check (a Deployment, say) makes the whole app Missing.')}` +
        (ctx.facts.inProgress ? ' A sync is running and has not created them yet (a PreSync hook or an earlier wave comes first).' : '')
      : ''
    return {
      id: `app-health-${fact.state.toLowerCase()}`,
      severity: fact.minSeverity,
      title: `Health ${fact.state}${fact.message ? `: ${clip(fact.message)}` : ''}`,
      explanation: `The app's health is ${fact.state}. Argo CD sets it to the worst health of its resources, but status.resources names none that is ${fact.state} (the status may be stale, or the resource is not listed). ${fact.state} means: ${HEALTH_MEANING[fact.state] ?? 'see the docs'}${missing}${meaning ? ` ${meaning.cause}` : ''}`,
      evidence: factEvidence(fact),
      fix: {command: null, steps: [`List the resources and their health: ${sh('argocd', 'app', 'resources', ctx.name, '--app-namespace', ctx.namespace)}`, `Refresh the status: ${refresh}`], docs: DOCS_HEALTH},
    }
  }

  if (fact.kind === 'operation') {
    return {
      id: `operation-${fact.state.toLowerCase()}`,
      severity: fact.minSeverity,
      title: `Last operation ${fact.state}${fact.message ? `: ${clip(fact.message)}` : ''}`,
      explanation: `The app's last sync operation is ${fact.state}.${meaning ? ` ${meaning.cause}` : ''}`,
      evidence: factEvidence(fact),
      fix: {command: null, steps: [`See the operation: ${sh('argocd', 'app', 'get', ctx.name, '--app-namespace', ctx.namespace, '--show-operation')}`]},
    }
  }

  // condition
  return {
    id: `condition-${fact.state.replaceAll(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`,
    severity: /Error$|Warning$/.test(fact.state) ? 'warning' : 'info',
    title: `Condition ${fact.state}${fact.message ? `: ${clip(fact.message)}` : ''}`,
    explanation: `The controller set condition ${fact.state} on ${ctx.name}.${meaning ? ` ${meaning.cause}` : ''}`,
    evidence: factEvidence(fact),
    fix: {command: null, steps: [...(meaning?.steps ?? []), `Read the conditions: ${sh('kubectl', 'get', 'applications.argoproj.io', ctx.name, '-n', ctx.namespace)} -o jsonpath='{.status.conditions}'`]},
  }
}

/**
 * A finding that already explains a resource fact without quoting it: an OutOfSync resource, one
 * waiting to be pruned or still Progressing, whose other state a finding quotes (the sync failed for
 * it), that another app also tracks, that the running sync waits for, or (OutOfSync) that a running
 * sync is applying.
 */
function relatedHost(ctx: MatchContext, facts: readonly NonGreenFact[], fact: NonGreenFact, findings: readonly Finding[]): Finding | undefined {
  if (!(fact.kind === 'resource-sync' || fact.kind === 'requires-pruning' || (fact.kind === 'resource-health' && fact.state === 'Progressing'))) return undefined
  const ok = (f: Finding | undefined) => f && SEVERITY_RANK[f.severity] <= SEVERITY_RANK[fact.minSeverity] ? f : undefined
  const r = fact.entry!
  for (const other of facts) {
    if (other === fact || other.resource !== fact.resource) continue
    const host = ok(coveringFinding(findings, other))
    if (host) return host
  }

  // A resource another app also tracks: SharedResourceWarning explains its drift.
  if (ctx.shared.has(`${r.kind}/${r.name}`)) {
    const host = ok(findings.find((f) => f.evidence.some((e) => e.value === 'SharedResourceWarning')))
    if (host) return host
  }

  const w = ctx.facts.waiting
  if (w && w.kind === r.kind && w.name === r.name && (w.group ?? '') === (r.group ?? '')) {
    const host = ok(findings.find((f) => f.evidence.some((e) => e.path === 'status.operationState.message')))
    if (host) return host
  }

  if (fact.kind === 'resource-sync' && ctx.facts.inProgress) return ok(findings.find((f) => f.evidence.some((e) => e.path === 'status.operationState.phase')))
  return undefined
}

/** Which facts an app-level fact summarises: the finding that covers one of them explains it. */
const PARTS: Partial<Record<FactKind, FactKind[]>> = {
  'app-sync': ['resource-sync', 'requires-pruning', 'sync-result', 'condition', 'operation'],
  'app-health': ['resource-health', 'sync-result', 'condition'],
}

/**
 * The findings to add so that every non-green fact is covered; may also add evidence to the
 * findings that explain a summarised fact. `findings` are the specific matchers' findings, `facts`
 * the app's nonGreenFacts.
 */
export function coverageFindings(ctx: MatchContext, findings: Finding[], facts: readonly NonGreenFact[]): Finding[] {
  const added: Finding[] = []
  const all = () => [...findings, ...added]
  const uncovered = (f: NonGreenFact) => !coveringFinding(all(), f)
  const grouped: Record<'resource-sync' | 'requires-pruning' | 'prune-skipped', NonGreenFact[]> = {'resource-sync': [], 'requires-pruning': [], 'prune-skipped': []}

  // Resource facts first: their findings are what app-level facts attach to.
  for (const fact of facts) {
    // A specific finding quotes it, but the live evidence says why: the cause gets its own finding.
    const hook = fact.kind === 'sync-result' && fact.state.startsWith('hook ')
    if ((hook || fact.kind === 'resource-health') && !uncovered(fact) && hasLiveCause(ctx, fact)) {
      added.push(healthFinding(ctx, fact, hook ? 'warning' : fact.minSeverity, hook))
      continue
    }

    if (!uncovered(fact)) continue
    const host = relatedHost(ctx, facts, fact, all())
    if (host) {
      host.evidence.push(...factEvidence(fact))
      continue
    }

    if (fact.kind === 'resource-health') added.push(healthFinding(ctx, fact, fact.minSeverity, false))
    else if (fact.kind === 'sync-result' && fact.state.startsWith('hook ')) added.push(healthFinding(ctx, fact, 'warning', true))
    else if (fact.kind === 'sync-result' && fact.state === 'SyncFailed') added.push(syncFailedFinding(ctx, fact))
    else if (fact.kind === 'sync-result') grouped['prune-skipped'].push(fact)
    else if (fact.kind === 'resource-sync' || fact.kind === 'requires-pruning') grouped[fact.kind].push(fact)
  }

  for (const kind of ['resource-sync', 'requires-pruning', 'prune-skipped'] as const) if (grouped[kind].length > 0) added.push(groupFinding(ctx, kind, grouped[kind]))
  // Resource health kept in the app tree (Argo CD 3.x default): the live objects say which resource and why.
  for (const fact of appTreeHealthFacts(ctx.app, (r) => (liveHealthOf(ctx.related, r)?.cause.causes.length ?? 0) > 0)) added.push(healthFinding(ctx, fact, fact.minSeverity, false))

  const opFact = facts.find((f) => f.kind === 'operation')
  for (const fact of facts) {
    if (!uncovered(fact) || fact.kind.startsWith('resource') || fact.kind === 'sync-result' || fact.kind === 'requires-pruning') continue
    // A summary, or a SyncError condition repeating a failed operation: add it to the finding that explains the parts.
    const parts = fact.kind === 'app-health' && fact.state === 'Progressing' ? [...PARTS['app-health']!, 'operation' as FactKind]
      : PARTS[fact.kind] ?? (fact.kind === 'condition' && fact.state === 'SyncError' && opFact ? ['operation'] as FactKind[] : [])
    const host = facts.filter((f) => f !== fact && parts.includes(f.kind)).map((f) => coveringFinding(all(), f)).find((f) => f && SEVERITY_RANK[f.severity] <= SEVERITY_RANK[fact.minSeverity])
    if (host) {
      host.evidence.push(...factEvidence(fact).map((e) => (e.path === fact.path && !e.note ? {...e, note: fact.kind === 'condition' ? 'the same failure, as a condition' : fact.kind === 'app-sync' ? 'the app\'s sync status' : 'the app\'s health: the worst of its resources'} : e)))
      continue
    }

    if (ctx.app.metadata.deletionTimestamp && (fact.kind === 'app-sync' || fact.kind === 'app-health')) {
      // While the controller deletes an app's resources, its sync and health say so: one finding for both.
      let deleting = all().find((f) => f.evidence.some((e) => e.path === 'metadata.deletionTimestamp') && (f.id === 'app-deleting' || SEVERITY_RANK[f.severity] <= SEVERITY_RANK[fact.minSeverity]))
      if (!deleting) {
        deleting = {
          id: 'app-deleting',
          severity: 'info',
          title: 'Application is being deleted',
          explanation: `${ctx.name} has a deletionTimestamp: the controller is deleting its resources (its finalizers hold the Application until they are gone), so its sync and health status describe a deletion in progress. explain flags it if the deletion does not finish.`,
          evidence: [ev('metadata.deletionTimestamp', ctx.app.metadata.deletionTimestamp, ago(ctx.app.metadata.deletionTimestamp, ctx.now))],
          fix: {command: null, steps: []},
        }
        added.push(deleting)
      }

      if (SEVERITY_RANK[fact.minSeverity] < SEVERITY_RANK[deleting.severity]) deleting.severity = fact.minSeverity
      deleting.evidence.push(...factEvidence(fact))
      continue
    }

    added.push(appLevelFinding(ctx, fact))
  }

  return added
}
