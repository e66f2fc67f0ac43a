import {sh} from '../../shell.js'
import {humanDuration, secondsSince, type IgnoreDifference, type ResourceStatus} from '../../app.js'
import {isScalable} from '../../recipes/ignore-rules.js'
import type {Evidence, MatchContext, Matcher} from '../types.js'
import {ev, evTime, hasSyncOption, outOfSync, resourceEvidence, resourcesWhere, type Indexed} from '../util.js'
import {liveOf as live, webhookDriftIsNotCaBundle} from './causes.js'

/**
 * "Synced but not really" and "OutOfSync forever": noise that ignore-status silences, and the
 * two cases where Synced hides work that never happened (hooks, config roll-outs).
 */

const RESPECT = 'RespectIgnoreDifferences=true'
const DOCS_DIFFING = 'https://argo-cd.readthedocs.io/en/stable/user-guide/diffing/'

const is = (r: ResourceStatus, group: string, ...kinds: string[]) => (r.group ?? '') === group && kinds.includes(r.kind)

function ignoreEntries(ctx: MatchContext, pred: (e: IgnoreDifference) => boolean): Evidence[] {
  const list = ctx.app.spec?.ignoreDifferences
  if (!Array.isArray(list)) return []
  const out: Evidence[] = []
  list.forEach((e, i) => {
    if (!e || !pred(e)) return
    const paths = [...(e.jsonPointers ?? []), ...(e.jqPathExpressions ?? [])]
    out.push(ev(`spec.ignoreDifferences[${i}]`, `${e.group ? `${e.group}/` : ''}${e.kind}${e.name ? ` ${e.name}` : ''}: ${paths.join(', ') || '(no paths)'}`))
  })
  return out
}

function driftEvidence(ctx: MatchContext, entries: Array<Indexed<ResourceStatus>>): Evidence[] {
  return [ev('status.sync.status', ctx.app.status?.sync?.status ?? null), ...resourceEvidence(entries)]
}

/** HPAs that scale this workload: from the HPA objects when read, else by name among the app's resources. */
function hpaFor(ctx: MatchContext, r: ResourceStatus): {name: string; certain: boolean} | undefined {
  const read = ctx.related.hpas?.find((h) => h.target && h.target.kind === r.kind && h.target.name === r.name && h.namespace === (r.namespace ?? ''))
  if (read) return {name: `${read.namespace}/${read.name}`, certain: true}
  if (ctx.related.hpas?.some((h) => h.target && h.namespace === (r.namespace ?? ''))) return undefined // read, and none targets it
  const hpas = resourcesWhere(ctx.app, (x) => x.kind === 'HorizontalPodAutoscaler' && (x.group ?? '') === 'autoscaling' && (x.namespace ?? '') === (r.namespace ?? ''))
  const byName = hpas.find((h) => h.item.name === r.name || h.item.name.startsWith(`${r.name}-`) || r.name.startsWith(h.item.name.replace(/-hpa$/, '')))
  return byName ? {name: `${byName.item.namespace ?? ''}/${byName.item.name}`, certain: false} : undefined
}

export const hpaReplicasDrift: Matcher = {
  id: 'hpa-replicas-drift',
  match(ctx) {
    const hits = outOfSync(ctx.app, (r) => isScalable(r) && !r.requiresPruning && !ctx.shared.has(`${r.kind}/${r.name}`)).map((e) => ({...e, hpa: hpaFor(ctx, e.item)})).filter((e) => e.hpa)
    if (hits.length === 0) return
    const evidence = driftEvidence(ctx, hits)
    for (const h of hits.slice(0, 3)) evidence.push(ev(`HorizontalPodAutoscaler ${h.hpa!.name}`, h.hpa!.certain ? `scaleTargetRef ${h.item.kind}/${h.item.name}` : 'in status.resources', h.hpa!.certain ? 'read from the cluster' : 'matched by name'))
    const ignored = ignoreEntries(ctx, (e) => (e.jsonPointers ?? []).includes('/spec/replicas') || (e.jqPathExpressions ?? []).some((q) => q.includes('.spec.replicas')))
    const respect = hasSyncOption(ctx.app, RESPECT)
    evidence.push(...ignored)
    const selfHeal = Boolean((ctx.app.spec?.syncPolicy?.automated as {selfHeal?: boolean} | undefined)?.selfHeal)
    let detail: string
    if (ignored.length > 0 && !respect) {
      evidence.push(ev('spec.syncPolicy.syncOptions', (ctx.app.spec?.syncPolicy?.syncOptions ?? []).join(',') || null, `no ${RESPECT}`))
      detail = `spec.ignoreDifferences already ignores /spec/replicas, but without sync option ${RESPECT} the ignored field is still applied on every sync: each sync resets replicas to Git's value and the HPA scales it back. Adding ${RESPECT} is the missing half.`
    } else if (ignored.length > 0) {
      detail = `/spec/replicas is already ignored and ${RESPECT} is set, so the remaining difference is elsewhere: look at the diff (${sh('argocd', 'app', 'diff', ctx.name)}).`
    } else {
      detail = `The HPA changes spec.replicas and Git has a fixed number, so the app is OutOfSync whenever the HPA scales${selfHeal ? ', and with selfHeal every auto-sync sets replicas back, fighting the HPA' : ''}. Ignore /spec/replicas for the workloads the HPA scales and set ${RESPECT} so syncs leave it alone (ignore-status does both, merging with the existing ignoreDifferences instead of replacing them).`
    }

    return {
      id: 'hpa-replicas-drift',
      severity: 'warning',
      title: `OutOfSync loop: replicas managed by a HorizontalPodAutoscaler (${hits.map((h) => h.item.name).slice(0, 3).join(', ')})`,
      explanation: `${hits.map((h) => `${h.item.kind} ${h.item.name}`).join(', ')} ${hits.length === 1 ? 'is' : 'are'} OutOfSync and scaled by an HPA. ${detail}` +
        (hits.some((h) => !h.hpa!.certain) ? ' (The HPA was matched by name; ignore-status reads the HPAs to confirm which workload each one scales.)' : ''),
      evidence,
      fix: {
        command: ctx.command('ignore-status'),
        steps: ['Or remove spec.replicas from the workload manifests in Git: then there is nothing for the HPA to differ from.'],
        docs: DOCS_DIFFING,
      },
    }
  },
}

