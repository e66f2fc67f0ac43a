import {humanDuration, secondsSince, type Application, type ResourceResult, type ResourceStatus} from '../../app.js'
import {ARGOCD_FACTS, minutes} from '../../argocd-facts.js'
import {shellQuote} from '../../plan.js'
import {matchCatalogue} from '../catalogue/index.js'
import type {Evidence, FieldRef, Finding, LiveObject, MatchContext, Matcher, Severity} from '../types.js'
import {conditionEvidence, conditionsOf, ev, evTime, failedSyncIsOldNews, kubectlKind, liveKey, outOfSync, resourceEvidence, resourceId, resourcesWhere, type Indexed} from '../util.js'
import {byEntry, catalogueFinding, type CatalogueHit} from './catalogue.js'
import {operationEvidence} from './operation.js'

/**
 * Signatures named by their cause, built from the messages Argo CD's controller, repo-server and
 * gitops-engine really write: a ComparisonError or a failed sync by what caused it, waits that are
 * not stuck syncs, drift no built-in rule knows, and behaviour that is expected.
 */

const DOCS = {
  repos: 'https://argo-cd.readthedocs.io/en/stable/user-guide/private-repositories/',
  rbac: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters',
  grpc: 'https://github.com/argoproj/argo-cd/issues/3117',
  k8sVersions: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/tested-kubernetes-versions/',
  cmp: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/config-management-plugins/',
  multiSource: 'https://argo-cd.readthedocs.io/en/stable/user-guide/multiple_sources/#helm-value-files-from-external-git-repository',
  troubleshooting: 'https://argo-cd.readthedocs.io/en/stable/user-guide/troubleshooting/',
  syncOptions: 'https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/',
  hooks: 'https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/#hook-deletion-policies',
  health: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/health/',
  autoSync: 'https://argo-cd.readthedocs.io/en/stable/user-guide/auto_sync/#automatic-self-healing',
  diffing: 'https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/',
}

type Condition = Indexed<{type: string; message?: string; lastTransitionTime?: string}>

// ------------------------------------------------------------------ ComparisonError by cause

/** `$name/…` value files of a multi-source app, with the source that declares `ref: name`. */
function refValueFiles(app: Application): Array<{file: string; ref: string; refSource?: {repoURL?: string; path?: string}}> {
  const sources = app.spec?.sources ?? []
  const out: Array<{file: string; ref: string; refSource?: {repoURL?: string; path?: string}}> = []
  for (const s of sources) {
    const files = (s.helm as {valueFiles?: unknown} | undefined)?.valueFiles
    if (!Array.isArray(files)) continue
    for (const f of files) {
      const m = /^\$([^/]+)\//.exec(String(f))
      if (!m) continue
      const refSource = sources.find((x) => x.ref === m[1]) as {repoURL?: string; path?: string} | undefined
      out.push({file: String(f), ref: m[1], refSource})
    }
  }

  return out
}

// The transport failures conditions.ts calls repo-server-unavailable (a cause found in the same message is more specific).
const REPO_SERVER_DOWN_HINT = /DeadlineExceeded|context deadline exceeded|code = Unavailable|connection refused|transport is closing/i

function hardRefreshAfter(ctx: MatchContext, message: string): string {
  const cached = message.includes('(cached)')
  return `Then: ${ctx.command('hard-refresh')}${cached ? ' — the repo-server serves this error from its cache ("Manifest generation error (cached)") until a hard refresh, so refreshing before the fix only fails again' : ''}`
}

/** Steps only the Application can give (which $ref file points where). */
function appSpecificSteps(ctx: MatchContext, id: string): string[] {
  if (id !== 'comparison-error-values-missing') return []
  return refValueFiles(ctx.app).slice(0, 3).map((r) => `${r.file} → repository ${r.refSource?.repoURL ?? `(no source has ref: ${r.ref})`}${r.refSource?.path ? `, whose path ${r.refSource.path} is NOT prepended` : ''}: check that the file exists there at the targetRevision.`)
}

/** A ComparisonError by the catalogue entry that explains its message (src/lib/diagnose/catalogue/comparison.ts). */
export const comparisonErrorCause: Matcher = {
  id: 'comparison-error-<cause>',
  supersedes: ['comparison-error', 'manifest-generation-cached', 'repo-server-unavailable'],
  match(ctx) {
    const out: Finding[] = []
    const seen = new Set<string>()
    const refValues = refValueFiles(ctx.app).length > 0
    for (const c of conditionsOf(ctx.app, 'ComparisonError') as Condition[]) {
      const message = c.item.message ?? ''
      const match = matchCatalogue(message, {families: ['comparison'], refValueFiles: refValues})
      // An entry another signature owns (a repo-server outage) keeps that signature's finding.
      if (!match || match.entry.ownedBy || seen.has(match.entry.id)) continue
      seen.add(match.entry.id)
      const f = catalogueFinding(ctx, [{match, message, evidence: ev(`status.conditions[${c.index}].message`, message)}], {
        severity: 'warning',
        refines: message.includes('Manifest generation error (cached)') ? 'manifest-generation-cached' : REPO_SERVER_DOWN_HINT.test(message) ? 'repo-server-unavailable' : 'comparison-error',
        before: appSpecificSteps(ctx, match.entry.id),
        after: [hardRefreshAfter(ctx, message)],
      })
      f.evidence = conditionEvidence(c, ctx.now)
      if (message.includes('(cached)')) f.explanation += ' The message says "(cached)": the repo-server repeats the last error without trying again until a hard refresh, which is why it is the last step, after the fix.'
      out.push(f)
    }

    return out
  },
}

