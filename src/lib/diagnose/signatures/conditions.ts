import {sh} from '../../shell.js'
import type {Evidence, Finding, MatchContext, Matcher, Severity} from '../types.js'
import {conditionEvidence, conditionsOf, ev, resourcesWhere, type Indexed} from '../util.js'
import {rootCause} from './catalogue.js'

/** status.conditions: ComparisonError variants, SharedResourceWarning, project refusals, and the rest. */

type Condition = Indexed<{type: string; message?: string; lastTransitionTime?: string}>

const CACHED = 'Manifest generation error (cached)'
// Repo-server transport failures share the ComparisonError condition with genuine manifest errors.
const REPO_SERVER_DOWN = /DeadlineExceeded|context deadline exceeded|code = Unavailable|connection refused|transport is closing|error reading from server: EOF|: EOF\b|connection reset by peer|no such host/i

function comparisonErrors(ctx: MatchContext): Condition[] {
  return conditionsOf(ctx.app, 'ComparisonError')
}

export const manifestGenerationCached: Matcher = {
  id: 'manifest-generation-cached',
  supersedes: ['comparison-error', 'repo-server-unavailable'],
  match(ctx) {
    const c = comparisonErrors(ctx).find((x) => (x.item.message ?? '').includes(CACHED))
    if (!c) return
    const message = c.item.message ?? ''
    const underlying = message.slice(message.indexOf(CACHED) + CACHED.length).replace(/^[:\s]+/, '')
    return {
      id: 'manifest-generation-cached',
      severity: 'warning',
      title: 'Manifest generation error is served from the repo-server cache',
      explanation: `After several failed attempts the repo-server stops generating manifests for ${ctx.name} and answers with the cached error ("${CACHED}") until the pause expires — even if Git or the repo-server has been fixed since. ` +
        'Sync status is Unknown and nothing syncs meanwhile. A hard refresh bypasses the cache and generates again. ' +
        (REPO_SERVER_DOWN.test(underlying) ? 'The cached error looks like a repo-server/network failure; check the repo-server is healthy before refreshing.' : 'If the underlying error is genuine (shown in the evidence), fix it in Git first or the refresh fails the same way.'),
      evidence: conditionEvidence(c, ctx.now),
      fix: {
        command: ctx.command('hard-refresh'),
        steps: underlying ? [`If it fails again, the underlying error is real; fix it in Git first: ${rootCause(underlying, 200)}`] : [],
        docs: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/high_availability/#argocd-repo-server',
      },
    }
  },
}


/**
 * The controller could not build its cache of the destination cluster. The text is wrapped as
 * 'Failed to load live state: failed to get cluster info for "<server>": …' (or "failed to sync
 * cluster", "failed to get cluster version for cluster"); what follows says why.
 */
const CLUSTER_CACHE = /failed to get cluster info for|failed to sync cluster|failed to get cluster version for cluster|Failed to load live state: .*cluster/i
const CLUSTER_API_BROKEN = /failed to load open api schema|error getting openapi resources|unable to retrieve the complete list of server APIs|the server is currently unable to handle the request/i
const CLUSTER_CREDENTIALS = /Unauthorized|provide credentials|certificate has expired|x509:|forbidden: User "system:anonymous"/i

