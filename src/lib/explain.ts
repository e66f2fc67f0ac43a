/**
 * explain, minus the CLI: where apps come from (one app with its related objects, a fleet streamed
 * page by page, or a file), diagnosis, the JSON documents and the human report. Shared with the
 * runbook.
 */
import {refOf, type AppRef, type Application} from './app.js'
import {diagnoseApp, explainExitCode, type CommandStyle, type Finding, type Related} from './diagnose/index.js'
import {relatedWants} from './diagnose/related.js'
import {ExitCode} from './exit-codes.js'
import type {AppSource} from './source.js'
import {appLine, countBySeverity, renderAppReport, renderFleetTable, sortFleet, textWidth, wrap, type AppLine, type FleetEntry, type QuietEntry} from './render/findings.js'
import {worstSeverity} from './diagnose/types.js'
import type {Io} from './render/io.js'
import {capYoungGeneration} from './young-gen.js'

export {FLEET_PAGE_SIZE} from './app.js'

export interface SingleReport {
  app: Application
  line: AppLine
  findings: Finding[]
  notes: string[]
  /** Something in the app is not green (exit 20 even when every finding is informational). */
  nonGreen: boolean
  /** The Argo CD version the application-controller runs, read live; `from` says where, or why it is unknown. */
  argocd: ArgocdVersion
}

export interface ArgocdVersion {
  version: string | null
  from: string
}

export interface FleetReport {
  entries: Array<FleetEntry | QuietEntry>
  /** Apps diagnosed (with or without findings). */
  total: number
  notes: string[]
  /** Several kube contexts: how each one went. */
  contexts?: ContextOutcome[]
}

export interface ContextOutcome {
  context: string
  status: 'ok' | 'error'
  apps: number
  error?: Record<string, unknown> & {code: string; exitCode: number; message: string}
}

/**
 * One fleet over several kube contexts: one LIST per context, all in parallel; each app tagged with
 * its context. A context that fails (unreachable, forbidden, no CRD) is reported and does not fail
 * the others.
 */
export async function explainContexts(contexts: string[], list: (context: string) => Promise<AsyncIterable<Application>>, now: Date, style: CommandStyle): Promise<FleetReport> {
  const results = await Promise.allSettled(contexts.map(async (context) => explainFleet(await list(context), now, {...style, context}, [], {byKey: true})))
  const report: FleetReport = {entries: [], total: 0, notes: [], contexts: []}
  results.forEach((r, i) => {
    const context = contexts[i]
    if (r.status === 'fulfilled') {
      report.entries.push(...r.value.entries.map((e) => ({...e, context})))
      report.total += r.value.total
      report.notes.push(...r.value.notes.map((n) => `${context}: ${n}`))
      report.contexts!.push({context, status: 'ok', apps: r.value.total})
    } else {
      const e = r.reason as {toJSON?: () => Record<string, unknown>; message?: string; exitCode?: number; code?: string}
      const error = (typeof e?.toJSON === 'function' ? e.toJSON() : {code: 'ERROR', exitCode: 1, message: String(e?.message ?? e)}) as ContextOutcome['error'] & object
      report.contexts!.push({context, status: 'error', apps: 0, error})
      report.notes.push(`Context ${context} failed, the others were explained: ${error.message}`)
    }
  })
  return report
}

export interface ExplainJsonSingle {
  app: AppRef
  argocd: ArgocdVersion
  findings: Finding[]
  notes: string[]
}

export interface ExplainJsonFleet {
  apps: Array<{name: string; namespace: string; context?: string; findings: Finding[]}>
  summary: {apps: number; withFindings: number; critical: number; warning: number; info: number}
  notes: string[]
  contexts?: ContextOutcome[]
}

/** One app; with a source, also the related objects that sharpen the diagnosis (AppSource.readRelated). */
export async function explainSingle(app: Application, now: Date, style: CommandStyle, opts: {source?: AppSource; notes?: string[]; nowIsLowerBound?: boolean} = {}): Promise<SingleReport> {
  const related: Related = opts.source ? await opts.source.readRelated(app, relatedWants(app, now)) : {notes: []}
  const {findings, nonGreen} = diagnoseApp(app, related, now, {style, nowIsLowerBound: opts.nowIsLowerBound})
  const argocd = {version: related.argocdVersion ?? null, from: related.argocdVersionFrom ?? 'not read'}
  return {app, line: appLine(app, now, opts.nowIsLowerBound), findings, notes: [...(opts.notes ?? []), ...related.notes], nonGreen, argocd}
}

/**
 * Diagnose each app as it arrives; only the per-app result (its line and findings) is kept, never
 * the Application objects. `byKey` (a cluster's list): the results in namespace/name order, the
 * order of the API server's etcd keys, which a paginated LIST has and the watch cache or a LIST
 * that fell back to paging half-way may not; a file keeps its own order.
 */
export async function explainFleet(apps: AsyncIterable<Application> | Iterable<Application>, now: Date, style: CommandStyle, notes: string[] = [], opts: {byKey?: boolean; nowIsLowerBound?: boolean} = {}): Promise<FleetReport> {
  let entries: FleetReport['entries'] = []
  let total = 0
  for await (const app of apps) {
    if (++total % 16 === 0) capYoungGeneration()
    const {findings, nonGreen} = diagnoseApp(app, undefined, now, {style, fleet: true, nowIsLowerBound: opts.nowIsLowerBound})
    // A green app without findings is only listed by name: its line is never shown (one object and a few strings less per app held to the end).
    entries.push(findings.length === 0 && !nonGreen ? {...refOf(app), findings} : {...appLine(app, now, opts.nowIsLowerBound), findings, ...(nonGreen ? {nonGreen: true} : {})})
  }

  if (opts.byKey) entries = sortByKey(entries)

  const stale = entries.filter((e) => e.findings.some((f) => f.id === 'controller-stale')).length
  if (stale >= 2 && stale * 2 >= total) {
    notes.push(`${stale} of ${total} applications have not been reconciled recently: the application-controller itself is probably down or stuck — check it before fixing apps one by one (kubectl get pods -l app.kubernetes.io/name=argocd-application-controller -A).`)
  }

  return {entries, total, notes}
}

