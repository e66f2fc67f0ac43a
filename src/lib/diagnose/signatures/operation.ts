import {sh} from '../../shell.js'
import {COMPLETED_PHASES, humanDuration, IN_PROGRESS_PHASES} from '../../app.js'
import {ARGOCD_FACTS, byVersion} from '../../argocd-facts.js'
import type {Evidence, MatchContext, Matcher} from '../types.js'
import {describeSource, ev, evTime, failedSyncIsOldNews, resourcesWhere} from '../util.js'
import {explainMessage} from '../messages.js'

/**
 * Signatures of sync operations that do not finish: a phase with no operation behind it,
 * App-of-Apps self-wait, hooks that never complete, leftovers that block every sync.
 */

/**
 * Thresholds, in seconds (from the one module of Argo CD facts, shared with the recipes). Below
 * them an operation may still be making progress. `controllerStale` is the same number unstick
 * uses to decide whether the controller is alive.
 */
export const THRESHOLDS = {
  orphanPhase: ARGOCD_FACTS.orphanPhase,
  hook: ARGOCD_FACTS.hook,
  longOperation: ARGOCD_FACTS.longOperation,
  controllerStale: ARGOCD_FACTS.controllerAlive,
  terminating: ARGOCD_FACTS.terminating,
  deletion: ARGOCD_FACTS.deletion,
}

const DOCS_TERMINATE = 'https://argo-cd.readthedocs.io/en/stable/user-guide/commands/argocd_app_terminate-op/'
const DOCS_HOOKS = 'https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/'
const DOCS_BOOTSTRAP = 'https://argo-cd.readthedocs.io/en/stable/operator-manual/cluster-bootstrapping/'

/** "for 9h8m" / "" */
function forAge(ctx: MatchContext): string {
  return ctx.facts.ageSeconds === undefined ? '' : ` for ${humanDuration(ctx.facts.ageSeconds)}`
}

export function operationEvidence(ctx: MatchContext, withMessage = true): Evidence[] {
  const state = ctx.app.status?.operationState
  const out: Evidence[] = []
  if (state?.phase) out.push(ev('status.operationState.phase', state.phase))
  if (withMessage && state?.message) out.push(ev('status.operationState.message', state.message))
  if (state?.startedAt) out.push(evTime('status.operationState.startedAt', state.startedAt, ctx.now))
  if (ctx.facts.operationSet) {
    const op = ctx.app.operation!
    const who = op.initiatedBy?.username ?? (op.initiatedBy?.automated ? 'automated' : undefined)
    out.push(ev(op.initiatedBy?.username ? 'operation.initiatedBy.username' : 'operation.initiatedBy.automated', op.initiatedBy?.username ?? op.initiatedBy?.automated ?? null, `top-level operation is set${who ? '' : ' (no initiatedBy)'}`))
  } else {
    out.push(ev('operation', null, 'absent: no operation is requested'))
  }

  return out
}

function controllerAlive(ctx: MatchContext): boolean {
  return ctx.facts.controllerAlive
}

const isRetrying = (message: string | undefined) => /Retrying attempt #\d+/.test(message ?? '')