export const destinationClusterUnavailable: Matcher = {
  id: 'destination-cluster-unavailable',
  supersedes: ['comparison-error', 'repo-server-unavailable'],
  match(ctx) {
    const c = comparisonErrors(ctx).find((x) => CLUSTER_CACHE.test(x.item.message ?? ''))
    if (!c) return
    const message = c.item.message ?? ''
    const server = /for (?:cluster )?"([^"]+)"/.exec(message)?.[1] ?? ctx.app.spec?.destination?.server ?? ctx.app.spec?.destination?.name ?? 'the destination'
    const cause = CLUSTER_API_BROKEN.test(message) ? 'api' : CLUSTER_CREDENTIALS.test(message) ? 'credentials' : 'unreachable'
    const explanation = {
      api: `The application-controller reached ${server} but could not load its API discovery/OpenAPI schema: one API on that cluster is broken (an aggregated APIService that is down, or a CRD/APIService publishing an invalid schema, e.g. kubernetes-sigs/kueue#9051). Until it is fixed, no app on that cluster can be compared or synced — the manifests and the repo-server are fine.`,
      credentials: `The application-controller reached ${server} but its credentials were refused (expired token or certificate in the cluster Secret). Nothing on that cluster can be compared or synced until they are renewed.`,
      unreachable: `The application-controller cannot reach the destination cluster ${server} (connection refused, timeout or unknown host): it is down, its address changed, or the network between them is cut. This is not a repo-server or manifest problem; every app on that cluster shows the same error.`,
    }[cause]
    const steps = {
      api: [
        `Find the broken API on the destination: ${sh('kubectl', 'get', 'apiservices')} (AVAILABLE False), and any recently installed CRD/operator.`,
        'Fix or remove it. Workaround while it is broken: set ARGOCD_CLUSTER_CACHE_LOAD_OPEN_API_SCHEMA=false on the application-controller (it then compares without schemas for every CRD).',
      ],
      credentials: [`Renew the cluster's credentials: ${sh('argocd', 'cluster', 'get', server)}, then argocd cluster add (or update the cluster Secret's config).`],
      unreachable: [
        `Check the cluster Argo CD has registered: ${sh('argocd', 'cluster', 'get', server)} (server address, connection state).`,
        'From the controller pod, check the address resolves and answers (DNS, VPN, firewall, an API server that moved or was deleted).',
        'If the cluster is gone for good, remove its apps (an app stuck deleting there is what the unblock-delete command is for).',
      ],
    }[cause]
    return {
      id: 'destination-cluster-unavailable',
      severity: 'critical',
      title: cause === 'api' ? `A broken API on ${server} stops the controller's cluster cache` : cause === 'credentials' ? `Argo CD's credentials for ${server} are refused` : `Destination cluster ${server} is unreachable`,
      explanation,
      evidence: conditionEvidence(c, ctx.now),
      fix: {command: null, steps, docs: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters'},
    }
  },
}

