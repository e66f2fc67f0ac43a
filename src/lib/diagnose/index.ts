/**
 * Diagnosis: Application (+ related objects) → Finding[]. Pure — no I/O, the clock is a parameter.
 * One small matcher per incident signature, in order of importance; a matcher may supersede
 * others that describe the same root cause less precisely.
 */
import {refOf, type Application} from '../app.js'
import {ExitCode} from '../exit-codes.js'
import {comparisonError, destinationClusterUnavailable, manifestGenerationCached, otherConditions, projectNotPermitted, repoServerUnavailable, sharedResource} from './signatures/conditions.js'
import {configNotRolledOut, hpaReplicasDrift, operatorDefaultsDrift, presyncNeverRan, webhookCabundleDrift} from './signatures/drift.js'
import {deletionStuckFinalizer, pruneAwaitingConfirmation, syncWindowBlocked} from './signatures/lifecycle.js'
import {
  controllerCannotClearV353, hookNeverCompletes, operationInProgress, operationLeftover, operationStuck, operationStuckNoOperation, selfWait, syncFailed, syncRetrying,
} from './signatures/operation.js'
import {argocdSecretMissing, controllerStale} from './signatures/platform.js'
import {resourceHealthCause} from './signatures/catalogue.js'
import {autoSyncPausedByUs, degradedAfterDeploy} from './signatures/deploys.js'
import {autoSyncWithoutSelfHeal, comparisonErrorCause, operationAgeUnknown, progressingAfterSync, syncFailedCause, syncWaitsForResource, unexplainedDrift} from './signatures/causes.js'
export {worstSeverity} from './types.js'
import {coverageFindings} from './coverage.js'
import {nonGreenFacts, operationFactsAsOf} from './facts.js'
import {NO_RELATED, SEVERITY_RANK, type CommandStyle, type DiagnoseOptions, type Finding, type MatchContext, type Matcher, type Related} from './types.js'
import {commandArgs, commandLine, sharedObjects} from './util.js'

export * from './types.js'
export {THRESHOLDS} from './signatures/operation.js'

/** Most important first: when severities tie, earlier in this list comes first in the output. */
export const MATCHERS: readonly Matcher[] = [
  controllerStale,
  deletionStuckFinalizer,
  argocdSecretMissing,
  projectNotPermitted,
  controllerCannotClearV353,
  selfWait,
  operationLeftover,
  operationStuckNoOperation,
  hookNeverCompletes,
  syncWindowBlocked,
  pruneAwaitingConfirmation,
  syncWaitsForResource,
  operationStuck,
  syncRetrying,
  comparisonErrorCause,
  manifestGenerationCached,
  destinationClusterUnavailable,
  repoServerUnavailable,
  comparisonError,
  syncFailedCause,
  syncFailed,
  resourceHealthCause,
  sharedResource,
  hpaReplicasDrift,
  operatorDefaultsDrift,
  webhookCabundleDrift,
  unexplainedDrift,
  presyncNeverRan,
  configNotRolledOut,
  progressingAfterSync,
  degradedAfterDeploy,
  autoSyncPausedByUs,
  autoSyncWithoutSelfHeal,
  otherConditions,
  operationAgeUnknown,
  operationInProgress,
]

const DEFAULT_STYLE: CommandStyle = {bin: 'argo-doctor'}

export function matchContext(app: Application, related: Related, now: Date, opts: DiagnoseOptions = {}): MatchContext {
  const {name, namespace} = refOf(app)
  const style = opts.style ?? DEFAULT_STYLE
  const built = new Map<string, string[]>()
  return {
    commandArgv: (line) => built.get(line),
    app,
    related,
    now,
    facts: operationFactsAsOf(app, now, Boolean(opts.nowIsLowerBound)),
    nowIsLowerBound: Boolean(opts.nowIsLowerBound),
    controllerNamespace: app.status?.controllerNamespace || namespace,
    name,
    namespace,
    command: (verb, ...extra) => {
      const args = commandArgs(style, verb, name, namespace, extra)
      const line = commandLine(style, verb, name, namespace, extra)
      built.set(line, args)
      return line
    },
    fleet: Boolean(opts.fleet),
    shared: sharedObjects(app),
  }
}

export function diagnose(app: Application, related: Related = NO_RELATED, now: Date = new Date(), opts: DiagnoseOptions = {}): Finding[] {
  return diagnoseApp(app, related, now, opts).findings
}

/** The findings, and whether anything in the app is not green (as of `now`; see DiagnoseOptions.nowIsLowerBound): it has non-green facts, the ones the coverage pass covers. */
export function diagnoseApp(app: Application, related: Related = NO_RELATED, now: Date = new Date(), opts: DiagnoseOptions = {}): {findings: Finding[]; nonGreen: boolean} {
  const ctx = matchContext(app, related, now, opts)
  const found: Array<{finding: Finding; order: number}> = []
  const superseded = new Set<string>()
  MATCHERS.forEach((matcher, order) => {
    let result: Finding | Finding[] | undefined
    try {
      result = matcher.match(ctx)
    } catch (error) {
      // One odd object must not take down a fleet-wide diagnosis; say what happened instead.
      result = {
        id: 'diagnose-error',
        severity: 'info',
        title: `Could not check ${matcher.id}`,
        explanation: `argo-doctor failed while checking this app for ${matcher.id}: ${(error as Error).message}. The object may have a shape this version does not expect; please report it.`,
        evidence: [],
        fix: {command: null, steps: []},
      }
    }

    const list = result === undefined ? [] : Array.isArray(result) ? result : [result]
    if (list.length > 0) for (const id of matcher.supersedes ?? []) superseded.add(id)
    for (const finding of list) found.push({finding, order})
  })
  // Every fix command keeps the argv it was quoted from: the runbook runs that, never a re-parsed string.
  for (const {finding} of found) {
    const argv = finding.fix.command ? ctx.commandArgv(finding.fix.command) : undefined
    if (argv) finding.fix.argv = argv
  }

  const kept = found.filter(({finding}) => !superseded.has(finding.id))
  // Never blind: every non-green fact that no finding above quotes gets a generic one.
  const facts = nonGreenFacts(app, ctx.facts, now)
  kept.push(...coverageFindings(ctx, kept.map(({finding}) => finding), facts).map((finding) => ({finding, order: MATCHERS.length})))
  const findings = kept
    .sort((a, b) => SEVERITY_RANK[a.finding.severity] - SEVERITY_RANK[b.finding.severity] || a.order - b.order)
    .map(({finding}) => finding)
  return {findings, nonGreen: facts.length > 0}
}

/** Info-only counts as healthy. */
export function hasProblems(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity !== 'info')
}

/** 0 healthy (or info only), 20 findings of warning or critical severity. */
export function explainExitCode(findingLists: Iterable<readonly Finding[]>): number {
  for (const list of findingLists) if (hasProblems(list)) return ExitCode.FINDINGS
  return ExitCode.OK
}