// ------------------------------------------------------------------ SyncFailed by cause

interface Failed {
  /** Where the message is: `status.operationState.message` or a syncResult entry. */
  path: string
  message: string
  resource?: ResourceResult
}

function failedMessages(ctx: MatchContext): Failed[] {
  const state = ctx.app.status?.operationState
  const out: Failed[] = []
  if (state?.message) out.push({path: 'status.operationState.message', message: state.message})
  ;(state?.syncResult?.resources ?? []).forEach((r, i) => {
    if (r?.message && (r.status === 'SyncFailed' || r.hookPhase === 'Failed' || r.hookPhase === 'Error')) out.push({path: `status.operationState.syncResult.resources[${i}].message`, message: r.message, resource: r})
  })
  return out
}

const rid = (r: ResourceResult) => resourceId({group: r.group, kind: r.kind, name: r.name, namespace: r.namespace})

/** The families a failed sync's messages can belong to (apply errors, hook results, prune errors, a hook Job's health). */
const SYNC_FAMILIES = ['apply', 'hooks', 'deletion', 'health'] as const

/**
 * Each failed message by its catalogue entry. A resource's own message is read with the resource
 * (its apiVersion decides e.g. a removed API); the operation message adds a cause only when no
 * resource message was explained, since v3.6.2 repeats them in it.
 */
function syncHits(ctx: MatchContext, messages: Failed[]): CatalogueHit[] {
  const hits: CatalogueHit[] = []
  const evidence = (f: Failed) => ev(f.path, f.message, f.resource ? rid(f.resource) : undefined)
  for (const f of messages.filter((m) => m.resource)) {
    const match = matchCatalogue(f.message, {families: SYNC_FAMILIES, resource: f.resource})
    if (match && !match.entry.ownedBy) hits.push({match, message: f.message, resource: f.resource, evidence: evidence(f)})
  }

  const specific = hits.some((h) => !h.match.entry.wrapper)
  for (const f of messages.filter((m) => !m.resource)) {
    const match = matchCatalogue(f.message, {families: SYNC_FAMILIES})
    if (!match || match.entry.ownedBy) continue
    const same = hits.findIndex((h) => h.match.entry.id === match.entry.id)
    if (same >= 0) hits.splice(same, 0, {match, message: f.message, evidence: evidence(f)})
    else if (!specific) hits.push({match, message: f.message, evidence: evidence(f)})
  }

  return hits
}