export const selfWait: Matcher = {
  id: 'self-wait',
  supersedes: ['operation-stuck-no-operation', 'operation-stuck', 'operation-in-progress'],
  match(ctx) {
    if (!ctx.facts.selfWait || !ctx.facts.inProgress) return
    const {name} = ctx
    const source = describeSource(ctx.app)
    const steps = [
      source.plainDirectory
        ? `Stop the next sync from deadlocking until the permanent fix lands: ${ctx.command('unstick')} --exclude-self <file>${source.sourceIndex === undefined ? '' : ` --source-index ${source.sourceIndex}`} — <file> is the file that defines Application ${name} inside ${source.text} (e.g. root-app.yaml).`
        : `The source is Helm/Kustomize/plugin, so directory.exclude does not apply: stop rendering Application ${name} from ${source.text}.`,
      `Permanent fix: move the root Application's manifest out of the directory it watches (${source.path ? `\`${source.path}\`` : 'its source path'}), e.g. to k8s/argocd/root-apps/, apply it once by hand or from a parent app, commit and push; then remove the temporary exclude.`,
    ]
    return {
      id: 'self-wait',
      severity: 'critical',
      title: `App-of-Apps waits for its own health (deadlock${forAge(ctx)})`,
      explanation: `${name} syncs ${source.text}, and that directory contains ${name}'s own Application manifest. ` +
        `Every sync applies it and then waits for Application ${name} to become Healthy — but ${name} is ${ctx.app.status?.health?.status ?? 'not Healthy'} precisely because this sync has not finished, so it never can and no later wave or child app gets synced. ` +
        `${byVersion(ctx.related.argocdVersion, 4,
          `${name}'s health is the worst of its other existing resources (missing ones no longer count, argo-cd#25962), so this needs one that is not Healthy — typically a later wave's, which this sync would update only after the wait; a first sync whose later waves do not exist yet goes through.`,
          `any resource of a later wave that does not exist yet and has a health check (a Deployment, say) makes ${name} Missing, so even its first sync deadlocks.`)} ` +
        `${ctx.facts.operationSet ? '' : 'No top-level `operation` is set, so `argocd app terminate-op` refuses ("No operation is in progress"). '}` +
        'Clearing the operation and hard-refreshing (the usual manual recipe, which is what unstick does, guarded) only buys time: the next sync deadlocks again until the manifest moves.',
      evidence: operationEvidence(ctx),
      fix: {command: ctx.command('unstick'), steps, docs: DOCS_BOOTSTRAP},
    }
  },
}

/** `operation` set next to a completed phase: argocd app sync refuses every later sync. */
function leftoverOperation(ctx: MatchContext): boolean {
  return ctx.facts.operationSet && ctx.facts.phase !== undefined && COMPLETED_PHASES.has(ctx.facts.phase)
}

function leftoverDetail(ctx: MatchContext): string {
  const state = ctx.app.status?.operationState
  const half = !state?.finishedAt && !state?.syncResult
  return half ? ', with no finishedAt and no syncResult: the controller restarted in the middle of writing the result' : ''
}

function leftoverEvidence(ctx: MatchContext): Evidence[] {
  const state = ctx.app.status?.operationState
  const out = operationEvidence(ctx, true)
  if (state && !state.finishedAt) out.push(ev('status.operationState.finishedAt', null, 'absent'))
  else if (state?.finishedAt) out.push(evTime('status.operationState.finishedAt', state.finishedAt, ctx.now))
  return out
}

export const V353 = /^v?3\.5\.3(?:[+-].*)?$/

export const controllerCannotClearV353: Matcher = {
  id: 'controller-cannot-clear-operation-v353',
  supersedes: ['operation-leftover'],
  match(ctx) {
    const version = ctx.related.argocdVersion
    if (!version || !V353.test(version) || !leftoverOperation(ctx)) return
    const pods = ctx.related.controllerPods
    const image = pods?.status === 'found' ? pods.value.find((p) => p.image)?.image : undefined
    return {
      id: 'controller-cannot-clear-operation-v353',
      severity: 'critical',
      title: `Argo CD ${version} cannot clear .operation (known regression argo-cd#29741)`,
      explanation: `The last operation on ${ctx.name} finished (${ctx.facts.phase}${leftoverDetail(ctx)}) but top-level \`operation\` is still set. ` +
        `The application-controller runs ${version}, whose regression (argo-cd#29741) leaves \`.operation\` behind after an operation completes. ` +
        'While it is set, every sync is refused ("another operation is already in progress") and auto-sync stops. Clearing it fixes this app until its next sync; upgrading the controller fixes it for good.',
      evidence: [
        ...leftoverEvidence(ctx),
        ev(`Pod ${pods?.namespace ?? ctx.controllerNamespace} application-controller image`, image ?? version, 'controller version'),
      ],
      fix: {
        command: ctx.command('unstick'),
        steps: ['Upgrade Argo CD past v3.5.3 (or roll back to v3.5.2): until then every completed sync leaves `.operation` behind again.'],
        docs: 'https://github.com/argoproj/argo-cd/issues/29741',
      },
    }
  },
}

