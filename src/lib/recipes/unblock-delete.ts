import {humanDuration, refOf, secondsSince, type Application} from '../app.js'
import {deletionFacts, hookFinalizerCommand, printable, removeFinalizerCommand, resourceLabel, type AppFinalizer, type DeletionFacts, type LiveMeta} from '../deletion.js'
import {ourCommand} from '../invocation.js'
import {describeGuards, resourceVersionGuard, type JsonPatchOp, type NoChange, type Outcome} from '../plan.js'

export interface UnblockDeleteOptions {
  now: Date
  /** Remove Argo CD's finalizers even when nothing shows the deletion cannot finish. */
  force: boolean
  /** The controller counts as alive when it reconciled the app within this many seconds. */
  controllerFreshSeconds: number
  /** Live metadata of the app's managed resources (cluster source only). */
  live?: readonly LiveMeta[]
}

export const UNBLOCK_DEFAULTS = {controllerFreshSeconds: 600}

const MAX_LISTED = 15

/** What removing these finalizers leaves behind, one line each. */
function leftBehind(facts: DeletionFacts, removed: AppFinalizer[], now: Date): string[] {
  const lines: string[] = []
  if (removed.some((f) => f.role === 'cascade')) {
    const shown = facts.orphans.slice(0, MAX_LISTED).map((r) => {
      const age = r.live?.creationTimestamp ? secondsSince(r.live.creationTimestamp, now) : undefined
      const live = r.live === undefined ? '' : r.live.state === 'found' ? ` (live${age === undefined ? '' : `, age ${humanDuration(age)}`}${r.live.deletionTimestamp ? ', being deleted' : ''})` : ` (not readable: ${printable(r.live.error ?? 'unknown')})`
      return `${resourceLabel(r)}${live}`
    })
    if (facts.orphans.length > MAX_LISTED) shown.push(`… and ${facts.orphans.length - MAX_LISTED} more`)
    if (facts.orphans.length > 0) lines.push(`Removing ${removed.find((f) => f.role === 'cascade')!.name} leaves ${facts.orphans.length} managed resource${facts.orphans.length === 1 ? '' : 's'} on ${facts.destination} running and unmanaged (nobody deletes them):\n${shown.map((l) => `  - ${l}`).join('\n')}`)
  }

  if (removed.some((f) => f.role === 'post-delete')) lines.push('Removing the post-delete finalizer skips the PostDelete hooks (and their cleanup): whatever they were meant to do after the deletion does not happen.')
  if (removed.some((f) => f.role === 'pre-delete')) lines.push('Removing the pre-delete finalizer skips the PreDelete hooks.')
  return lines
}

/**
 * Unblock an Application whose deletion never finishes: find which of Argo CD's finalizers blocks
 * and why, and remove exactly those with a guarded JSON patch. Pure.
 */