/** namespace/name in byte order, as etcd orders /registry/argoproj.io/applications/NAMESPACE/NAME (stable: equal keys keep their order). */
function sortByKey<T extends {name: string; namespace: string}>(entries: T[]): T[] {
  const key = (e: T) => `${e.namespace}/${e.name}`
  const keyed = entries.map((e, i) => ({e, i, k: key(e)}))
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i))
  return keyed.map((x) => x.e)
}

export function singleJson(report: SingleReport): ExplainJsonSingle {
  return {app: refOf(report.app), argocd: report.argocd, findings: report.findings, notes: report.notes}
}

export function fleetJson(report: FleetReport): ExplainJsonFleet {
  const all = report.entries.flatMap((e) => e.findings)
  const counts = countBySeverity(all)
  return {
    apps: report.entries.map((e) => ({name: e.name, namespace: e.namespace, ...(e.context === undefined ? {} : {context: e.context}), findings: e.findings})),
    summary: {apps: report.total, withFindings: report.entries.filter((e) => e.findings.length > 0).length, ...counts},
    notes: report.notes,
    ...(report.contexts ? {contexts: report.contexts} : {}),
  }
}

export function singleExitCode(report: SingleReport): number {
  return report.nonGreen ? ExitCode.FINDINGS : explainExitCode([report.findings])
}

/** As for one app (0 / 20), but a context that failed gives its error's exit code. */
export function fleetExitCode(report: FleetReport): number {
  const failed = report.contexts?.find((c) => c.status === 'error')
  if (failed?.error) return failed.error.exitCode
  return report.entries.some((e) => e.nonGreen) ? ExitCode.FINDINGS : explainExitCode(report.entries.map((e) => e.findings))
}

export function renderSingle(io: Io, report: SingleReport): string {
  return renderAppReport(io, report.line, report.findings, report.notes, {nonGreen: report.nonGreen, argocd: report.argocd})
}

/** The table of apps with findings, a summary line, then the details of each. */
export function renderFleet(io: Io, report: FleetReport, opts: {details?: boolean} = {}): string {
  const out: string[] = []
  const sorted = sortFleet(report.entries)
  if (report.total === 0) return ['No applications found.', ...report.notes.map((n) => `Note: ${n}`)].join('\n')
  if (sorted.length === 0) {
    out.push(io.paint('green', report.total === 1 ? '✔ The only application looks healthy.' : `✔ All ${report.total} applications look healthy.`))
  } else {
    out.push(renderFleetTable(io, sorted))
    out.push('')
    const byWorst = {critical: 0, warning: 0, info: 0}
    for (const e of sorted) byWorst[worstSeverity(e.findings)!]++
    const healthy = report.total - sorted.length
    out.push(`${sorted.length} of ${report.total} application${report.total === 1 ? ' has' : 's have'} findings: ${byWorst.critical} critical, ${byWorst.warning} warning` +
      `${byWorst.info ? `, ${byWorst.info} informational only` : ''}${healthy ? `; ${healthy} ${healthy === 1 ? 'has' : 'have'} none` : ''}.`)
  }

  for (const note of report.notes) out.push(wrap(`Note: ${note}`, textWidth(io), '      ', ''))
  if (opts.details === false) return out.join('\n')
  for (const entry of sorted) {
    out.push('')
    out.push(renderAppReport(io, entry, entry.findings, [], {nonGreen: entry.nonGreen}))
  }

  return out.join('\n')
}

/**
 * --emit-events: each finding becomes an Event on its Application (Warning for warning/critical,
 * Normal for info), named after the app, the finding id and the hour, so a scan every few minutes
 * posts one Event an hour per finding instead of flooding the namespace, with create alone. Never fails the scan: RBAC refusals and
 * other errors become one note.
 */
export async function emitFindingEvents(source: AppSource, apps: ReadonlyArray<{name: string; namespace: string; uid?: string; findings: readonly Finding[]}>): Promise<string> {
  const {createLimiter} = await import('./pipeline/index.js')
  const limit = createLimiter(8)
  const counts = {created: 0, exists: 0, failed: 0}
  let firstError: string | undefined
  await Promise.all(apps.flatMap((app) => app.findings.map((finding) => limit(async () => {
    const reason = `ArgoDoctor${finding.id.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`
    const fix = finding.fix.command ?? finding.fix.steps[0]
    const title = /[.?!]$/.test(finding.title) ? finding.title : `${finding.title}.`
    const message = `${finding.severity}: ${title}${fix ? ` Fix: ${fix}` : ''} (argo-doctor explain, finding ${finding.id})`
    try {
      counts[await source.postFindingEvent(app, `${app.name}.argo-doctor.${finding.id}`, {reason, message, type: finding.severity === 'info' ? 'Normal' : 'Warning'})]++
    } catch (error) {
      counts.failed++
      firstError ??= (error as {code?: string}).code === 'FORBIDDEN' ? 'RBAC does not allow create on events (deploy/rbac.yaml grants it)' : (error as Error).message
    }
  }))))
  const total = counts.created + counts.exists + counts.failed
  if (total === 0) return 'No findings, so no Events were posted.'
  return `Posted ${counts.created + counts.exists} of ${total} findings as Events on their Applications (${counts.created} new, ${counts.exists} already posted this hour)${firstError ? `; ${counts.failed} could not be posted: ${firstError}` : ''}.`
}