export const operationLeftover: Matcher = {
  id: 'operation-leftover',
  match(ctx) {
    if (!leftoverOperation(ctx)) return
    return {
      id: 'operation-leftover',
      severity: 'critical',
      title: `Leftover operation blocks every sync (phase ${ctx.facts.phase})`,
      explanation: `The last operation on ${ctx.name} is complete (phase ${ctx.facts.phase}${leftoverDetail(ctx)}), yet top-level \`operation\` is still set. ` +
        'Argo CD decides "another operation is already in progress" from `operation` alone, so manual syncs are refused and auto-sync is skipped, and a live controller may run this old operation again. ' +
        'The phase does not say Running, but the app is stuck. When an operation completes the controller clears `operation` itself; this one was not cleared.',
      evidence: leftoverEvidence(ctx),
      fix: {
        command: ctx.command('unstick'),
        steps: [
          ctx.related.argocdVersion
            ? `Controller version ${ctx.related.argocdVersion}: if this keeps coming back, check the controller logs around the end of each sync.`
            : 'If the application-controller runs v3.5.3, this is the known regression argo-cd#29741 and it comes back after every sync until you upgrade (kubectl get pods -l app.kubernetes.io/name=argocd-application-controller -o jsonpath=\'{..image}\' shows the version).',
        ],
        docs: 'https://github.com/argoproj/argo-cd/issues/29636',
      },
    }
  },
}

export const operationStuckNoOperation: Matcher = {
  id: 'operation-stuck-no-operation',
  supersedes: ['operation-stuck', 'operation-in-progress'],
  match(ctx) {
    const {facts} = ctx
    if (facts.operationSet || !facts.phase || !IN_PROGRESS_PHASES.has(facts.phase)) return
    if (facts.ageSeconds !== undefined && facts.ageSeconds < THRESHOLDS.orphanPhase) return
    return {
      id: 'operation-stuck-no-operation',
      severity: 'critical',
      title: `Sync stuck ${facts.phase}${forAge(ctx)} with no operation behind it`,
      explanation: `status.operationState.phase is ${facts.phase}, so the UI shows "Syncing", but no top-level \`operation\` is set: there is nothing for the controller to run or finish, and it never will. ` +
        '`argocd app terminate-op` refuses ("Unable to terminate operation. No operation is in progress") and `argocd app sync` may be refused too. ' +
        'The fix is to remove the orphaned status.operationState (guarded, so a concurrent change is not clobbered) and hard-refresh.',
      evidence: operationEvidence(ctx),
      fix: {command: ctx.command('unstick'), steps: [], docs: DOCS_TERMINATE},
    }
  },
}

