/**
 * explain, minus the CLI: where apps come from (one app with its related objects, a fleet streamed
 * page by page, or a file), diagnosis, the JSON documents and the human report. Shared with the
 * runbook.
 */
import {refOf, type AppRef, type Application} from './app.js'
import {diagnose, explainExitCode, type CommandStyle, type Finding, type Related} from './diagnose/index.js'
import {relatedWants} from './diagnose/related.js'
import type {AppSource} from './source.js'
import {appLine, countBySeverity, renderAppReport, renderFleetTable, sortFleet, textWidth, wrap, type AppLine, type FleetEntry} from './render/findings.js'
import {worstSeverity} from './diagnose/types.js'
import type {Io} from './render/io.js'

/**
 * Page size for fleet LISTs. Smaller pages keep peak memory low (a page is parsed whole, and
 * @kubernetes/client-node alone costs ~75 MB): with 2,000 apps of ~17 KB, 500/page peaked at
 * ~250 MB RSS, 100/page at ~200 MB, for a few more round trips.
 */
export const FLEET_PAGE_SIZE = 100

export interface SingleReport {
  app: Application
  line: AppLine
  findings: Finding[]
  notes: string[]
}

export interface FleetReport {
  entries: FleetEntry[]
  /** Apps diagnosed (with or without findings). */
  total: number
  notes: string[]
}

export interface ExplainJsonSingle {
  app: AppRef
  findings: Finding[]
  notes: string[]
}

export interface ExplainJsonFleet {
  apps: Array<{name: string; namespace: string; findings: Finding[]}>
  summary: {apps: number; withFindings: number; critical: number; warning: number; info: number}
  notes: string[]
}

/** One app; with a source, also the related objects that sharpen the diagnosis (AppSource.readRelated). */
export async function explainSingle(app: Application, now: Date, style: CommandStyle, opts: {source?: AppSource; notes?: string[]} = {}): Promise<SingleReport> {
  const related: Related = opts.source ? await opts.source.readRelated(app, relatedWants(app, now)) : {notes: []}
  return {app, line: appLine(app, now), findings: diagnose(app, related, now, {style}), notes: [...(opts.notes ?? []), ...related.notes]}
}

/** Diagnose page by page; only the per-app result is kept, never the Application objects. */
export async function explainFleet(pages: AsyncIterable<Application[]> | Iterable<Application[]>, now: Date, style: CommandStyle, notes: string[] = []): Promise<FleetReport> {
  const entries: FleetEntry[] = []
  let total = 0
  for await (const page of pages) {
    for (const app of page) {
      total++
      entries.push({...appLine(app, now), findings: diagnose(app, undefined, now, {style, fleet: true})})
    }
  }

  const stale = entries.filter((e) => e.findings.some((f) => f.id === 'controller-stale')).length
  if (stale >= 2 && stale * 2 >= total) {
    notes.push(`${stale} of ${total} applications have not been reconciled recently: the application-controller itself is probably down or stuck — check it before fixing apps one by one (kubectl get pods -l app.kubernetes.io/name=argocd-application-controller -A).`)
  }

  return {entries, total, notes}
}

export function singleJson(report: SingleReport): ExplainJsonSingle {
  return {app: refOf(report.app), findings: report.findings, notes: report.notes}
}

export function fleetJson(report: FleetReport): ExplainJsonFleet {
  const all = report.entries.flatMap((e) => e.findings)
  const counts = countBySeverity(all)
  return {
    apps: report.entries.map((e) => ({name: e.name, namespace: e.namespace, findings: e.findings})),
    summary: {apps: report.total, withFindings: report.entries.filter((e) => e.findings.length > 0).length, ...counts},
    notes: report.notes,
  }
}

export function singleExitCode(report: SingleReport): number {
  return explainExitCode([report.findings])
}

export function fleetExitCode(report: FleetReport): number {
  return explainExitCode(report.entries.map((e) => e.findings))
}

export function renderSingle(io: Io, report: SingleReport): string {
  return renderAppReport(io, report.line, report.findings, report.notes)
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
    out.push(renderAppReport(io, entry, entry.findings))
  }

  return out.join('\n')
}