const ESO = (r: ResourceStatus) => (r.group ?? '') === 'external-secrets.io' && /ExternalSecret$/.test(r.kind)
const CRD = (r: ResourceStatus) => is(r, 'apiextensions.k8s.io', 'CustomResourceDefinition')

export const operatorDefaultsDrift: Matcher = {
  id: 'operator-defaults-drift',
  match(ctx) {
    const hits = outOfSync(ctx.app, (r) => (ESO(r) || CRD(r)) && !r.requiresPruning && !ctx.shared.has(`${r.kind}/${r.name}`))
    if (hits.length === 0) return
    const eso = hits.some((h) => ESO(h.item))
    const crd = hits.some((h) => CRD(h.item))
    const evidence = [...driftEvidence(ctx, hits), ...ignoreEntries(ctx, (e) => e.group === 'external-secrets.io' || e.group === 'apiextensions.k8s.io')]
    const ssd = ctx.app.metadata.annotations?.['argocd.argoproj.io/compare-options']
    if (ssd) evidence.push(ev('metadata.annotations["argocd.argoproj.io/compare-options"]', ssd))
    return {
      id: 'operator-defaults-drift',
      severity: 'warning',
      title: `OutOfSync loop: fields defaulted by ${eso ? 'External Secrets' : ''}${eso && crd ? ' and ' : ''}${crd ? 'the API server' : ''}`,
      explanation: [
        eso ? 'The External Secrets CRDs default spec.data[].remoteRef.conversionStrategy, decodingStrategy, metadataPolicy and spec.target.deletionPolicy when a manifest leaves them out; the live object has them, Git does not, and Argo CD\'s client-side diff reports it forever — syncing changes nothing.' : '',
        crd ? 'A CustomResourceDefinition gets fields filled in after it is applied (API-server defaults such as spec.conversion, or a conversion-webhook caBundle injected by cert-manager/an operator), so it never matches Git.' : '',
        `Ignore exactly those fields (ignore-status knows them and merges with ${ctx.name}'s existing ignoreDifferences), or switch the app to server-side diff (annotation argocd.argoproj.io/compare-options: ServerSideDiff=true), which lets the API server apply the defaults before comparing.`,
      ].filter(Boolean).join(' '),
      evidence,
      fix: {
        command: ctx.command('ignore-status'),
        steps: ['Alternative for the whole app: annotate it argocd.argoproj.io/compare-options: ServerSideDiff=true; for every app: resource.customizations.ignoreDifferences.<group>_<Kind> in argocd-cm.'],
        docs: DOCS_DIFFING,
      },
    }
  },
}