export const hookNeverCompletes: Matcher = {
  id: 'hook-never-completes',
  supersedes: ['operation-stuck', 'operation-stuck-no-operation', 'operation-in-progress'],
  match(ctx) {
    const {facts} = ctx
    const waiting = facts.waiting
    if (!facts.inProgress || waiting?.what !== 'completion of hook') return
    if (facts.ageSeconds !== undefined && facts.ageSeconds < THRESHOLDS.hook) return
    const results = ctx.app.status?.operationState?.syncResult?.resources ?? []
    const hookIndex = results.findIndex((r) => r.kind === waiting.kind && r.name === waiting.name && (r.group ?? '') === waiting.group)
    const hook = hookIndex >= 0 ? results[hookIndex] : undefined
    const namespace = hook?.namespace
      ?? resourcesWhere(ctx.app, (r) => r.kind === waiting.kind && r.name === waiting.name)[0]?.item.namespace
      ?? ctx.app.spec?.destination?.namespace
    const evidence = operationEvidence(ctx)
    if (hook) {
      evidence.push(ev(`status.operationState.syncResult.resources[${hookIndex}].hookPhase`, hook.hookPhase ?? null, `${hook.hookType ?? 'hook'} ${waiting.kind} ${waiting.name}`))
      if (hook.message) evidence.push(ev(`status.operationState.syncResult.resources[${hookIndex}].message`, hook.message))
    }

    const forcePresync = ctx.command('force-presync')
    const key = `${namespace}/${waiting.name}`
    const job = waiting.kind === 'Job' && namespace ? ctx.related.jobs?.[key] : undefined
    const hookName = `${waiting.group ? `${waiting.group}/` : ''}${waiting.kind}/${waiting.name}`
    const terminateFirst = facts.operationSet && controllerAlive(ctx)
      ? 'unstick first asks the controller to terminate the operation (like argocd app terminate-op) so it cleans up the running hooks, and clears the operation only if that does not finish.'
      : 'unstick clears the operation (guarded) and hard-refreshes.'
    const base = {id: 'hook-never-completes', title: `Sync waits${forAge(ctx)} for hook ${hookName} that never completes`}
    const more = waiting.more ? ` (and ${waiting.more} more)` : ''

    if (job?.status === 'found' && job.value.active > 0 && !job.value.conditions.length) {
      evidence.push(ev(`Job ${key} status.active`, job.value.active, job.value.startTime ? `started ${humanDuration(Math.max(0, Math.round((ctx.now.getTime() - Date.parse(job.value.startTime)) / 1000)))} ago` : undefined))
      return {
        ...base,
        severity: 'warning',
        title: `Sync waits${forAge(ctx)} for hook Job ${waiting.name}, which is still running`,
        explanation: `The sync of ${ctx.name} is waiting for hook ${hookName}${more}, and that Job still has ${job.value.active} active pod(s): the hook itself is not finishing (a migration that hangs, an image that cannot be pulled, a dependency that is down). ` +
          'Argo CD is behaving correctly; find out why the Job does not complete. Clearing the operation would abandon the sync while the Job keeps running.',
        evidence,
        fix: {
          command: null,
          steps: [
            sh('kubectl', 'describe', 'job', waiting.name, '-n', namespace ?? 'NAMESPACE'),
            sh('kubectl', 'logs', `job/${waiting.name}`, '-n', namespace ?? 'NAMESPACE', '--all-containers', '--tail=100'),
            `To give up on this sync instead: ${ctx.command('unstick')} (${terminateFirst})`,
          ],
          docs: DOCS_HOOKS,
        },
      }
    }

    let why: string
    if (job?.status === 'missing') {
      evidence.push(ev(`Job ${key}`, 'NotFound', 'the hook Job no longer exists'))
      why = `Job ${key} no longer exists: it was deleted before the controller saw it finish (ttlSecondsAfterFinished on the hook Job, a cleanup tool, or a manual delete), so the controller waits for a Job that will never report back.`
    } else if (job?.status === 'found') {
      const done = job.value.conditions.join(', ') || (job.value.succeeded > 0 ? 'succeeded' : job.value.failed > 0 ? 'failed' : 'not active')
      evidence.push(ev(`Job ${key} status.conditions`, done, job.value.completionTime ? `completed ${humanDuration(Math.max(0, Math.round((ctx.now.getTime() - Date.parse(job.value.completionTime)) / 1000)))} ago` : undefined))
      why = `Job ${key} has finished (${done}), but the controller has not recorded it: the operation lost track of the hook (for example after a controller restart).`
    } else {
      why = 'Usually the hook Job was deleted before the controller saw it finish (ttlSecondsAfterFinished on the Job, or a manual delete), or the controller lost track of it after a restart. ' +
        (job?.status === 'unreadable' ? `The Job could not be read (${job.reason}).` : '(Run explain against the cluster to check whether the Job still exists.)')
    }

    return {
      ...base,
      severity: 'critical',
      explanation: `The sync of ${ctx.name} has been waiting${forAge(ctx)} for the completion of hook ${hookName}${more}. ${why} ` +
        `The fix is to end the operation, then run the hooks again with a full sync. ${terminateFirst}`,
      evidence,
      fix: {
        command: ctx.command('unstick'),
        steps: [
          `Then re-run the hooks with a full sync (hooks run only during a sync operation): ${forcePresync}`,
          'Do not set ttlSecondsAfterFinished on hook Jobs; let argocd.argoproj.io/hook-delete-policy (BeforeHookCreation, HookSucceeded) remove them after the controller has seen the result.',
        ],
        docs: DOCS_HOOKS,
      },
    }
  },
}

