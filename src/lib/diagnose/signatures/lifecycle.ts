import {sh} from '../../shell.js'
import {humanDuration, secondsSince} from '../../app.js'
import {describeWindow, evaluateSyncWindows} from '../../sync-windows.js'
import type {Evidence, Matcher} from '../types.js'
import {conditionEvidence, conditionsOf, ev, evTime, hasSyncOption, resourceEvidence, resourcesWhere} from '../util.js'
import {operationEvidence, THRESHOLDS} from './operation.js'

/** Deletion, prune confirmation and sync windows: the cases where the obvious fix (unstick) is wrong. */

const DELETION_APPROVED = 'argocd.argoproj.io/deletion-approved'
const ARGO_FINALIZER = /^(?:resources-finalizer\.argocd\.argoproj\.io(?:\/(?:background|foreground))?|(?:pre|post)-delete-finalizer\.argocd\.argoproj\.io(?:\/.+)?)$/

export const deletionStuckFinalizer: Matcher = {
  id: 'deletion-stuck-finalizer',
  supersedes: ['condition-deletion-error'],
  match(ctx) {
    const meta = ctx.app.metadata
    if (!meta.deletionTimestamp) return
    const finalizers = (meta.finalizers ?? []).map((f, i) => ({f, i})).filter(({f}) => ARGO_FINALIZER.test(f))
    if (finalizers.length === 0) return
    const errors = conditionsOf(ctx.app, 'DeletionError')
    const age = secondsSince(meta.deletionTimestamp, ctx.now)
    if (errors.length === 0 && age !== undefined && age < THRESHOLDS.deletion) return
    const evidence: Evidence[] = [evTime('metadata.deletionTimestamp', meta.deletionTimestamp, ctx.now)]
    for (const {f, i} of finalizers) evidence.push(ev(`metadata.finalizers[${i}]`, f))
    for (const c of errors) evidence.push(...conditionEvidence(c, ctx.now))
    const names = finalizers.map(({f}) => f)
    const hooks = names.filter((f) => /(?:pre|post)-delete-finalizer/.test(f))
    const cascade = names.some((f) => f.startsWith('resources-finalizer'))
    const what = [
      cascade ? 'the controller must first delete every resource the app manages (cascading delete)' : '',
      hooks.length ? `${hooks.some((f) => f.startsWith('pre')) ? 'PreDelete' : 'PostDelete'} hooks must complete` : '',
    ].filter(Boolean).join(' and ')
    const errorText = errors[0]?.item.message
    const blockedByOperation = ctx.facts.operationSet
    if (blockedByOperation) evidence.push(ev('operation', 'set', 'a requested operation is processed before deletion is finalized'))
    // Cascading deletion also waits, silently, for approval of resources under Prune/Delete=confirm.
    const approved = ctx.app.metadata.annotations?.[DELETION_APPROVED]
    const approvedInTime = approved !== undefined && !Number.isNaN(Date.parse(approved)) && Date.parse(approved) >= Date.parse(meta.deletionTimestamp)
    const needsApproval = cascade && !approvedInTime ? resourcesWhere(ctx.app, (r) => Boolean(r.requiresDeletionConfirmation)) : []
    evidence.push(...resourceEvidence(needsApproval, 'requiresDeletionConfirmation', 3))
    if (approved) evidence.push(ev(`metadata.annotations["${DELETION_APPROVED}"]`, approved, approvedInTime ? undefined : 'older than the deletion: does not approve it'))
    const approveStep = `Approve deleting them: ${sh('argocd', 'app', 'confirm-deletion', ctx.name, '--app-namespace', ctx.namespace)}   (or: ${sh('kubectl', 'annotate', 'applications.argoproj.io', ctx.name, '-n', ctx.namespace)} ${DELETION_APPROVED}="$(date -u +%Y-%m-%dT%H:%M:%SZ)" --overwrite)`
    const removeFinalizers = sh('kubectl', 'patch', 'applications.argoproj.io', ctx.name, '-n', ctx.namespace, '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]')
    return {
      id: 'deletion-stuck-finalizer',
      severity: 'critical',
      title: `Deletion stuck${age === undefined ? '' : ` for ${humanDuration(age)}`} on finalizer ${names[0]}`,
      explanation: `${ctx.name} was deleted, but Kubernetes keeps it until its finalizers are removed, and before removing ${names.length === 1 ? 'it' : 'them'} ${what}. ` +
        (errorText ? `That fails: "${errorText}". ` : needsApproval.length ? `It is waiting, without any error, for approval to delete ${needsApproval.length} resource(s) marked Prune=confirm/Delete=confirm. ` : 'That has not finished (a managed resource may be held by a finalizer of its own). ') +
        (blockedByOperation
          ? 'Top-level `operation` is also set, and the controller processes a requested operation before it finalizes a deletion: the leftover operation blocks the deletion, so clearing it is the first step. '
          : '`unstick` does not help here: there is no sync to clear, the deletion is the controller\'s finalizer work, and it retries on every reconcile. ') +
        'Fix what the error names; removing the finalizer by hand deletes the Application but leaves all its resources running, unmanaged.',
      evidence,
      fix: {
        command: blockedByOperation ? ctx.command('unstick') : null,
        steps: [
          ...(needsApproval.length ? [approveStep] : []),
          'Fix the cause the DeletionError names: typically the destination cluster was removed or is unreachable, the destination namespace is gone, the controller lacks RBAC to delete something, or a managed resource has a finalizer of its own that never completes.',
          ...(hooks.length ? [`Check the ${hooks.some((f) => f.startsWith('pre')) ? 'PreDelete' : 'PostDelete'} hook Jobs in ${ctx.app.spec?.destination?.namespace ?? 'the destination namespace'}: ${sh('kubectl', 'get', 'jobs', '-n', ctx.app.spec?.destination?.namespace ?? 'NAMESPACE')}`] : []),
          `Last resort, only if the resources should stay (they become unmanaged): ${removeFinalizers}`,
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
    // Without `operation` nothing will continue even after approval: operation-stuck-no-operation covers that.
    if (!facts.operationSet || !facts.inProgress) return
    const confirmOption = hasSyncOption(ctx.app, 'Prune=confirm')
    const pending = resourcesWhere(ctx.app, (r) => Boolean(r.requiresPruning) && (Boolean(r.requiresDeletionConfirmation) || confirmOption))
    if (!facts.waitingForPruneConfirmation && pending.length === 0) return
    const evidence: Evidence[] = operationEvidence(ctx)
    evidence.push(...resourceEvidence(pending, 'requiresPruning'))
    if (confirmOption) evidence.push(ev('spec.syncPolicy.syncOptions', 'Prune=confirm'))
    const approved = ctx.app.metadata.annotations?.[DELETION_APPROVED]
    let approvalNote = ''
    if (approved) {
      evidence.push(ev(`metadata.annotations["${DELETION_APPROVED}"]`, approved))
      approvalNote = ` The existing approval (${approved}) only covers operations that started at or before that time; this one started ${ctx.app.status?.operationState?.startedAt ?? 'later'}, so approve again.`
    }

    return {
      id: 'prune-awaiting-confirmation',
      severity: 'warning',
      title: `Sync waits for a human to approve pruning${pending.length ? ` (${pending.length} resource${pending.length === 1 ? '' : 's'})` : ''}`,
      explanation: `The sync of ${ctx.name} is not stuck: it reached resources that must be pruned and Prune=confirm is in effect, so it waits for an explicit approval before deleting them. ` +
        '(The "waiting for pruning confirmation of …" message is not always shown; requiresPruning next to Prune=confirm says the same.) ' +
        `Unsticking would throw the sync away, and the next sync would wait for the same confirmation.${approvalNote}`,
      evidence,
      fix: {
        command: null,
        steps: [
          `Approve the prune: ${sh('argocd', 'app', 'confirm-deletion', ctx.name, '--app-namespace', ctx.namespace)}   (or: ${sh('kubectl', 'annotate', 'applications.argoproj.io', ctx.name, '-n', ctx.namespace)} ${DELETION_APPROVED}="$(date -u +%Y-%m-%dT%H:%M:%SZ)" --overwrite)`,
          'If those resources must not be deleted: add them back to Git, or annotate them argocd.argoproj.io/sync-options: Prune=false; the sync then finishes without pruning them.',
          'Remove the deletion-approved annotation afterwards, so a stale approval cannot cover a later prune.',
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/',
      },
    }
  },
}

export const syncWindowBlocked: Matcher = {
  id: 'sync-window-blocked',
  supersedes: ['operation-stuck', 'operation-in-progress'],
  match(ctx) {
    const {facts} = ctx
    if (!facts.blockedBySyncWindow || facts.phase !== 'Running' || !facts.operationSet) return
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
      title: 'Sync blocked by a sync window',
      explanation: `A sync window of AppProject ${project} forbids syncing ${ctx.name} right now, so the controller holds the operation at Running ("Sync operation blocked by sync window") until the window allows it${facts.ageSeconds === undefined ? '' : ` (held for ${humanDuration(facts.ageSeconds)} so far)`}. ` +
        `This is the window working as configured.${when} Unstick does not help: clearing the operation discards the sync, the next sync is blocked the same way, and terminate and delete wait for the window too.`,
      evidence,
      fix: {
        command: null,
        steps: [
          `Wait for the window to open; list the windows: argocd proj windows list ${project}`,
          manual
            ? `The window allows manual syncs: sync from the UI or with ${sh('argocd', 'app', 'sync', ctx.name, '--app-namespace', ctx.namespace)} (a raw kubectl patch of .operation does not count as manual).`
            : `If the change cannot wait: change or remove the window in AppProject ${project} (spec.syncWindows), or allow manual syncs in it (argocd proj windows enable-manual-sync ${project} <id>), then sync from the UI/CLI.`,
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/sync_windows/',
      },
    }
  },
}
