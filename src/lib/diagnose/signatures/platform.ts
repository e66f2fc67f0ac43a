import {sh} from '../../shell.js'
import {humanDuration, secondsSince} from '../../app.js'
import type {Evidence, Matcher, PodSummary} from '../types.js'
import {ev, evTime, resourcesWhere} from '../util.js'
import {THRESHOLDS} from './operation.js'

/** Problems of Argo CD itself: a controller that stopped reconciling, argocd-secret pruned. */

const CONTROLLER_SELECTOR = 'app.kubernetes.io/name=argocd-application-controller'

function podLine(p: PodSummary): string {
  return [p.phase ?? '?', p.ready ? 'ready' : 'not ready', p.waitingReason, `${p.restarts} restarts`].filter(Boolean).join(', ')
}

export const controllerStale: Matcher = {
  id: 'controller-stale',
  match(ctx) {
    const status = ctx.app.status
    const reconciledAgo = ctx.facts.reconciledAgoSeconds
    const cns = ctx.controllerNamespace
    const pods = ctx.related.controllerPods
    const podEvidence: Evidence[] = []
    let podsDown = false
    if (pods?.status === 'found') {
      if (pods.value.length === 0) {
        podsDown = true
        podEvidence.push(ev(`Pods -n ${pods.namespace ?? cns} -l ${CONTROLLER_SELECTOR}`, 'none', 'no application-controller pod found'))
      } else {
        podsDown = pods.value.every((p) => !p.ready)
        for (const p of pods.value.slice(0, 3)) podEvidence.push(ev(`Pod ${pods.namespace ?? cns}/${p.name}`, podLine(p)))
      }
    }

    const neverReconciled = reconciledAgo === undefined
    if (neverReconciled) {
      // A new app has no reconciledAt for a few seconds; only an old one that never got one is suspicious.
      const created = secondsSince(ctx.app.metadata.creationTimestamp, ctx.now)
      if (!status || created === undefined || created < THRESHOLDS.controllerStale) return
    } else if (reconciledAgo < THRESHOLDS.controllerStale) {
      return
    }

    const age = neverReconciled ? 'never' : `${humanDuration(reconciledAgo!)} ago`
    const evidence: Evidence[] = [
      neverReconciled ? ev('status.reconciledAt', null, `absent; created ${humanDuration(secondsSince(ctx.app.metadata.creationTimestamp, ctx.now)!)} ago`) : evTime('status.reconciledAt', status!.reconciledAt, ctx.now),
      ...podEvidence,
    ]
    let cause: string
    if (podsDown) cause = `The application-controller in ${pods?.namespace ?? cns} is not running (no ready pod): nothing reconciles or syncs any app until it is back.`
    else if (pods?.status === 'found') cause = 'The application-controller pods are running, so this app is not being processed: check the controller logs, its sharding (each shard handles some clusters), and — for apps outside the control-plane namespace — that this namespace is in application.namespaces. A controller with timeout.reconciliation 0 also stops periodic reconciles.'
    else cause = 'The controller reconciles every app at least every ~3 minutes (120s resync + jitter), so this suggests the application-controller is down, crash-looping, or not processing this app (sharding, apps-in-any-namespace settings, or timeout.reconciliation set to 0).'
    return {
      id: 'controller-stale',
      severity: podsDown ? 'critical' : 'warning',
      title: neverReconciled ? 'Never reconciled by the application-controller' : `Not reconciled for ${humanDuration(reconciledAgo!)}: is the application-controller running?`,
      explanation: `status.reconciledAt of ${ctx.name} is ${neverReconciled ? 'absent: the controller has never compared this app' : age}. ${cause} ` +
        'While the controller is not acting, fixes that wait for it (unstick, hard-refresh) time out, and status fields (sync, health, operationState) are stale.',
      evidence,
      fix: {
        command: null,
        steps: [
          sh('kubectl', 'get', 'pods', '-n', cns, '-l', CONTROLLER_SELECTOR),
          sh('kubectl', 'logs', '-n', cns, '-l', CONTROLLER_SELECTOR, '--tail=100'),
          `Once it runs again, check that it picks the app up: ${ctx.command('hard-refresh')}`,
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/high_availability/',
      },
    }
  },
}

const SECRET = 'argocd-secret'

export const argocdSecretMissing: Matcher = {
  id: 'argocd-secret-missing',
  match(ctx) {
    const cns = ctx.controllerNamespace
    const lookup = ctx.related.argocdSecret
    const tracked = resourcesWhere(ctx.app, (r) => r.kind === 'Secret' && !r.group && r.name === SECRET && (r.namespace ?? ctx.app.spec?.destination?.namespace) === cns)
    const results = ctx.app.status?.operationState?.syncResult?.resources ?? []
    const prunedIndex = results.findIndex((r) => r.kind === 'Secret' && !r.group && r.name === SECRET && r.namespace === cns && r.status === 'Pruned')
    const autoPrune = (ctx.app.spec?.syncPolicy?.automated as {prune?: boolean} | undefined)?.prune === true
    const willPrune = tracked.find((t) => t.item.requiresPruning)
    // Without reading the Secret (the default RBAC does not allow it): argocd-server crash-loops
    // logging 'error retrieving argocd-secret: secret "argocd-secret" not found'.
    const serverPods = ctx.related.serverPods?.status === 'found' ? ctx.related.serverPods.value : []
    const crashing = serverPods.filter((p) => p.waitingReason === 'CrashLoopBackOff' || (!p.ready && p.restarts > 0))
    const saysSecret = crashing.find((p) => p.lastMessage?.includes(SECRET))
    const missing = lookup?.status === 'missing' || (lookup?.status !== 'found' && Boolean(saysSecret))
    if (!missing && prunedIndex < 0 && !willPrune) return

    const evidence: Evidence[] = []
    if (lookup?.status === 'missing') evidence.push(ev(`Secret ${cns}/${SECRET}`, 'NotFound', 'read from the cluster (existence only, no data)'))
    else if (lookup?.status === 'found') evidence.push(ev(`Secret ${cns}/${SECRET}`, 'exists', 'read from the cluster (existence only, no data)'))
    for (const pod of (saysSecret ? [saysSecret] : crashing).slice(0, 2)) {
      evidence.push(ev(`pod ${cns}/${pod.name}`, pod.waitingReason ?? 'not ready', `argocd-server, ${pod.restarts} restarts${pod.lastMessage ? `; last message: ${pod.lastMessage.split('\n').filter(Boolean).at(-1)}` : ''}`))
    }
    if (prunedIndex >= 0) {
      evidence.push(ev(`status.operationState.syncResult.resources[${prunedIndex}].status`, 'Pruned', `Secret ${cns}/${SECRET}`))
      const finished = ctx.app.status?.operationState?.finishedAt
      if (finished) evidence.push(evTime('status.operationState.finishedAt', finished, ctx.now))
    }

    if (willPrune) evidence.push(ev(`status.resources[${willPrune.index}].requiresPruning`, true, `Secret ${cns}/${SECRET}`))
    if (autoPrune) evidence.push(ev('spec.syncPolicy.automated.prune', true))
    const culprit = prunedIndex >= 0 || Boolean(willPrune)
    const severity = missing || prunedIndex >= 0 || (willPrune && autoPrune) ? 'critical' : 'warning'
    const title = missing
      ? `argocd-secret is missing in ${cns}${culprit ? `: ${ctx.name} prunes it` : ''}`
      : prunedIndex >= 0 ? `${ctx.name} pruned Argo CD's own argocd-secret` : `${ctx.name} would prune Argo CD's own argocd-secret`
    return {
      id: 'argocd-secret-missing',
      severity,
      title,
      explanation: `argocd-secret holds Argo CD's server key, admin password and SSO client secrets; without it argocd-server and dex crash-loop ('error retrieving argocd-secret: secret "argocd-secret" not found') and the UI, API and login are down (the controller keeps running). ` +
        (culprit
          ? `${ctx.name} tracks ${SECRET} in ${cns}, the secret is not in its Git source (Helm created it), and with ${autoPrune ? 'automated prune' : 'prune'} the app deletes it as an extra resource. Recreating it by hand does not last: the next auto-sync prunes it again within seconds, so stop the pruning first.`
          : `This app does not appear to manage it; look for the app whose destination is ${cns} with prune enabled (kubectl get applications -A -o wide, then explain each).`),
      evidence,
      fix: {
        command: null,
        steps: [
          ...(culprit ? [`Stop the pruning first: set spec.syncPolicy.automated.prune to false on ${ctx.name} (in Git, or ${sh('kubectl', 'patch', 'applications.argoproj.io', ctx.name, '-n', ctx.namespace)} --type merge -p '{"spec":{"syncPolicy":{"automated":{"prune":false}}}}'), or annotate the secret argocd.argoproj.io/sync-options: Prune=false once it exists again.`] : []),
          `Recreate ${SECRET}: re-run the Argo CD Helm release with configs.secret.createSecret=true, or let your ExternalSecret create it; then ${sh('kubectl', 'rollout', 'restart', 'deployment', 'argocd-server', 'argocd-dex-server', '-n', cns)}`,
          `Permanent fix: manage ${SECRET} from Git — an ExternalSecret with target.creationPolicy: Owner and Helm configs.secret.createSecret=false — so exactly one tool owns it and prune has nothing extra to delete.`,
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/argocd-secret-yaml/',
      },
    }
  },
}