const WEBHOOK = (r: ResourceStatus) => is(r, 'admissionregistration.k8s.io', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration')
const APISERVICE = (r: ResourceStatus) => is(r, 'apiregistration.k8s.io', 'APIService')

export const webhookCabundleDrift: Matcher = {
  id: 'webhook-cabundle-drift',
  match(ctx) {
    // A webhook whose live writer owns another field (failurePolicy, rules…) is not caBundle drift: unexplained-drift names that field.
    const hits = outOfSync(ctx.app, (r) => (APISERVICE(r) || (WEBHOOK(r) && !webhookDriftIsNotCaBundle(ctx, r))) && !r.requiresPruning && !ctx.shared.has(`${r.kind}/${r.name}`))
    if (hits.length === 0) return
    const api = hits.filter((h) => APISERVICE(h.item))
    const hooks = hits.filter((h) => WEBHOOK(h.item))
    const evidence = [...driftEvidence(ctx, hits), ...ignoreEntries(ctx, (e) => e.group === 'admissionregistration.k8s.io' || e.group === 'apiregistration.k8s.io')]
    const statusIgnored = ctx.app.spec?.ignoreDifferences?.some((e) => e.kind === 'APIService' && (e.jsonPointers ?? []).includes('/status'))
    return {
      id: 'webhook-cabundle-drift',
      severity: 'warning',
      title: `OutOfSync loop: ${[hooks.length ? 'webhook caBundle' : '', api.length ? 'APIService' : ''].filter(Boolean).join(' and ')} changed after apply`,
      explanation: [
        hooks.length ? `Usually cert-manager's cainjector (or the webhook's operator) writes webhooks[].clientConfig.caBundle into ${hooks.map((h) => h.item.name).join(', ')} after Argo CD applies ${hooks.length === 1 ? 'it' : 'them'}; Git has no caBundle, so every comparison shows a diff and self-heal would fight the injector. ${hooks.some((h) => live(ctx, h.item)?.writers?.length) ? 'The live object confirms it: its caBundle was written by another field manager.' : 'Check the diff first (argocd app diff): if another field differs (failurePolicy, rules), a different writer is at work and ignoring caBundle will not help.'}` : '',
        api.length ? `For APIService ${api.map((h) => h.item.name).join(', ')} the usual fix is to ignore /status, which the aggregator writes. That matters only on Argo CD 2.x or when resource.compareoptions sets ignoreResourceStatusField to something other than "all": since 3.0 resource status is ignored in diffs by default${statusIgnored ? ' (and this app already ignores /status)' : ''}. On 3.x a persistent APIService diff is usually an injected spec.caBundle instead — look at the diff before ignoring.` : '',
        'ignore-status adds the matching entries for this app; the system-wide alternative is resource.customizations.ignoreDifferences in argocd-cm.',
      ].filter(Boolean).join(' '),
      evidence,
      fix: {
        command: ctx.command('ignore-status'),
        steps: [
          'Or use server-side diff: annotate the app argocd.argoproj.io/compare-options: ServerSideDiff=true.',
          'For every app at once: resource.customizations.ignoreDifferences.admissionregistration.k8s.io_MutatingWebhookConfiguration (jqPathExpressions: .webhooks[]?.clientConfig.caBundle) in argocd-cm.',
        ],
        docs: DOCS_DIFFING,
      },
    }
  },
}

export const presyncNeverRan: Matcher = {
  id: 'presync-never-ran',
  match(ctx) {
    const {app, facts} = ctx
    const state = app.status?.operationState
    if (facts.inProgress || !state || app.status?.sync?.status !== 'Synced') return
    const results = state.syncResult?.resources ?? []
    const liveHooks = resourcesWhere(app, (r) => Boolean(r.hook))
    const lastHooks = results.map((r, i) => ({r, i})).filter(({r}) => r.hookType)
    const hasHooks = liveHooks.length > 0 || lastHooks.length > 0
    const syncedRev = app.status?.sync?.revision
    const opRev = state.syncResult?.revision ?? state.operation?.sync?.revision
    const selective = Array.isArray(state.operation?.sync?.resources) && state.operation!.sync!.resources!.length > 0
    const revMoved = Boolean(syncedRev && opRev && syncedRev !== opRev)
    if (!revMoved && !(selective && hasHooks)) return
    // Across a fleet (often one monorepo) most apps are Synced at a newer commit than their last sync: only say so with hooks in sight.
    if (ctx.fleet && !hasHooks) return
    const evidence: Evidence[] = [ev('status.sync.status', 'Synced')]
    if (revMoved) evidence.push(ev('status.sync.revision', syncedRev!), ev(state.syncResult?.revision ? 'status.operationState.syncResult.revision' : 'status.operationState.operation.sync.revision', opRev!))
    if (state.finishedAt) evidence.push(evTime('status.operationState.finishedAt', state.finishedAt, ctx.now))
    if (selective) evidence.push(ev('status.operationState.operation.sync.resources', `${state.operation!.sync!.resources!.length} resource(s)`, 'the last sync was selective: hooks were skipped'))
    for (const {r, i} of lastHooks.slice(0, 3)) evidence.push(ev(`status.operationState.syncResult.resources[${i}].hookType`, r.hookType!, `${r.kind} ${r.name}`))
    evidence.push(...resourceEvidence(liveHooks, 'hook', 3))
    const shortRev = (r?: string) => (r ?? '').slice(0, 8)
    return {
      id: 'presync-never-ran',
      severity: hasHooks ? 'warning' : 'info',
      title: revMoved ? `Synced at ${shortRev(syncedRev)}, but no sync ran for it: its hooks did not run` : 'Last sync was selective: hooks did not run',
      explanation: (revMoved
        ? `${ctx.name} is Synced at revision ${shortRev(syncedRev)}, but its last sync operation ran at ${shortRev(opRev)}. Hooks (PreSync/Sync/PostSync Jobs such as a db-init) are not part of the diff, so a commit that adds or changes only hooks leaves the app Synced, and auto-sync starts an operation only for OutOfSync apps: those hooks never ran (for example a db-init PreSync Job). `
        : `The last sync of ${ctx.name} named individual resources (a selective sync; self-heal syncs are selective too), and selective syncs skip hooks without saying so. `) +
        (hasHooks ? 'This app has hooks.' : 'If the new revision added or changed hooks, they have not run; if it did not, nothing is wrong.') +
        ' A full sync runs them. The common manual recipe (kubectl patch .operation {"sync":{}}) skips what argocd app sync sets — initiatedBy, syncOptions, retry, clearing the old operationState — which force-presync does, guarded.',
      evidence,
      fix: {
        command: ctx.command('force-presync'),
        steps: ['Check that the hook is actually rendered for this environment (a Helm condition can leave the Job out in one environment): argocd app manifests ' + `${ctx.name} --app-namespace ${ctx.namespace} | grep -B3 -A3 argocd.argoproj.io/hook`],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/',
      },
    }
  },
}

const WORKLOAD = (r: {group?: string; kind: string}) => (r.group ?? '') === 'apps' && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(r.kind)
const CONFIG = (r: {group?: string; kind: string}) => !r.group && (r.kind === 'ConfigMap' || r.kind === 'Secret')

export const configNotRolledOut: Matcher = {
  id: 'config-not-rolled-out',
  match(ctx) {
    const state = ctx.app.status?.operationState
    if (ctx.facts.inProgress || state?.phase !== 'Succeeded') return
    const results = (state.syncResult?.resources ?? []).map((r, i) => ({r, i}))
    const changed = results.filter(({r}) => CONFIG(r) && !r.hookType && /\b(configured|serverside-applied)\b/.test(r.message ?? '') && !/unchanged/.test(r.message ?? ''))
    const workloads = results.filter(({r}) => WORKLOAD(r) && !r.hookType)
    const untouched = workloads.filter(({r}) => /\bunchanged\b/.test(r.message ?? ''))
    // Any workload rolled in the same sync: assume the config travels with it (checksum annotation).
    if (changed.length === 0 || untouched.length === 0 || untouched.length < workloads.length) return
    const evidence: Evidence[] = [ev('status.operationState.phase', 'Succeeded')]
    if (state.finishedAt) evidence.push(evTime('status.operationState.finishedAt', state.finishedAt, ctx.now))
    for (const {r, i} of [...changed, ...untouched].slice(0, 6)) evidence.push(ev(`status.operationState.syncResult.resources[${i}].message`, r.message ?? null))
    const finishedAgo = secondsSince(state.finishedAt, ctx.now)
    return {
      id: 'config-not-rolled-out',
      severity: 'warning',
      title: `${changed.map(({r}) => `${r.kind} ${r.name}`).slice(0, 2).join(', ')} changed, but the pods were not restarted`,
      explanation: `The last sync${finishedAgo === undefined ? '' : ` (${humanDuration(finishedAgo)} ago)`} updated ${changed.map(({r}) => `${r.kind} ${r.name}`).join(', ')}, while ${untouched.map(({r}) => `${r.kind} ${r.name}`).join(', ')} ${untouched.length === 1 ? 'was' : 'were'} unchanged. ` +
        'Kubernetes does not restart pods when a ConfigMap or Secret they read changes (environment variables are read once at start), so the app is Synced but still runs with the old configuration. This is normal Kubernetes behaviour, not an Argo CD fault, and no argo-doctor command changes it.',
      evidence,
      fix: {
        command: null,
        steps: [
          ...untouched.slice(0, 5).map(({r}) => sh('kubectl', 'rollout', 'restart', `${r.kind.toLowerCase()}/${r.name}`, ...(r.namespace ? ['-n', r.namespace] : []))),
          'Permanent fix: put a checksum of the configuration in the pod template (annotation checksum/config: {{ include … | sha256sum }} in the Helm chart), so a config change changes the template and rolls the pods; or run a reloader controller.',
        ],
        docs: 'https://helm.sh/docs/howto/charts_tips_and_tricks/#automatically-roll-deployments',
      },
    }
  },
}