export const repoServerUnavailable: Matcher = {
  id: 'repo-server-unavailable',
  supersedes: ['comparison-error'],
  match(ctx) {
    const c = comparisonErrors(ctx).find((x) => REPO_SERVER_DOWN.test(x.item.message ?? '') && !CLUSTER_CACHE.test(x.item.message ?? ''))
    if (!c) return
    return {
      id: 'repo-server-unavailable',
      severity: 'warning',
      title: 'Manifests could not be generated: the repo-server did not answer',
      explanation: `The ComparisonError on ${ctx.name} is a transport failure (timeout, EOF, connection refused), not a problem in the manifests: argocd-repo-server was down, overloaded or too slow (a large Helm chart or monorepo), so the controller could not compare. ` +
        'It clears by itself once the repo-server answers; if it keeps happening, the repo-server needs more replicas/CPU or a longer timeout.',
      evidence: conditionEvidence(c, ctx.now),
      fix: {
        command: null,
        steps: [
          sh('kubectl', 'get', 'pods', '-n', ctx.controllerNamespace, '-l', 'app.kubernetes.io/name=argocd-repo-server'),
          sh('kubectl', 'logs', '-n', ctx.controllerNamespace, '-l', 'app.kubernetes.io/name=argocd-repo-server', '--tail=100'),
          `When it is healthy again: ${ctx.command('hard-refresh')}`,
          'For slow generation: raise server.repo.server.timeout.seconds / controller.repo.server.timeout.seconds in argocd-cmd-params-cm, or scale the repo-server.',
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/high_availability/#argocd-repo-server',
      },
    }
  },
}

export const comparisonError: Matcher = {
  id: 'comparison-error',
  match(ctx) {
    const list = comparisonErrors(ctx)
    if (list.length === 0) return
    const evidence = list.flatMap((c) => conditionEvidence(c, ctx.now))
    return {
      id: 'comparison-error',
      severity: 'warning',
      title: 'Manifests cannot be generated or compared (ComparisonError)',
      explanation: `Argo CD cannot compare ${ctx.name} with Git, so its sync status is Unknown and nothing syncs, while health may still say Healthy (it describes the live objects). ` +
        'The message is the error from rendering the source (Helm, Kustomize, plugin) or reading the repository; it has to be fixed at the source.',
      evidence,
      fix: {
        command: null,
        steps: [
          `Reproduce it: ${sh('argocd', 'app', 'manifests', ctx.name, '--app-namespace', ctx.namespace, '--source', 'git')} (or render the chart/kustomization locally).`,
          `Fix the source in Git; then: ${ctx.command('hard-refresh')}`,
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/troubleshooting/',
      },
    }
  },
}

// Wordings across versions:
//   "<Kind>/<name> is part of a different application: <app>"
//   "<Kind>/<name> is part of applications <app> and <app>"   (first may be namespace-qualified)
const SHARED = /^(?<kind>[^\s/]+)\/(?<name>\S+) is part of (?:a different application: (?<other>\S+)|applications (?<a>\S+) and (?<b>\S+))/

export const sharedResource: Matcher = {
  id: 'shared-resource',
  supersedes: ['condition-shared-resource-warning'],
  match(ctx) {
    const list = conditionsOf(ctx.app, 'SharedResourceWarning')
    if (list.length === 0) return
    const evidence: Evidence[] = []
    const others = new Set<string>()
    const objects: string[] = []
    for (const c of list) {
      evidence.push(...conditionEvidence(c, ctx.now))
      const m = SHARED.exec(c.item.message ?? '')
      if (!m?.groups) continue
      objects.push(`${m.groups.kind}/${m.groups.name}`)
      const self = new Set([ctx.name, `${ctx.namespace}/${ctx.name}`, `${ctx.namespace}_${ctx.name}`])
      for (const n of [m.groups.other, m.groups.a, m.groups.b]) if (n && !self.has(n)) others.add(n)
    }

    const other = [...others].join(', ')
    const first = objects[0]
    const firstRes = first ? resourcesWhere(ctx.app, (r) => `${r.kind}/${r.name}` === first)[0]?.item : undefined
    return {
      id: 'shared-resource',
      severity: 'warning',
      title: `Resource${objects.length > 1 ? 's' : ''} also owned by ${other || 'another application'}`,
      explanation: `${objects.length ? objects.join(', ') : 'A resource'} of ${ctx.name} carries another application's tracking label/annotation${other ? ` (${other})` : ''}. ` +
        'Two apps that manage one object undo each other on every sync, keep each other OutOfSync, and a prune in one deletes the object the other needs. ' +
        'The tracking marker can also be stale and name an app that no longer exists (kubectl get applications -A shows whether it does).',
      evidence,
      fix: {
        command: null,
        steps: [
          `Pick one owner and remove the object from the other app's source in Git${other ? ` (${other} or ${ctx.name})` : ''}.`,
          ...(firstRes ? [`See who claims it: ${sh('kubectl', 'get', `${firstRes.kind.toLowerCase()}${firstRes.group ? `.${firstRes.group}` : ''}`, firstRes.name, ...(firstRes.namespace ? ['-n', firstRes.namespace] : []))} -o jsonpath='{.metadata.labels.app\\.kubernetes\\.io/instance}{"\\t"}{.metadata.annotations.argocd\\.argoproj\\.io/tracking-id}{"\\n"}'`] : []),
          'If the other app no longer exists, remove the stale tracking label/annotation from the object.',
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/resource_tracking/',
      },
    }
  },
}

const NOT_PERMITTED = /is not permitted to use project|references project \S+ which does not exist/

export const projectNotPermitted: Matcher = {
  id: 'project-not-permitted',
  supersedes: ['condition-unknown-error', 'condition-invalid-spec-error'],
  match(ctx) {
    const c = conditionsOf(ctx.app).find((x) => NOT_PERMITTED.test(x.item.message ?? ''))
    if (!c) return
    const project = ctx.app.spec?.project ?? 'default'
    const missingProject = /which does not exist/.test(c.item.message ?? '')
    const p = ctx.related.project
    const evidence = conditionEvidence(c, ctx.now)
    if (p?.status === 'found') evidence.push(ev(`AppProject ${project} spec.sourceNamespaces`, p.value.sourceNamespaces.join(',') || '(none)'))
    return {
      id: 'project-not-permitted',
      severity: 'critical',
      title: missingProject ? `AppProject ${project} does not exist` : `Not permitted to use AppProject ${project}`,
      explanation: missingProject
        ? `${ctx.name} names AppProject ${project}, which does not exist in ${ctx.controllerNamespace}: the controller refuses to reconcile or sync it.`
        : `${ctx.name} lives in namespace ${ctx.namespace}, outside the control-plane namespace ("apps in any namespace"), and AppProject ${project} does not list that namespace in spec.sourceNamespaces, so the controller refuses to reconcile or sync it.`,
      evidence,
      fix: {
        command: null,
        steps: missingProject
          ? [`Create AppProject ${project} in ${ctx.controllerNamespace}, or point spec.project at an existing one.`]
          : [
            `Add ${ctx.namespace} to spec.sourceNamespaces of AppProject ${project} (${sh('kubectl', 'edit', 'appprojects.argoproj.io', project, '-n', ctx.controllerNamespace)}).`,
            `Also make sure the controller and server watch it: application.namespaces in argocd-cmd-params-cm must include ${ctx.namespace}.`,
          ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/app-any-namespace/',
      },
    }
  },
}

function kebab(type: string): string {
  return type.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()
}

const GENERIC: Record<string, {severity: Severity; title: string; explain: (c: Condition, ctx: MatchContext) => string; steps?: (ctx: MatchContext) => string[]}> = {
  SyncError: {
    severity: 'warning',
    title: 'Auto-sync refused (SyncError)',
    explain(c) {
      const m = c.item.message ?? ''
      if (/^Failed last sync attempt to/.test(m)) return 'Auto-sync does not retry a revision whose last sync failed: nothing is synced until a new commit or a manual sync. The message carries the original failure.'
      if (/auto-sync will wipe out all resources/.test(m)) return 'The source now renders no resources at all, and auto-sync refuses to delete everything (syncPolicy.automated.allowEmpty is false). Usually a wrong path, branch or values file.'
      return 'The controller could not start or run an automated sync; the message says why.'
    },
  },
  InvalidSpecError: {
    severity: 'critical',
    title: 'The Application spec is invalid (InvalidSpecError)',
    explain: () => 'The controller rejects the spec (source, destination or project settings), so the app is neither compared nor synced. This condition\'s text can alternate between two messages every few seconds; both matter.',
  },
  UnknownError: {
    severity: 'warning',
    title: 'Controller error (UnknownError)',
    explain: () => 'The controller hit an error processing this app; the message is the only detail it records.',
  },
  DeletionError: {
    severity: 'warning',
    title: 'Deleting resources failed (DeletionError)',
    explain: () => 'The controller failed to delete resources of this app; events add "Unable to delete application resources: " in front of the same text.',
  },
  OrphanedResourceWarning: {
    severity: 'info',
    title: 'Orphaned resources in the destination namespace',
    explain: () => 'The project reports resources in the destination namespace that no app manages (spec.orphanedResources.warn). Harmless, but they are not in Git.',
  },
  RepeatedResourceWarning: {
    severity: 'warning',
    title: 'A resource is defined more than once in the source',
    explain: () => 'The same object appears twice in the generated manifests; only one definition wins and the app may flap.',
  },
  ExcludedResourceWarning: {
    severity: 'info',
    title: 'Resources excluded from management',
    explain: () => 'Some generated resources match resource.exclusions in argocd-cm and are ignored.',
  },
  SharedResourceWarning: {
    severity: 'warning',
    title: 'Shared resource',
    explain: () => 'Another application tracks the same resource.',
  },
}

/** Any condition the specialised matchers above did not explain. */
export const otherConditions: Matcher = {
  id: 'condition-*',
  match(ctx) {
    const out: Finding[] = []
    for (const c of conditionsOf(ctx.app)) {
      if (c.item.type === 'ComparisonError') continue // always explained by comparison-error & co.
      if (c.item.type === 'SyncError' && /^Failed last sync attempt to/.test(c.item.message ?? '') && ctx.facts.phase && /Failed|Error/.test(ctx.facts.phase)) continue // sync-failed says it
      const known = GENERIC[c.item.type]
      const severity: Severity = known?.severity ?? (/Warning$/.test(c.item.type) ? 'warning' : /Error$/.test(c.item.type) ? 'warning' : 'info')
      out.push({
        id: `condition-${kebab(c.item.type)}`,
        severity,
        title: known?.title ?? `Condition ${c.item.type}`,
        explanation: known ? known.explain(c, ctx) : `The controller set condition ${c.item.type} on ${ctx.name}; its message is below.`,
        evidence: conditionEvidence(c, ctx.now),
        fix: {command: null, steps: known?.steps?.(ctx) ?? [`Read the message; the full status: ${sh('kubectl', 'get', 'applications.argoproj.io', ctx.name, '-n', ctx.namespace)} -o jsonpath='{.status.conditions}'`]},
      })
    }

    return out
  },
}