const NO_HEALTH_CHECK = new Set(['ConfigMap', 'Secret', 'ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'NetworkPolicy', 'LimitRange', 'ResourceQuota'])

export const operationStuck: Matcher = {
  id: 'operation-stuck',
  supersedes: ['operation-in-progress'],
  match(ctx) {
    const {facts} = ctx
    if (!facts.operationSet || !facts.phase || !IN_PROGRESS_PHASES.has(facts.phase) || isRetrying(facts.message)) return
    if (facts.ageSeconds === undefined || facts.ageSeconds < THRESHOLDS.longOperation) return
    const w = facts.waiting
    let detail = ''
    const steps: string[] = []
    if (facts.phase === 'Terminating') {
      detail = 'It is Terminating, and termination has not completed: the controller is not finishing it (it may be down, overloaded, or unable to clean up a hook). '
    } else if (w?.what === 'healthy state of') {
      const res = `${w.group ? `${w.group}/` : ''}${w.kind}/${w.name}`
      detail = `It waits for the healthy state of ${res}${w.more ? ` and ${w.more} more` : ''}; the first one named is only the first of the remaining tasks, not necessarily the blocker. `
      if (NO_HEALTH_CHECK.has(w.kind)) {
        detail += `${w.kind} has no health check, so waiting for it means its live object is missing from the controller's cache: a hard refresh (or restarting the application-controller) usually unblocks it. `
        steps.push(`If it does not move after that: ${ctx.command('hard-refresh')}`)
      } else {
        const ns = resourcesWhere(ctx.app, (r) => r.kind === w.kind && r.name === w.name)[0]?.item.namespace
        steps.push(`See which resources are not healthy yet: ${sh('kubectl', 'describe', `${w.kind.toLowerCase()}${w.group ? `.${w.group}` : ''}`, w.name, ...(ns ? ['-n', ns] : []))}, and ${sh('argocd', 'app', 'get', ctx.name, '--app-namespace', ctx.namespace)}`)
      }
    } else if (w?.what === 'deletion of' || w?.what === 'deletion of hook') {
      detail = `It waits for the deletion of ${w.group ? `${w.group}/` : ''}${w.kind}/${w.name}: that object is held by a finalizer of its own (kubectl get it -o jsonpath='{.metadata.finalizers}'). `
    }

    return {
      id: 'operation-stuck',
      severity: facts.ageSeconds >= 4 * THRESHOLDS.longOperation ? 'critical' : 'warning',
      title: `Sync operation ${facts.phase}${forAge(ctx)}`,
      explanation: `A sync of ${ctx.name} has been ${facts.phase}${forAge(ctx)}. ${detail}` +
        `If it is not going to finish, unstick ends it: ${controllerAlive(ctx) ? 'the controller is alive, so it first asks it to terminate (like argocd app terminate-op) and clears the operation only if that does not finish' : 'the controller has not reconciled the app recently, so it clears the operation (guarded) and hard-refreshes'}.`,
      evidence: operationEvidence(ctx),
      fix: {command: ctx.command('unstick'), steps, docs: DOCS_TERMINATE},
    }
  },
}

export const syncRetrying: Matcher = {
  id: 'sync-retrying',
  supersedes: ['operation-in-progress'],
  match(ctx) {
    const {facts} = ctx
    if (!facts.phase || !IN_PROGRESS_PHASES.has(facts.phase) || !isRetrying(facts.message)) return
    const retry = ctx.app.status?.operationState?.retryCount
    const evidence = operationEvidence(ctx)
    if (retry !== undefined) evidence.push(ev('status.operationState.retryCount', retry))
    return {
      id: 'sync-retrying',
      severity: 'warning',
      title: `Sync failing and retrying${retry ? ` (attempt ${retry})` : ''}`,
      explanation: `The sync of ${ctx.name} failed and the controller is retrying it (spec.syncPolicy.retry). The message says why it failed; retries will not help until the cause is fixed, and after the last retry the operation ends Failed.`,
      evidence,
      fix: {
        command: null,
        steps: [
          'Fix what the message names (usually in Git), then let the next retry or sync pick it up.',
          `To stop the retries now: ${ctx.command('unstick')}`,
        ],
        docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/auto_sync/',
      },
    }
  },
}

/** A young operation: not a problem yet, but worth saying what it is waiting for. */
export const operationInProgress: Matcher = {
  id: 'operation-in-progress',
  match(ctx) {
    const {facts} = ctx
    if (!facts.phase || !IN_PROGRESS_PHASES.has(facts.phase)) return
    const w = facts.waiting
    return {
      id: 'operation-in-progress',
      severity: 'info',
      title: `Sync ${facts.phase}${forAge(ctx)}`,
      explanation: `A sync of ${ctx.name} is in progress${w ? ` (waiting for ${w.what} ${w.group ? `${w.group}/` : ''}${w.kind}/${w.name})` : ''}. That is normal for now; explain flags it once it runs longer than expected.`,
      evidence: operationEvidence(ctx),
      fix: {command: null, steps: []},
    }
  },
}

export const syncFailed: Matcher = {
  id: 'sync-failed',
  match(ctx) {
    const {facts} = ctx
    if (facts.inProgress || (facts.phase !== 'Failed' && facts.phase !== 'Error')) return
    const state = ctx.app.status!.operationState!
    const synced = failedSyncIsOldNews(ctx.app)
    const evidence: Evidence[] = [ev('status.operationState.phase', state.phase!), ev('status.operationState.message', state.message ?? null)]
    if (state.finishedAt) evidence.push(evTime('status.operationState.finishedAt', state.finishedAt, ctx.now))
    const failed = (state.syncResult?.resources ?? []).map((r, i) => ({r, i})).filter(({r}) => r.status === 'SyncFailed' || (r.hookPhase === 'Failed' || r.hookPhase === 'Error'))
    for (const {r, i} of failed.slice(0, 5)) evidence.push(ev(`status.operationState.syncResult.resources[${i}].message`, r.message ?? null, `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`))
    const auto = Boolean(ctx.app.spec?.syncPolicy?.automated)
    const retried = /\(retried (\d+) times\)/.exec(state.message ?? '')
    // The catalogue may know the operation's own message (a ComparisonError that ended the sync, …).
    const meaning = explainMessage(state.message, {path: 'status.operationState.message', state: state.phase!}, ctx)
    return {
      id: 'sync-failed',
      severity: synced ? 'info' : 'warning',
      title: `Last sync ${state.phase}${retried ? ` after ${retried[1]} retries` : ''}${meaning ? `: ${meaning.title}` : ''}`,
      explanation: `The last sync of ${ctx.name} ended ${state.phase}${state.finishedAt ? ` ${humanDuration(Math.max(0, Math.round((ctx.now.getTime() - Date.parse(state.finishedAt)) / 1000)))} ago` : ''}. ` +
        (synced ? 'The app is Synced now, so this result is old news. ' : '') +
        (auto && !synced ? 'Auto-sync does not retry a revision whose sync failed ("Failed last sync attempt to …"): nothing happens until a new commit or a manual sync. ' : '') +
        'This is not a stuck operation: unstick has nothing to clear.' +
        (meaning ? ` ${meaning.cause}` : ''),
      evidence,
      fix: {
        command: null,
        steps: [
          ...(meaning ? meaning.steps : ['Fix what the failed resources\' messages say (usually in Git: an invalid manifest, an immutable field, a missing CRD or namespace, RBAC of the destination).']),
          `Then sync again: ${ctx.command('force-presync')} (a full sync with hooks, built like argocd app sync)`,
        ],
        docs: meaning?.docs ?? 'https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/',
      },
    }
  },
}
