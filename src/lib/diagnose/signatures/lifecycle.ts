import {humanDuration, IN_PROGRESS_PHASES} from '../../app.js'
import {byVersion, minutes} from '../../argocd-facts.js'
import {DELETION_APPROVED, deletionFacts, pruneConfirmation} from '../../deletion.js'
import {sh} from '../../shell.js'
import {describeWindow, evaluateSyncWindows} from '../../sync-windows.js'
import type {Evidence, Matcher} from '../types.js'
import {conditionEvidence, conditionsOf, ev, evTime, resourceEvidence, resourcesWhere} from '../util.js'
import {operationEvidence, THRESHOLDS} from './operation.js'

/** Deletion, prune confirmation and sync windows: the cases where the obvious fix (unstick) is wrong. */


export const deletionStuckFinalizer: Matcher = {
  id: 'deletion-stuck-finalizer',
  supersedes: ['condition-deletion-error'],
  match(ctx) {
    const meta = ctx.app.metadata
    if (!meta.deletionTimestamp) return
    const d = deletionFacts(ctx.app, ctx.now, {controllerFreshSeconds: THRESHOLDS.controllerStale})
    if (d.argoFinalizers.length === 0) return
    const errors = conditionsOf(ctx.app, 'DeletionError')
    const age = d.deletionAgeSeconds
    if (errors.length === 0 && age !== undefined && age < THRESHOLDS.deletion) return
    const evidence: Evidence[] = [evTime('metadata.deletionTimestamp', meta.deletionTimestamp, ctx.now)]
    for (const f of d.argoFinalizers) evidence.push(ev(`metadata.finalizers[${f.index}]`, f.name))
    for (const c of errors) evidence.push(...conditionEvidence(c, ctx.now))
    const names = d.argoFinalizers.map((f) => f.name)
    const hooks = d.argoFinalizers.filter((f) => f.role === 'pre-delete' || f.role === 'post-delete')
    const hookKind = hooks.some((f) => f.role === 'pre-delete') ? 'PreDelete' : 'PostDelete'
    const cascade = d.argoFinalizers.some((f) => f.role === 'cascade')
    const what = [
      cascade ? 'the controller must first delete every resource the app manages (cascading delete)' : '',
      hooks.length ? `${hookKind} hooks must complete` : '',
    ].filter(Boolean).join(' and ')
    const errorText = d.errors[0]
    if (d.operationSet) evidence.push(ev('operation', 'set', 'a requested operation is processed before deletion is finalized'))
    // Cascading deletion also waits, silently, for approval of resources under Delete=confirm.
    const approved = meta.annotations?.[DELETION_APPROVED]
    const needsApproval = resourcesWhere(ctx.app, (r) => d.awaitingApproval.includes(r))
    evidence.push(...resourceEvidence(needsApproval, 'requiresDeletionConfirmation', 3))
    if (approved) evidence.push(ev(`metadata.annotations["${DELETION_APPROVED}"]`, approved, needsApproval.length ? 'older than the deletion: does not approve it' : undefined))
    if (d.clusterGone || d.clusterUnreachable) evidence.push(ev('spec.destination', d.destination, d.clusterGone ? 'not configured in Argo CD any more (cluster Secret gone)' : 'unreachable'))
    // What unblock-delete would remove without --force: the same decision as the recipe.
    const unblockable = d.clusterGone || d.clusterUnreachable || d.argoFinalizers.some((f) => f.role === d.hookStageError) || d.preDeleteHooksHang
    const command = d.operationSet
      ? ctx.command('unstick')
      : needsApproval.length
        ? ctx.command('approve-prune')
        : unblockable || errors.length === 0 ? ctx.command('unblock-delete') : null
    const cause = d.clusterGone
      ? `The destination cluster (${d.destination}) is no longer configured in Argo CD (its cluster Secret is gone): "${errorText}". Nothing can be deleted there; newer controllers drop these finalizers themselves in this case. `
      : d.clusterUnreachable
        ? `The destination cluster (${d.destination}) cannot be reached, so every attempt fails: "${errorText}". `
        : errorText
          ? `That fails: "${errorText}". `
          : needsApproval.length
            ? `It is waiting, without any error, for approval to delete ${needsApproval.length} resource(s) marked Delete=confirm. `
            : d.preDeleteHooksHang
              ? `The PreDelete hooks have not completed after ${minutes(THRESHOLDS.hook)}, and the controller waits for them silently before it deletes anything (a hook Job whose pod hangs: ${sh('kubectl', 'get', 'jobs', '-n', ctx.app.spec?.destination?.namespace ?? '<namespace>')}). `
            : 'That has not finished, without any error: typically a managed resource waits on a finalizer of its own (a hook that kept argocd.argoproj.io/hook-finalizer, argo-cd #29464, or a child Application stuck the same way). '
    return {
      id: 'deletion-stuck-finalizer',
      severity: 'critical',
      title: `Deletion stuck${age === undefined ? '' : ` for ${humanDuration(age)}`} on finalizer ${names[0]}`,
      explanation: `${ctx.name} was deleted, but Kubernetes keeps it until its finalizers are removed, and before removing ${names.length === 1 ? 'it' : 'them'} ${what}. ` +
        cause +
        (d.operationSet
          ? 'Top-level `operation` is also set, and the controller processes a requested operation before it finalizes a deletion: the leftover operation blocks the deletion, so clearing it is the first step. '
          : '`unstick` does not help here: there is no sync to clear, the deletion is the controller\'s finalizer work, and it retries on every reconcile. ') +
        (needsApproval.length
          ? 'Approving the deletion (deletion-approved annotation) lets the controller finish; removing the finalizer would leave those resources running, unmanaged.'
          : unblockable
            ? `Removing exactly the finalizer${names.length === 1 ? '' : 's'} that cannot complete finishes the deletion; unblock-delete shows what stays behind first.`
            : errorText
              ? 'Fix what the error names and the controller finishes by itself; removing the finalizer by hand deletes the Application but leaves all its resources running, unmanaged.'
              : 'unblock-delete reads the managed resources live and names the one that holds the deletion (printing the command for a leaked hook finalizer).'),
      evidence,
      fix: {
        command,
        steps: [
          ...(needsApproval.length ? [`Approve deleting them: ${ctx.command('approve-prune')}   (same as: ${sh('argocd', 'app', 'confirm-deletion', ctx.name, '--app-namespace', ctx.namespace)})`] : []),
          ...(unblockable ? [] : ['Fix the cause the DeletionError names: typically the destination namespace is gone, the controller lacks RBAC to delete something, a webhook rejects the delete, or a managed resource has a finalizer of its own that never completes.']),
          ...(hooks.length ? [`Check the ${hookKind} hook Jobs in ${ctx.app.spec?.destination?.namespace ?? 'the destination namespace'}: ${sh('kubectl', 'get', 'jobs', '-n', ctx.app.spec?.destination?.namespace ?? '<namespace>')}`] : []),
          ...(unblockable ? [] : [`Last resort, only if the resources should stay (they become unmanaged): ${ctx.command('unblock-delete', '--force')}`]),
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/app_deletion/',
      },
    }
  },
}

export const pruneAwaitingConfirmation: Matcher = {
  id: 'prune-awaiting-confirmation',
  supersedes: ['operation-stuck', 'operation-in-progress'],
  match(ctx) {
    const {facts} = ctx
    // Only a running sync waits to prune (pruneConfirmation's mode 'sync'): the common case asks nothing more.
    if (ctx.app.metadata.deletionTimestamp || ctx.app.status?.operationState?.phase !== 'Running') return
    const p = pruneConfirmation(ctx.app, ctx.now)
    // Without `operation` nothing will continue even after approval: operation-stuck-no-operation covers that.
    if (p.mode !== 'sync' || !facts.operationSet) return
    const pending = resourcesWhere(ctx.app, (r) => p.pending.includes(r))
    const evidence: Evidence[] = operationEvidence(ctx)
    evidence.push(...resourceEvidence(pending, 'requiresPruning'))
    if (p.appLevelConfirm) evidence.push(ev(ctx.app.operation?.sync?.syncOptions ? 'operation.sync.syncOptions' : 'spec.syncPolicy.syncOptions', 'Prune=confirm'))
    let approvalNote = ''
    if (p.approvedAt) {
      evidence.push(ev(`metadata.annotations["${DELETION_APPROVED}"]`, p.approvedAt, p.alreadyApproved ? 'covers this operation' : 'older than this operation'))
      approvalNote = p.alreadyApproved
        ? ` The existing approval (${p.approvedAt}) already covers this operation (started ${p.since ?? '?'}): the controller prunes at its next pass — if it does not, check that it is running.`
        : ` The existing approval (${p.approvedAt}) only covers operations that started at or before that time; this one started ${p.since ?? 'later'}, so approve again.`
    }

    return {
      id: 'prune-awaiting-confirmation',
      severity: 'warning',
      title: `Sync waits for a human to approve pruning${pending.length ? ` (${pending.length} resource${pending.length === 1 ? '' : 's'})` : ''}`,
      explanation: `The sync of ${ctx.name} is not stuck: it reached resources that must be pruned and Prune=confirm is in effect, so it waits for an explicit approval before deleting them. ` +
        '(The "waiting for pruning confirmation of …" message is not always shown; requiresPruning next to Prune=confirm says the same.) ' +
        `Argo CD continues once ${DELETION_APPROVED} on the Application holds a time at or after the operation's start. Unsticking would throw the sync away, and the next sync would wait for the same confirmation.${approvalNote}`,
      evidence,
      fix: {
        command: p.alreadyApproved ? null : ctx.command('approve-prune'),
        steps: [
          `Approve the prune: ${ctx.command('approve-prune')} lists what will be deleted and writes the approval (same as: ${sh('argocd', 'app', 'confirm-deletion', ctx.name, '--app-namespace', ctx.namespace)}).`,
          'If those resources must not be deleted: add them back to Git, or annotate them argocd.argoproj.io/sync-options: Prune=false; the sync then finishes without pruning them.',
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/',
      },
    }
  },
}

export const syncWindowBlocked: Matcher = {
  id: 'sync-window-blocked',
  supersedes: ['operation-stuck', 'operation-in-progress', 'operation-age-unknown'],
  match(ctx) {
    const {facts} = ctx
    if (!facts.blockedBySyncWindow || !facts.phase || !IN_PROGRESS_PHASES.has(facts.phase) || !facts.operationSet) return
    const terminating = facts.phase === 'Terminating'
    const project = ctx.app.spec?.project ?? 'default'
    const evidence = operationEvidence(ctx)
    const p = ctx.related.project
    let when = ''
    let manual = false
    if (p?.status === 'found') {
      const verdict = evaluateSyncWindows(p.value.syncWindows, ctx.app, ctx.now)
      verdict.matching.forEach((m) => evidence.push(ev(`AppProject ${project} spec.syncWindows[${p.value.syncWindows.indexOf(m.window)}]`, describeWindow(m.window), m.error ? `cannot be parsed: ${m.error}` : m.active ? 'open now' : 'closed now')))
      if (verdict.nextOpen) when = ` The next allow window opens at ${verdict.nextOpen.toISOString()}.`
      // evaluateSyncWindows answers for a manual sync: allowed now means the windows let manual syncs through.
      manual = verdict.canSync && verdict.matching.length > 0
    }

    return {
      id: 'sync-window-blocked',
      severity: 'warning',
      title: terminating ? 'Termination waits for a sync window' : 'Sync blocked by a sync window',
      explanation: `A sync window of AppProject ${project} forbids syncing ${ctx.name} right now, so the controller holds the operation ("Sync operation blocked by sync window") until the window allows it${facts.ageSeconds === undefined ? '' : ` (held for ${humanDuration(facts.ageSeconds)} so far)`}. ` +
        (terminating ? 'Someone asked to terminate it, but before v3.3 the controller checks the window before it processes the operation at all, so it stays Terminating until the window opens (argo-cd#25361; from v3.3 a terminate goes through the window). ' : '') +
        `This is the window working as configured.${when} Do not unstick first: clearing the operation discards the sync, the next sync is blocked the same way, and terminate and delete wait for the window too.`,
      evidence,
      fix: {
        command: null,
        steps: [
          `Wait for the window to open; list the windows: argocd proj windows list ${project}`,
          manual
            ? `The window allows manual syncs: sync from the UI or with ${sh('argocd', 'app', 'sync', ctx.name, '--app-namespace', ctx.namespace)} (a raw kubectl patch of .operation does not count as manual).`
            : `If the change cannot wait: change or remove the window in AppProject ${project} (spec.syncWindows), or allow manual syncs in it (argocd proj windows enable-manual-sync ${project} <id>), then sync from the UI/CLI.`,
          byVersion(ctx.related.argocdVersion, 5,
            'so that syncs already running when a deny window starts can finish instead of being held, set syncOverrun: true on the window (argo-cd#25510).',
            'a sync already running when a deny window starts is always held; the window\'s syncOverrun: true, which lets it finish, needs Argo CD v3.5+ (argo-cd#25510).'),
          `Only if the operation must go now and changing the window is not an option: ${ctx.command('unstick', '--force')} (the next sync waits for the window again).`,
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/sync_windows/',
      },
    }
  },
}