export const syncFailedCause: Matcher = {
  id: 'sync-failed-<cause>',
  supersedes: ['sync-failed'],
  match(ctx) {
    const {facts} = ctx
    if (facts.inProgress || (facts.phase !== 'Failed' && facts.phase !== 'Error')) return
    const state = ctx.app.status!.operationState!
    const messages = failedMessages(ctx)
    const base: Evidence[] = [ev('status.operationState.phase', state.phase!)]
    if (state.finishedAt) base.push(evTime('status.operationState.finishedAt', state.finishedAt, ctx.now))
    const retried = /\(retried (\d+) times\)/.exec(state.message ?? '')
    const after = retried ? ` after ${retried[1]} retries` : ''
    const severity = failedSyncIsOldNews(ctx.app) ? 'info' : 'warning'
    const sync = `Then sync again: ${ctx.command('force-presync')} (a full sync with hooks, built like argocd app sync)`
    const out: Finding[] = []
    const hits = syncHits(ctx, messages)
    const groups = byEntry(hits)
    const evidenceOf = (group: CatalogueHit[]) => [...base, ...group.slice(0, 4).map((h) => h.evidence)]

    for (const group of groups.filter((g) => !g[0].match.entry.wrapper)) {
      const {entry, captures} = group[0].match
      const rich = RICH[entry.id]
      if (rich) {
        out.push(rich(ctx, group, {severity, after, sync, evidence: evidenceOf(group), captures}))
        continue
      }

      const f = catalogueFinding(ctx, group, {severity, refines: 'sync-failed', base})
      f.title = /^Sync failed/.test(f.title) ? f.title.replace(/^Sync failed/, `Sync failed${after}`) : `Sync failed${after}: ${f.title}`
      out.push(f)
    }

    if (out.length === 0 && retried) {
      const limit = (ctx.app.spec?.syncPolicy?.retry as {limit?: number} | undefined)?.limit
      out.push({
        id: 'sync-failed-retries-exhausted',
        refines: 'sync-failed',
        severity,
        title: `Sync failed after ${retried[1]} retries: retries exhausted`,
        explanation: `The sync of ${ctx.name} failed and the controller retried it ${retried[1]} time(s)${limit !== undefined ? ` (spec.syncPolicy.retry.limit ${limit})` : ''}; it will not retry this revision again. ${ctx.app.spec?.syncPolicy?.automated ? 'Auto-sync also skips a revision whose last sync failed ("Failed last sync attempt to …") until a new commit or a manual sync. ' : ''}The failed resources' messages below say what to fix; unstick has nothing to clear.`,
        evidence: [...base, ...(messages.slice(1).length ? messages.slice(1) : messages).slice(0, 4).map((h) => ev(h.path, h.message, h.resource ? rid(h.resource) : undefined))],
        fix: {command: null, steps: ['Fix what the failed resources\' messages say (usually in Git).', sync], docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/auto_sync/'},
      })
    }

    // A wrapper ("one or more synchronization tasks are not valid") says where it failed, not why: only when nothing else did.
    if (out.length === 0) {
      for (const group of groups.filter((g) => g[0].match.entry.wrapper)) {
        const f = catalogueFinding(ctx, group, {severity, refines: 'sync-failed', base})
        f.title = f.title.replace(/^Sync failed/, `Sync failed${after}`)
        out.push(f)
      }
    }

    return out
  },
}

interface RichOpts {
  severity: Severity
  after: string
  sync: string
  evidence: Evidence[]
  captures: Record<string, string>
}

/** Entries whose finding needs more than the message: the failed resources, the app's spec. */
const RICH: Record<string, (ctx: MatchContext, group: CatalogueHit[], o: RichOpts) => Finding> = {
  'sync-failed-immutable-field'(ctx, group, {severity, after, sync, evidence}) {
    const res = group.map((h) => h.resource).filter(Boolean) as ResourceResult[]
    const hooks = res.filter((r) => r.hookType)
    const plain = res.filter((r) => !r.hookType)
    const first = plain[0] ?? hooks[0]
    return {
      id: 'sync-failed-immutable-field',
      refines: 'sync-failed',
      severity,
      title: `Sync failed${after}: an immutable field changed${first ? ` (${first.kind} ${first.name})` : ''}`,
      explanation: `Kubernetes refuses to change some fields in place ("field is immutable"): a Job's spec.template and selector, a Deployment's or StatefulSet's selector, a Service's clusterIP, a StatefulSet's volumeClaimTemplates. Applying the new manifest over the live object fails on every sync until the object is replaced (argo-cd#7430). Retrying or unsticking changes nothing.`,
      evidence,
      fix: {
        command: plain.length ? ctx.command('retry-sync', '--force') : null,
        steps: [
          ...hooks.slice(0, 2).map((r) => `${r.kind} ${r.name} is a ${r.hookType} hook: give it argocd.argoproj.io/hook-delete-policy: BeforeHookCreation in Git, so each sync deletes the old hook before creating the new one.`),
          ...plain.slice(0, 2).map((r) => `${r.kind} ${r.name}: let Argo CD replace it — annotate it in Git argocd.argoproj.io/sync-options: Replace=true (or Force=true,Replace=true to delete and recreate) — or delete it once: kubectl delete ${kubectlKind(r.kind, r.group)} ${shellQuote(r.name)}${r.namespace ? ` -n ${shellQuote(r.namespace)}` : ''}`),
          ...(res.length === 0 ? ['Find the object in the message; replace it (sync option Replace=true on it) or delete it once, or for a hook use hook-delete-policy BeforeHookCreation.'] : []),
          sync,
        ],
        docs: hooks.length && !plain.length ? DOCS.hooks : DOCS.syncOptions,
      },
    }
  },
  'sync-failed-missing-crd'(ctx, group, {severity, after, sync, evidence}) {
    const kinds = [...new Set(group.map((h) => h.resource).filter(Boolean).map((r) => `${r!.kind}${r!.group ? `.${r!.group}` : ''}`))]
    const crdInApp = resourcesWhere(ctx.app, (r) => r.kind === 'CustomResourceDefinition').length > 0
    return {
      id: 'sync-failed-missing-crd',
      refines: 'sync-failed',
      severity,
      title: `Sync failed${after}: the API server does not know ${kinds.length ? kinds.join(', ') : 'a resource kind'} (CRD missing)`,
      explanation: `The dry run that starts every sync asked the API server about ${kinds.length ? kinds.join(', ') : 'a kind'} and got "the server could not find the requested resource", so the sync stopped before applying anything ("one or more synchronization tasks are not valid"; argo-cd#6489). Its CustomResourceDefinition is not installed (yet)${crdInApp ? ', although this app has CRDs of its own: a CRD in the same sync only helps when its CRs skip the dry run' : ''}.`,
      evidence,
      fix: {
        command: crdInApp ? ctx.command('retry-sync', '--all-resources', '--skip-dry-run') : null,
        steps: [
          'Install the CRD first: from the operator\'s own app (sync that one first, or give it an earlier sync wave in the parent App-of-Apps), or put the CRD in this app with a lower argocd.argoproj.io/sync-wave than its CRs.',
          `If the CRD arrives in the same sync or is created by an operator: annotate the custom resources argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true (since Argo CD v3.1 also accepted in spec.syncPolicy.syncOptions for the whole app; argo-cd#21790), or once for this sync: ${ctx.command('retry-sync', '--all-resources', '--skip-dry-run')}`,
          sync,
        ],
        docs: DOCS.syncOptions,
      },
    }
  },
  'sync-failed-namespace-terminating'(ctx, _group, {severity, after, sync, evidence, captures}) {
    const ns = captures.ns ?? captures.ns2
    return {
      id: 'sync-failed-namespace-terminating',
      refines: 'sync-failed',
      severity,
      title: `Sync failed${after}: namespace ${ns} is being deleted`,
      explanation: `Namespace ${ns} has a deletionTimestamp, and Kubernetes refuses to create anything in a terminating namespace ("unable to create new content in namespace ${ns} because it is being terminated"; argo-cd#2257, #13216). A namespace stays Terminating until every object in it is gone, often held by a finalizer. Syncing again fails the same way until the deletion finishes.`,
      evidence,
      fix: {
        command: null,
        steps: [
          `See what holds it: kubectl get namespace ${shellQuote(ns)} -o jsonpath='{.status.conditions}' (NamespaceContentRemaining / NamespaceFinalizersRemaining name the objects and finalizers).`,
          'Let the deletion finish (fix the finalizer\'s controller, or remove the stuck finalizer of the named objects); if the namespace was deleted by mistake, it cannot be cancelled — it has to finish and be recreated.',
          'If another app\'s prune deleted it, stop that app from managing the Namespace object (or annotate the Namespace argocd.argoproj.io/sync-options: Prune=false).',
          sync,
        ],
        docs: DOCS.syncOptions,
      },
    }
  },
  'sync-failed-namespace-missing'(ctx, _group, {severity, after, sync, evidence, captures}) {
    const {ns} = captures
    const dest = ctx.app.spec?.destination?.namespace
    const create = ctx.app.spec?.syncPolicy?.syncOptions?.some((o) => /^CreateNamespace=true$/i.test(String(o)))
    const isDest = ns === dest
    return {
      id: 'sync-failed-namespace-missing',
      refines: 'sync-failed',
      severity,
      title: `Sync failed${after}: namespace ${ns} does not exist`,
      explanation: isDest
        ? `The destination namespace ${ns} does not exist${create ? ' although CreateNamespace=true is set (it only runs in a full sync with that option; a selective or older sync may skip it)' : ' and the app does not create it (no CreateNamespace=true)'}.`
        : `Resources of ${ctx.name} live in namespace ${ns}, which does not exist. CreateNamespace=true only creates the destination namespace (${dest ?? 'none set'}), never the namespaces of individual resources (argo-cd#11625).`,
      evidence: [...evidence, ev('spec.destination.namespace', dest ?? null), ev('spec.syncPolicy.syncOptions', (ctx.app.spec?.syncPolicy?.syncOptions ?? []).join(',') || null)],
      fix: {
        command: null,
        steps: isDest
          ? [
            `Add CreateNamespace=true to spec.syncPolicy.syncOptions of ${ctx.name} (labels/annotations for it: spec.syncPolicy.managedNamespaceMetadata), or create ${ns} from Git in an earlier app or sync wave.`,
            sync,
          ]
          : [
            `Add a Namespace ${ns} manifest to Git (with argocd.argoproj.io/sync-wave lower than its contents), or point the resources at ${dest ?? 'the destination namespace'}.`,
            sync,
          ],
        docs: DOCS.syncOptions,
      },
    }
  },
}

// ------------------------------------------------------------------ waits that are not stuck syncs

/** The live object read for this resource, if any. */
export function liveOf(ctx: MatchContext, r: {group?: string; kind: string; namespace?: string; name: string}): LiveObject | undefined {
  const l = ctx.related.live?.[liveKey(r)]
  return l?.status === 'found' ? l.value : undefined
}


export const syncWaitsForResource: Matcher = {
  id: 'sync-waits-for-resource',
  supersedes: ['operation-stuck', 'operation-in-progress', 'operation-age-unknown'],
  match(ctx) {
    const {facts} = ctx
    const w = facts.waiting
    if (!facts.inProgress || w?.what !== 'healthy state of' || facts.selfWait || facts.blockedBySyncWindow) return
    const found = resourcesWhere(ctx.app, (r) => r.kind === w.kind && r.name === w.name && (r.group ?? '') === w.group)[0]
    const r: ResourceStatus = found?.item ?? {group: w.group, kind: w.kind, name: w.name, namespace: ctx.app.spec?.destination?.namespace}
    const obj = liveOf(ctx, r)
    const health = r.health?.status
    const ns = r.namespace ? ` -n ${shellQuote(r.namespace)}` : ''
    const kk = `${kubectlKind(r.kind, r.group)} ${shellQuote(r.name)}${ns}`
    let what: string | undefined
    let why = ''
    const steps: string[] = []
    let cite = ''
    if (health === 'Suspended' || obj?.paused) {
      what = `${r.kind} ${r.name} is Suspended${obj?.pauseReasons?.length ? ` (${obj.pauseReasons.join(', ')})` : ''}`
      if (r.kind === 'Rollout') {
        why = 'A paused Argo Rollout (a canary pause step, or a manual pause) reports health Suspended, and the sync waits for Healthy: it finishes only when the rollout is promoted or aborted (argo-cd#19422, #25054). PostSync hooks wait with it.'
        steps.push(`Promote it when the canary is good: kubectl argo rollouts promote ${shellQuote(r.name)}${ns} (or abort: kubectl argo rollouts abort ${shellQuote(r.name)}${ns}); see kubectl argo rollouts get rollout ${shellQuote(r.name)}${ns}`)
      } else {
        why = `A paused/suspended ${r.kind} reports health Suspended, and the sync waits for Healthy until it is resumed.`
        steps.push(r.kind === 'Deployment' ? `Resume it: kubectl rollout resume deployment/${shellQuote(r.name)}${ns}` : `Resume it (spec.suspend / spec.paused on ${kk}).`)
      }

      steps.push('If the sync should not wait for a paused rollout, add a health customization that reports it Healthy while paused (resource.customizations.health.argoproj.io_Rollout in argocd-cm).')
      cite = 'argo-cd#19422'
    } else if (r.kind === 'PersistentVolumeClaim' && !r.group && (health === 'Progressing' || obj?.phase === 'Pending')) {
      const wffc = obj?.volumeBindingMode === 'WaitForFirstConsumer'
      what = `PersistentVolumeClaim ${r.name} is Pending${wffc ? ` (StorageClass ${obj?.storageClassName} binds on first consumer)` : ''}`
      why = `${wffc ? 'Its StorageClass uses volumeBindingMode: WaitForFirstConsumer' : 'If its StorageClass uses volumeBindingMode: WaitForFirstConsumer (most cloud default classes do)'}, the volume is bound only when a Pod that mounts it is scheduled — and Argo CD reports a Pending PVC as Progressing, so a sync that waits for it before the Pod's wave never gets there (argo-cd#12840, #29201).`
      steps.push(
        `Check: kubectl get pvc ${shellQuote(r.name)}${ns} -o jsonpath='{.spec.storageClassName}' and kubectl get storageclass <name> -o jsonpath='{.volumeBindingMode}'; kubectl describe pvc shows "waiting for first consumer to be created before binding".`,
        'Put the PVC in the same (or a later) sync wave as the workload that mounts it, or add a health customization so a Pending PVC of that class counts as Healthy (resource.customizations.health.PersistentVolumeClaim in argocd-cm).',
      )
      cite = 'argo-cd#12840'
    } else if (r.kind === 'Job' && r.group === 'batch' && (health === 'Progressing' || (obj?.active ?? 0) > 0)) {
      what = `Job ${r.name} is still running${obj?.active ? ` (${obj.active} active pod${obj.active === 1 ? '' : 's'})` : ''}`
      why = 'A Job is Healthy only once it completes, so a sync that includes a Job (not a hook) waits for it to finish; a Job that never finishes (a hung migration, an image that cannot be pulled) holds the sync (argo-cd#7933).'
      steps.push(`Why it does not finish: kubectl describe job ${shellQuote(r.name)}${ns}; kubectl logs job/${shellQuote(r.name)}${ns} --all-containers --tail=100`)
      cite = 'argo-cd#7933'
    }

    if (!what) return
    const evidence = operationEvidence(ctx)
    if (found) evidence.push(ev(`status.resources[${found.index}].health.status`, health ?? null, resourceId(r)))
    if (found?.item.health?.message) evidence.push(ev(`status.resources[${found.index}].health.message`, found.item.health.message))
    if (obj) {
      if (obj.phase) evidence.push(ev(`${r.kind} ${r.namespace ?? ''}/${r.name} status.phase`, obj.phase, 'read from the cluster'))
      if (obj.volumeBindingMode) evidence.push(ev(`StorageClass ${obj.storageClassName} volumeBindingMode`, obj.volumeBindingMode, 'read from the cluster'))
      if (obj.paused) evidence.push(ev(`${r.kind} ${r.namespace ?? ''}/${r.name} paused`, true, obj.pauseReasons?.join(', ') || 'read from the cluster'))
      if (obj.active !== undefined) evidence.push(ev(`${r.kind} ${r.namespace ?? ''}/${r.name} status.active`, obj.active, 'read from the cluster'))
    }

    const age = facts.ageSeconds
    steps.push(`unstick does not help: it ends this sync, and the next sync waits for the same resource. Use it only to abandon the sync: ${ctx.command('unstick')}`)
    return {
      id: 'sync-waits-for-resource',
      refines: age !== undefined && age >= ARGOCD_FACTS.longOperation ? 'operation-stuck' : 'operation-in-progress',
      severity: age !== undefined && age < ARGOCD_FACTS.orphanPhase ? 'info' : 'warning',
      title: `Sync waits${age === undefined ? '' : ` ${humanDuration(age)}`} for ${what}`,
      explanation: `The sync of ${ctx.name} is not stuck: gitops-engine says "waiting for healthy state of ${w.group ? `${w.group}/` : '/'}${w.kind}/${w.name}"${w.more ? ` and ${w.more} more` : ''}, and ${what}. ${why}`,
      evidence,
      fix: {command: null, steps, docs: cite ? `https://github.com/argoproj/argo-cd/issues/${cite.split('#')[1]}` : DOCS.health},
    }
  },
}

// ------------------------------------------------------------------ drift no rule knows

const is = (r: {group?: string; kind: string}, group: string, ...kinds: string[]) => (r.group ?? '') === group && kinds.includes(r.kind)
const WEBHOOK = (r: ResourceStatus) => is(r, 'admissionregistration.k8s.io', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration')
const KNOWN = (r: ResourceStatus) =>
  WEBHOOK(r) || is(r, 'apiregistration.k8s.io', 'APIService') || is(r, 'apiextensions.k8s.io', 'CustomResourceDefinition') || ((r.group ?? '') === 'external-secrets.io' && /ExternalSecret$/.test(r.kind))

/** The live writer of a webhook configuration owns something other than caBundle: not caBundle drift. */
export function webhookDriftIsNotCaBundle(ctx: MatchContext, r: ResourceStatus): boolean {
  const obj = liveOf(ctx, r)
  const writers = obj?.writers
  if (!writers || writers.length === 0) return false
  return !writers.some((w) => w.fields.some((f) => /caBundle/.test(f.jq)))
}

function likelyWriter(r: ResourceStatus): string {
  if (!r.group && r.kind === 'Secret') return 'something in the cluster that writes Secret data: a reflector/replicator, an operator (cert-manager, External Secrets, a database operator) or a mutating webhook'
  if (!r.group && r.kind === 'ConfigMap') return 'an operator or a mutating webhook, or a manual kubectl edit'
  if (WEBHOOK(r)) return 'the webhook\'s own operator or installer (e.g. rewriting failurePolicy or rules), not necessarily a CA injector'
  if (!r.group && r.kind === 'Service') return 'a controller or the API server filling in defaults (clusterIP, nodePort, ipFamilies)'
  return 'a controller, a mutating admission webhook, or a manual kubectl edit'
}

/** kubectl's own field-manager names (kubectl edit/patch/scale … and plain kubectl): a person, not a controller. */
const MANUAL_WRITER = /^kubectl(?:-(?:edit|patch|replace|scale|set|label|annotate|rollout|create))?$/

/** The same field, or one inside the other (a writer owns a map, the change is a key in it). */
function sameField(a: FieldRef, b: FieldRef): boolean {
  return a.jq === b.jq || a.jq.startsWith(`${b.jq}.`) || a.jq.startsWith(`${b.jq}[`) || b.jq.startsWith(`${a.jq}.`) || b.jq.startsWith(`${a.jq}[`)
}

/** Is the app Synced to what Git says, apart from drift? (same revision as the last successful sync) */
function sameRevisionAsLastSync(app: Application): boolean {
  const state = app.status?.operationState
  const rev = app.status?.sync?.revision
  const synced = state?.syncResult?.revision ?? state?.operation?.sync?.revision
  return state?.phase === 'Succeeded' && Boolean(rev) && rev === synced
}

export const unexplainedDrift: Matcher = {
  id: 'unexplained-drift',
  match(ctx) {
    if (ctx.facts.inProgress || !sameRevisionAsLastSync(ctx.app)) return
    const hpaKinds = resourcesWhere(ctx.app, (r) => r.kind === 'HorizontalPodAutoscaler').length > 0
    const hits = outOfSync(ctx.app, (r) => !r.requiresPruning && !ctx.shared.has(`${r.kind}/${r.name}`) &&
      !(hpaKinds && (r.group ?? '') === 'apps' && ['Deployment', 'StatefulSet'].includes(r.kind)) &&
      (!KNOWN(r) || (WEBHOOK(r) && webhookDriftIsNotCaBundle(ctx, r))))
    if (hits.length === 0) return
    const evidence: Evidence[] = [ev('status.sync.status', ctx.app.status?.sync?.status ?? null), ev('status.sync.revision', ctx.app.status?.sync?.revision ?? null, 'the revision the last successful sync applied: Git has not changed since')]
    evidence.push(...resourceEvidence(hits, 'status', 4))
    const steps: string[] = []
    const described: string[] = []
    for (const {item: r} of hits.slice(0, 3)) {
      const obj = liveOf(ctx, r)
      const entry = ['--kind', r.kind, ...(r.group ? ['--group', r.group] : []), '--name', r.name, ...(r.namespace ? ['--resource-namespace', r.namespace] : [])]
      // Argo CD's own diff (through its API) is exact; else what changed since the last client-side apply.
      const exact = Boolean(obj?.exactDiff?.length)
      const changed = (exact ? obj?.exactDiff : obj?.changedSinceApply) ?? []
      // The writer that owns a changed field (managedFields) says who changed it; else the newest other writer.
      const writer = obj?.writers?.find((w) => w.fields.some((f) => changed.some((c) => sameField(c, f)))) ?? obj?.writers?.[0]
      const fields = (writer && changed.length ? changed.filter((c) => writer.fields.some((f) => sameField(c, f))) : []).concat(changed.length ? [] : (writer?.fields ?? []))
      const shown = (fields.length ? fields : changed).slice(0, 4)
      if (shown.length === 0) {
        described.push(`${resourceId(r)}: likely writer ${likelyWriter(r)}`)
        steps.push(`${resourceId(r)}: see which field differs and who wrote it — argocd app diff ${shellQuote(ctx.name)} --app-namespace ${shellQuote(ctx.namespace)}, or kubectl get ${kubectlKind(r.kind, r.group)} ${shellQuote(r.name)}${r.namespace ? ` -n ${shellQuote(r.namespace)}` : ''} --show-managed-fields -o yaml — then ignore exactly that field: ${ctx.command('ignore-status', ...entry, '--json-pointer', '<pointer>')} (or --jq '<path>'), with <pointer> the field, e.g. /data/<key>.`)
        continue
      }

      const names = shown.map((f) => f.pointer ?? f.jq).join(', ')
      if (exact) evidence.push(ev(`${resourceId(r)} managed-resources diff`, names, 'Argo CD\'s own diff (its API): fields whose live value differs from Git'))
      else if (changed.length) evidence.push(ev(`${resourceId(r)} metadata.annotations.kubectl.kubernetes.io/last-applied-configuration`, names, 'the live object: fields whose value differs from what Argo CD last applied'))
      if (writer) evidence.push(ev(`${resourceId(r)} metadata.managedFields`, `${writer.manager}: ${writer.fields.slice(0, 4).map((f) => f.pointer ?? f.jq).join(', ')}`, 'read from the cluster: fields this manager wrote after Argo CD'))
      const who = writer ? writer.manager : 'a writer the object does not name (no managedFields)'
      const flags = shown.flatMap((f) => (f.pointer ? ['--json-pointer', f.pointer] : ['--jq', f.jq]))
      const line = ctx.command('ignore-status', ...entry, ...flags)
      described.push(`${resourceId(r)}: ${names} changed by ${who}`)
      if (writer && MANUAL_WRITER.test(writer.manager)) {
        steps.push(`${resourceId(r)}: ${writer.manager} is a person's kubectl, not a controller — revert it rather than ignore it: sync (${ctx.command('force-presync')}), or set spec.syncPolicy.automated.selfHeal: true so Argo CD reverts such edits itself; ignore it only if the manual value must stay: ${line}`)
      } else {
        steps.push(`If ${who} owns ${shown.length === 1 ? 'that field' : 'those fields'} by design, ignore exactly ${shown.length === 1 ? 'it' : 'them'}: ${line}`)
        if (writer) steps.push(`Or ignore whatever ${writer.manager} writes on it (its managedFields): ${ctx.command('ignore-status', ...entry, '--managed-fields-manager', writer.manager)}; with auto-sync, also add RespectIgnoreDifferences=true to spec.syncPolicy.syncOptions so a sync does not overwrite it.`)
      }
    }

    steps.push(`Or compare server-side, which applies defaults and mutating webhooks before diffing: annotate the app argocd.argoproj.io/compare-options: ServerSideDiff=true (kubectl annotate applications.argoproj.io ${shellQuote(ctx.name)} -n ${shellQuote(ctx.namespace)} argocd.argoproj.io/compare-options=ServerSideDiff=true).`)
    steps.push('If the difference is a change that should not be there, sync instead (or enable selfHeal): ignoring it would hide it.')
    return {
      id: 'unexplained-drift',
      severity: 'warning',
      title: `OutOfSync with no change in Git: ${hits.slice(0, 3).map((h) => `${h.item.kind} ${h.item.name}`).join(', ')}${hits.length > 3 ? ` and ${hits.length - 3} more` : ''}`,
      explanation: `${ctx.name} was last synced at the revision it is compared with, yet ${hits.length === 1 ? 'this resource differs' : 'these resources differ'} from Git, and none of argo-doctor's built-in rules (HPA replicas, CRD/External Secrets defaults, webhook caBundle, APIService status) explains ${hits.length === 1 ? 'it' : 'them'}: something in the cluster changes ${hits.length === 1 ? 'it' : 'them'} after Argo CD applies. ${described.join('; ')}. ` +
        'Look at the diff before ignoring anything: ignore only the field that writer owns, so a real change elsewhere still shows.',
      evidence,
      fix: {command: null, steps, docs: DOCS.diffing},
    }
  },
}

// ------------------------------------------------------------------ expected behaviour

export const autoSyncWithoutSelfHeal: Matcher = {
  id: 'auto-sync-no-self-heal',
  match(ctx) {
    const auto = ctx.app.spec?.syncPolicy?.automated as {selfHeal?: boolean; enabled?: boolean} | undefined
    if (!auto || auto.enabled === false || auto.selfHeal === true || ctx.facts.inProgress) return
    if (ctx.app.status?.sync?.status !== 'OutOfSync' || !sameRevisionAsLastSync(ctx.app)) return
    const drifted = outOfSync(ctx.app, (r) => !r.requiresPruning)
    if (drifted.length === 0) return
    return {
      id: 'auto-sync-no-self-heal',
      severity: 'info',
      title: 'OutOfSync after a live change: auto-sync is on, but selfHeal is off',
      explanation: `Automated sync starts a sync when Git changes. A change made in the cluster (kubectl edit, another controller) makes ${ctx.name} OutOfSync, but without spec.syncPolicy.automated.selfHeal nothing reverts it until the next commit or a manual sync — this is expected Argo CD behaviour, not a stuck app: auto-sync runs once per commit (argo-cd#1736, #8040). With selfHeal the controller syncs it back (after 5s by default).`,
      evidence: [ev('spec.syncPolicy.automated.selfHeal', auto.selfHeal ?? null, auto.selfHeal === undefined ? 'not set (false)' : undefined), ev('status.sync.revision', ctx.app.status?.sync?.revision ?? null, 'same revision as the last successful sync'), ...resourceEvidence(drifted, 'status', 3)],
      fix: {
        command: null,
        steps: [
          `Revert the live change now: argocd app sync ${shellQuote(ctx.name)} --app-namespace ${shellQuote(ctx.namespace)}, or ${ctx.command('force-presync')}`,
          `To revert such changes automatically: set spec.syncPolicy.automated.selfHeal: true in Git. If the change is intended (a controller owns the field), ignore that field instead — see unexplained-drift or ${ctx.command('ignore-status')}.`,
        ],
        docs: DOCS.autoSync,
      },
    }
  },
}

function progressingReason(r: ResourceStatus): string {
  const msg = r.health?.message ? ` ("${r.health.message}")` : ''
  if (is(r, 'networking.k8s.io', 'Ingress') || (r.kind === 'Ingress' && r.group === 'extensions')) return `Ingress ${r.name} has no load-balancer address yet${msg}: Argo CD calls an Ingress Healthy only once status.loadBalancer.ingress is set, and some ingress controllers never publish it (argo-cd#14607)`
  if (!r.group && r.kind === 'Service') return `Service ${r.name} (type LoadBalancer) has no external address yet${msg}: the cloud load balancer is not provisioned, or no controller provisions it (argo-cd#17702)`
  if (!r.group && r.kind === 'PersistentVolumeClaim') return `PersistentVolumeClaim ${r.name} is Pending${msg}: not bound yet (WaitForFirstConsumer classes bind only when a Pod mounts it; argo-cd#29201)`
  if (['', 'apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io'].includes(r.group ?? '')) return `${r.kind} ${r.name} is Progressing${msg}`
  return `${r.kind} ${r.name} is Progressing${msg}: its health comes from a resource.customizations health check (or the one Argo CD ships for ${r.group}), which reports Progressing until the status field it reads is set`
}

export const progressingAfterSync: Matcher = {
  id: 'progressing-after-sync',
  match(ctx) {
    const state = ctx.app.status?.operationState
    if (ctx.facts.inProgress || state?.phase !== 'Succeeded' || ctx.app.status?.health?.status !== 'Progressing') return
    const finishedAgo = secondsSince(state.finishedAt, ctx.now)
    if (finishedAgo !== undefined && finishedAgo < ARGOCD_FACTS.orphanPhase) return
    const holders = resourcesWhere(ctx.app, (r) => r.health?.status === 'Progressing' && !r.hook)
    const evidence: Evidence[] = [ev('status.health.status', 'Progressing'), ev('status.operationState.phase', 'Succeeded')]
    if (state.finishedAt) evidence.push(evTime('status.operationState.finishedAt', state.finishedAt, ctx.now))
    for (const h of holders.slice(0, 5)) evidence.push(ev(`status.resources[${h.index}].health.status`, 'Progressing', resourceId(h.item)))
    const reasons = holders.slice(0, 5).map((h) => progressingReason(h.item))
    return {
      id: 'progressing-after-sync',
      severity: finishedAgo !== undefined && finishedAgo >= ARGOCD_FACTS.longOperation ? 'warning' : 'info',
      title: `Synced${finishedAgo === undefined ? '' : ` ${humanDuration(finishedAgo)} ago`}, but health stays Progressing${holders.length ? ` (${holders.slice(0, 3).map((h) => `${h.item.kind} ${h.item.name}`).join(', ')})` : ''}`,
      explanation: `The last sync of ${ctx.name} succeeded; the app is Progressing because ${holders.length ? `${holders.length === 1 ? 'this resource reports' : 'these resources report'} Progressing: ${reasons.join('; ')}` : 'the health of a resource says so, though status.resources lists none as Progressing (the status may be stale: hard-refresh)'}. Nothing is stuck and no sync is running; the app turns Healthy when ${holders.length === 1 ? 'it does' : 'they do'}.`,
      evidence,
      fix: {
        command: null,
        steps: [
          ...holders.slice(0, 3).map((h) => `kubectl describe ${kubectlKind(h.item.kind, h.item.group)} ${shellQuote(h.item.name)}${h.item.namespace ? ` -n ${shellQuote(h.item.namespace)}` : ''}`),
          'An ingress controller that does not publish status: enable it (ingress-nginx: --publish-service / controller.publishService.enabled), or override the Ingress health check in argocd-cm (resource.customizations.health.networking.k8s.io_Ingress) if no address is ever expected.',
          ...(holders.length === 0 ? [`Refresh the status: ${ctx.command('hard-refresh')}`] : []),
        ],
        docs: DOCS.health,
      },
    }
  },
}

// ------------------------------------------------------------------ unknown age

export const operationAgeUnknown: Matcher = {
  id: 'operation-age-unknown',
  supersedes: ['operation-in-progress'],
  match(ctx) {
    const {facts} = ctx
    if (!facts.ageUnknown || !facts.operationSet || !facts.phase || facts.blockedBySyncWindow || /Retrying attempt #\d+/.test(facts.message ?? '')) return
    const limit = facts.phase === 'Terminating' ? ARGOCD_FACTS.terminating : ARGOCD_FACTS.longOperation
    const startedAt = ctx.app.status?.operationState?.startedAt
    // Offline, startedAt may be the newest timestamp in the file: the file was saved at or after it, so the age is unknown, not 0s.
    const why = startedAt
      ? `status.operationState.startedAt (${startedAt}) is the newest timestamp in the file, and the file was saved at or after it, so how long the operation had run when it was saved is unknown (pass --as-of with the time it was saved)`
      : 'status.operationState.startedAt is missing, so how long it has been so cannot be told from the object'
    return {
      id: 'operation-age-unknown',
      refines: 'operation-in-progress',
      severity: 'warning',
      title: `Sync ${facts.phase} for an unknown time (${startedAt ? 'saved at an unknown time after it started' : 'no startedAt'})`,
      explanation: `A sync of ${ctx.name} is ${facts.phase}${facts.waiting ? ` (waiting for ${facts.waiting.what} ${facts.waiting.group ? `${facts.waiting.group}/` : ''}${facts.waiting.kind}/${facts.waiting.name})` : ''}, but ${why} — it may have just started or be stuck for hours. ` +
        `${facts.phase === 'Terminating' ? 'Termination normally ends within seconds. ' : ''}Watch it: if it stays ${facts.phase} for more than ${minutes(limit)}, it is stuck and unstick ends it${facts.controllerAlive ? ' (the controller is alive, so it first asks it to terminate)' : ''}.`,
      evidence: startedAt ? operationEvidence(ctx).map((e) => (e.path === 'status.operationState.startedAt' ? {...e, note: 'the newest timestamp in the file: a lower bound on when it was saved'} : e)) : [...operationEvidence(ctx), ev('status.operationState.startedAt', null, 'absent: age unknown')],
      fix: {
        command: null,
        steps: [
          `Watch: kubectl get applications.argoproj.io ${shellQuote(ctx.name)} -n ${shellQuote(ctx.namespace)} -w -o jsonpath='{.status.operationState.phase}{" "}{.status.operationState.message}{"\\n"}'`,
          `If it has been ${facts.phase} for more than ${minutes(limit)}: ${ctx.command('unstick')}`,
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/commands/argocd_app_terminate-op/',
      },
    }
  },
}