export function buildUnblockDeletePlan(app: Application, opts: UnblockDeleteOptions): Outcome {
  const target = refOf(app)
  const name = app.metadata.name
  const ns = target.namespace
  const facts = deletionFacts(app, opts.now, {live: opts.live, controllerFreshSeconds: opts.controllerFreshSeconds})
  const noChange = (kind: NoChange['kind'], reason: string, hint?: string, notes: string[] = []): NoChange => ({kind, recipe: 'unblock-delete', target, reason, hint, notes})
  const explain = ourCommand(['explain', name, '-n', ns])

  if (!facts.deleting) {
    return noChange('refused', `${name} is not being deleted (no metadata.deletionTimestamp): its finalizers are what makes a later deletion clean up, so argo-doctor never removes them.`,
      `To delete the app with its resources: argocd app delete ${name} --app-namespace ${ns} (or kubectl delete applications.argoproj.io ${name} -n ${ns}).`)
  }

  const age = facts.deletionAgeSeconds === undefined ? '' : ` for ${humanDuration(facts.deletionAgeSeconds)}`
  if (facts.argoFinalizers.length === 0) {
    const foreign = facts.finalizers.map((f) => printable(f.name))
    return noChange('nothing', `${name} has been deleting${age}, but ${foreign.length === 0 ? 'it has no finalizers left (Kubernetes removes it shortly)' : `only finalizers that are not Argo CD's remain: ${foreign.join(', ')}`}.`,
      foreign.length === 0 ? undefined : 'Ask whoever installed that finalizer (another controller or webhook); argo-doctor only removes Argo CD\'s own finalizers.')
  }

  if (facts.operationSet && !opts.force) {
    return noChange('refused', `${name} still has a requested sync (top-level \`operation\`); Argo CD processes it before it finalizes a deletion, so the deletion waits for it.`,
      `Clear the operation first: ${ourCommand(['unstick', name, '-n', ns])} — then the controller finishes the deletion itself (pass --force to remove the finalizers anyway).`)
  }

  if (facts.awaitingApproval.length > 0 && !opts.force) {
    return noChange('refused', `The cascading delete of ${name} waits for approval to delete ${facts.awaitingApproval.length} resource(s) marked Delete=confirm (${facts.awaitingApproval.slice(0, 3).map((r) => resourceLabel(r)).join(', ')}); nothing is broken.`,
      `Approve it: ${ourCommand(['approve-prune', name, '-n', ns])} (or argocd app confirm-deletion ${name}); --force removes the finalizer instead and leaves them running.`)
  }

  if (facts.hookLeaks.length > 0 && !opts.force) {
    return noChange('refused', `The cascading delete of ${name} waits for ${facts.hookLeaks.length} hook resource(s) that are being deleted but still carry Argo CD's hook finalizer (${facts.hookLeaks.map((l) => resourceLabel(l)).join(', ')}), the leak in argo-cd #29464; the app's own finalizer is doing its job.`,
      `Remove the leaked hook finalizer (guarded: only if it is still at that index), and the controller finishes the deletion by itself:\n    ${facts.hookLeaks.map((l) => hookFinalizerCommand(l)).join('\n    ')}`,
      ['argo-doctor only writes Applications, so it prints this command instead of running it; --force would remove the app\'s finalizer instead and orphan every other resource.'])
  }

  if (facts.stuckChildren.length > 0 && !opts.force) {
    return noChange('refused', `The cascading delete of ${name} waits for child Application(s) that are themselves stuck deleting: ${facts.stuckChildren.map((c) => `${c.namespace}/${c.name}`).join(', ')}.`,
      `Unblock the child first: ${facts.stuckChildren.map((c) => ourCommand(['unblock-delete', c.name, '-n', c.namespace ?? ns])).join('; ')} — then ${name} finishes by itself.`)
  }

  // Which finalizers block, and why.
  let blocking: AppFinalizer[]
  let cause: string
  const hookStages = facts.argoFinalizers.filter((f) => f.role === facts.hookStageError)
  if (facts.clusterGone) {
    blocking = facts.argoFinalizers
    cause = `its destination cluster (${facts.destination}) is no longer configured in Argo CD (the cluster Secret is gone): "${facts.errors[0] ?? 'cluster not found'}". Nothing can be deleted there; newer controllers drop these finalizers themselves in this case, so removing them is what Argo CD would do.`
  } else if (facts.clusterUnreachable) {
    blocking = facts.argoFinalizers
    cause = `its destination cluster (${facts.destination}) cannot be reached, so every attempt to delete its resources fails: "${facts.errors[0]}".`
  } else if (hookStages.length > 0) {
    blocking = hookStages
    cause = `its ${hookStages.map((f) => f.role === 'pre-delete' ? 'PreDelete' : 'PostDelete').join('/')} hooks cannot run: "${facts.errors[0]}".`
  } else if (facts.preDeleteHooksHang && facts.otherTerminating.length === 0) {
    blocking = facts.argoFinalizers.filter((f) => f.role === 'pre-delete')
    cause = `its PreDelete hooks have not completed${age}, and there is no error: the controller runs them before it deletes anything and waits for them silently (a hook Job whose pod hangs). Removing the pre-delete finalizer skips them; the controller then goes on with the deletion, and the hook Job stays behind for you to look at and delete.`
  } else if (opts.force) {
    blocking = facts.argoFinalizers
    cause = facts.errors[0] ? `the deletion keeps failing: "${facts.errors[0]}" (--force).` : 'nothing shows why it is not finishing; removing them because of --force.'
  } else if (facts.errors.length > 0) {
    return noChange('refused', `The deletion of ${name} fails${age}: "${facts.errors[0]}". The controller retries on every reconcile and finishes by itself once that is fixed.`,
      `Fix what the DeletionError names (RBAC, a namespace, a webhook …) and wait; pass --force to remove the finalizers anyway (its resources stay running, unmanaged). Details: ${explain}`)
  } else if (facts.otherTerminating.length > 0) {
    const held = facts.otherTerminating.slice(0, 5)
    return noChange('refused', `The cascading delete of ${name} waits for resources held by finalizers of their own: ${held.map((l) => `${resourceLabel(l)} [${printable((l.finalizers ?? []).join(', '))}]`).join('; ')}.`,
      'Find out why those finalizers do not finish: each belongs to a controller (or webhook) that must finish its cleanup first. ' +
      `Only if that controller is gone for good and its cleanup can be skipped, remove the finalizer (guarded: only if it is still at that index); the controller then finishes the deletion by itself:\n    ${held.flatMap((l) => (l.finalizers ?? []).map((f) => removeFinalizerCommand(l, f))).join('\n    ')}`,
      ['argo-doctor only writes Applications, so it prints these commands instead of running them; removing the app\'s finalizer would not delete those resources. --force removes it anyway.'])
  } else if (facts.controllerAlive) {
    return noChange('refused', `${name} has been deleting${age}, the controller is alive (reconciled ${humanDuration(facts.reconciledAgoSeconds!)} ago) and its destination ${facts.inCluster ? 'is the in-cluster API server' : `(${facts.destination}) shows no error`}: nothing shows the deletion cannot finish.`,
      `Wait (large apps take a while), or look at status.conditions: ${explain}. Pass --force to remove the finalizers anyway (its resources stay running, unmanaged).`)
  } else {
    return noChange('refused', `${name} has been deleting${age} and the application-controller has not reconciled it ${facts.reconciledAgoSeconds === undefined ? 'at all (no status.reconciledAt)' : `for ${humanDuration(facts.reconciledAgoSeconds)}`}; there is no error saying the deletion cannot finish.`,
      'Start the controller (kubectl get pods -n argocd -l app.kubernetes.io/name=argocd-application-controller): it finishes the deletion itself. --force removes the finalizers without it.')
  }

  const ops: JsonPatchOp[] = []
  const sorted = [...blocking].sort((a, b) => b.index - a.index)
  for (const f of sorted) ops.push({op: 'test', path: `/metadata/finalizers/${f.index}`, value: f.name})
  for (const f of sorted) ops.push({op: 'remove', path: `/metadata/finalizers/${f.index}`})
  const patch = [...resourceVersionGuard(app), ...ops]
  const remaining = facts.finalizers.filter((f) => !blocking.includes(f))
  const warnings = leftBehind(facts, blocking, opts.now)
  if (opts.force && facts.operationSet) warnings.push('A sync is still requested (top-level `operation`); it is left alone.')
  if (opts.force && facts.hookLeaks.length > 0) warnings.push(`Hook resources keep Argo CD's hook finalizer and stay terminating: ${facts.hookLeaks.map((l) => hookFinalizerCommand(l)).join(' ; ')}`)
  const keptArgo = remaining.filter((f) => f.role !== 'foreign')
  const keptForeign = remaining.filter((f) => f.role === 'foreign')
  if (keptArgo.length > 0) warnings.push(`${name} keeps ${keptArgo.map((f) => f.name).join(', ')}: the controller carries on with ${keptArgo.length === 1 ? 'it' : 'them'} (e.g. the cascading delete of its resources) once this is removed.`)
  if (keptForeign.length > 0) warnings.push(`${name} keeps ${printable(keptForeign.map((f) => f.name).join(', '))}, which ${keptForeign.length === 1 ? 'is' : 'are'} not Argo CD's: it is deleted only once ${keptForeign.length === 1 ? 'its owner removes it' : 'their owners remove them'}.`)
  return {
    kind: 'plan',
    recipe: 'unblock-delete',
    action: 'remove-finalizers',
    target,
    summary: `Remove ${blocking.length === 1 ? 'finalizer' : 'finalizers'} ${blocking.map((f) => f.name).join(', ')} from ${name} (deleting${age}).`,
    why: `${name} was deleted, but Kubernetes keeps it until its finalizers are gone, and Argo CD cannot finish ${blocking.length === 1 ? 'this one' : 'these'}: ${cause}`,
    patch,
    guards: describeGuards(patch),
    warnings,
    notes: blocking.some((f) => f.role === 'cascade') && facts.orphans.length === 0 ? ['status.resources lists no managed resource still present: nothing is orphaned.'] : [],
    verify: {kind: 'deleted', description: 'waiting for the Application to be gone'},
  }
}
