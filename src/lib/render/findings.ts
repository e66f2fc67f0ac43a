/** Human output of explain (and the runbook): app headers, findings, the fleet table. */
import {humanDuration, IN_PROGRESS_PHASES, secondsSince, type Application} from '../app.js'
import {SEVERITY_RANK, worstSeverity, type Evidence, type Finding, type Severity} from '../diagnose/types.js'
import type {Io} from './io.js'
import {renderTable} from './table.js'
import {hasControls, indentLines, jsonText, oneLine} from './safe.js'

const SEVERITY_STYLE: Record<Severity, 'red' | 'yellow' | 'cyan'> = {critical: 'red', warning: 'yellow', info: 'cyan'}
const SEVERITY_LABEL: Record<Severity, string> = {critical: 'CRITICAL', warning: 'WARNING', info: 'INFO'}

/** Line width for wrapped text: the terminal's, within reason; fixed when not a terminal (stable output). */
export function textWidth(io: Io): number {
  const cols = io.stdout.isTTY ? io.stdout.columns : undefined
  return cols ? Math.max(60, Math.min(cols, 120)) : 100
}

/** Greedy word wrap with a hanging indent; long words (URLs, commands) are never split. */
export function wrap(text: string, width: number, indent: string, firstIndent = indent): string {
  const out: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = out.length === 0 ? firstIndent : indent
    let empty = true
    for (const word of paragraph.split(/ +/)) {
      if (!word) continue
      if (!empty && line.length + 1 + word.length > width) {
        out.push(line)
        line = indent + word
      } else {
        line += (empty ? '' : ' ') + word
      }

      empty = false
    }

    out.push(line)
  }

  return out.join('\n')
}

export interface AppLine {
  name: string
  namespace: string
  sync?: string
  health?: string
  /** e.g. "Running 9h8m" */
  operation?: string
  /** "OutOfSync, Progressing · operation Running for 9h8m · reconciled 1m48s ago" */
  state: string
  /** With several kube contexts: the one the app was listed from. */
  context?: string
  /** metadata.uid, for Events on the app (the Argo CD UI matches them by uid). */
  uid?: string
}

/** `nowIsLowerBound`: `now` is the newest timestamp of a file, so an age of 0 measured from it is unknown. */
export function appLine(app: Application, now: Date, nowIsLowerBound = false): AppLine {
  const state = app.status?.operationState
  const measured = secondsSince(state?.startedAt, now)
  const startedUnknown = nowIsLowerBound && measured === 0
  const started = startedUnknown ? undefined : measured
  const inProgress = Boolean(state?.phase && IN_PROGRESS_PHASES.has(state.phase))
  const sync = app.status?.sync?.status
  const health = app.status?.health?.status
  const parts = [`${sync ?? 'sync unknown'}, ${health ?? 'health unknown'}`]
  if (state?.phase) {
    const finished = secondsSince(state.finishedAt, now)
    if (inProgress) parts.push(`operation ${state.phase}${startedUnknown ? ' for an unknown time' : started === undefined ? '' : ` for ${humanDuration(started)}`}`)
    else parts.push(`last operation ${state.phase}${finished === undefined ? '' : ` ${humanDuration(finished)} ago`}`)
  }

  if (app.operation) parts.push('operation requested')
  const deleting = secondsSince(app.metadata.deletionTimestamp, now)
  if (deleting !== undefined) parts.push(`deleting for ${humanDuration(deleting)}`)
  const reconciled = secondsSince(app.status?.reconciledAt, now)
  parts.push(reconciled === undefined ? 'never reconciled' : nowIsLowerBound && reconciled === 0 ? 'reconciled at or before the save' : `reconciled ${humanDuration(reconciled)} ago`)
  return {
    name: app.metadata.name,
    namespace: app.metadata.namespace ?? 'argocd',
    uid: app.metadata.uid,
    sync,
    health,
    operation: state?.phase ? `${state.phase}${inProgress && started !== undefined ? ` ${humanDuration(started)}` : ''}` : undefined,
    state: parts.join(' · '),
  }
}

/** "argocd/wealist-apps-prod — OutOfSync, Progressing · operation Running for 9h8m · reconciled 1m48s ago" */
export function appHeader(io: Io, line: AppLine): string {
  return `${io.paint('bold', oneLine(`${line.context ? `${line.context}: ` : ''}${line.namespace}/${line.name}`))} — ${oneLine(line.state)}`
}

/** An evidence value as quoted from the object: bare when plain, else JSON (control characters as \u escapes). */
function formatValue(value: Evidence['value']): string {
  if (value === null) return ''
  if (typeof value === 'string') return /^[^\s"]+$/.test(value) && !hasControls(value) ? value : jsonText(value)
  return String(value)
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = {critical: 0, warning: 0, info: 0}
  for (const f of findings) counts[f.severity]++
  return counts
}

export function severitySummary(counts: Record<Severity, number>): string {
  return (['critical', 'warning', 'info'] as const).filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`).join(', ')
}

export function renderFinding(io: Io, f: Finding, index: number, width: number): string {
  const lines: string[] = []
  const label = io.paint(SEVERITY_STYLE[f.severity], SEVERITY_LABEL[f.severity].padEnd(8))
  lines.push(`${`[${index}]`.padEnd(4)} ${label} ${io.paint('bold', oneLine(f.title))}  ${io.paint('dim', `(${oneLine(f.id)})`)}`.replace(/^(\[\d\]) {2}/, '$1 '))
  lines.push(wrap(f.explanation, width, '     '))
  if (f.evidence.length > 0) {
    lines.push('     Evidence:')
    for (const e of f.evidence) {
      const value = formatValue(e.value)
      const note = e.note ? (value ? `  (${e.note})` : `(${e.note})`) : ''
      // Not wrapped: values and commands must survive copy and paste.
      lines.push(`       ${oneLine(e.path)}: ${value}${oneLine(note)}`)
    }
  }

  lines.push('     Fix:')
  if (f.fix.command) lines.push(`       ${io.paint('green', `$ ${oneLine(f.fix.command)}`)}`)
  else lines.push(wrap('No argo-doctor command fixes this; the steps below do.', width, '       '))
  for (const step of f.fix.steps) lines.push(`       - ${indentLines(step, '         ')}`)
  if (f.fix.docs) lines.push(`       Docs: ${oneLine(f.fix.docs)}`)
  return lines.join('\n')
}

/** Header, then every finding; or a one-line all-clear. */
export function renderAppReport(io: Io, line: AppLine, findings: readonly Finding[], notes: readonly string[] = [], opts: {nonGreen?: boolean; argocd?: {version: string | null; from: string}} = {}): string {
  const {nonGreen = false, argocd} = opts
  const width = textWidth(io)
  const out: string[] = [appHeader(io, line)]
  // "Argo CD v3.6.2 (image of pod argocd/argocd-application-controller-0)" / "Argo CD version unknown (offline: …)"
  if (argocd) out.push(io.paint('dim', oneLine(`Argo CD ${argocd.version ?? 'version unknown'} (${argocd.from})`)))
  if (findings.length === 0) {
    out.push(io.paint('green', '✔ No problems found.'))
  } else {
    const counts = countBySeverity(findings)
    const infoOnly = counts.critical + counts.warning === 0
    // Info only, yet not green (a young sync, a suspended CronJob): nothing to fix now, but not all clear either.
    const aside = infoOnly ? (nonGreen ? ' (nothing to fix yet, but the app is not green: look again soon)' : ' (nothing needs fixing)') : ''
    out.push(`${findings.length} finding${findings.length === 1 ? '' : 's'}: ${severitySummary(counts)}${aside}`)
    findings.forEach((f, i) => {
      out.push('')
      out.push(renderFinding(io, f, i + 1, width))
    })
  }

  for (const note of notes) out.push(wrap(`Note: ${note}`, width, '      ', ''))
  return out.join('\n')
}

export interface FleetEntry extends AppLine {
  findings: Finding[]
  /** Something in the app is not green (exit 20 even when every finding is informational). */
  nonGreen?: boolean
}

/** A green app with no findings in a fleet: only its name is kept, its line is never shown. */
export interface QuietEntry {
  name: string
  namespace: string
  context?: string
  findings: Finding[]
  nonGreen?: undefined
}

/** Apps with findings, worst first; ties keep the listing order. */
export function sortFleet(entries: ReadonlyArray<FleetEntry | QuietEntry>): FleetEntry[] {
  return entries
    .map((e, i) => ({e, i, w: worstSeverity(e.findings)}))
    // Only an app with no findings is a QuietEntry (explainFleet).
    .filter((x): x is {e: FleetEntry; i: number; w: NonNullable<typeof x.w>} => x.w !== undefined)
    .sort((a, b) => SEVERITY_RANK[a.w!] - SEVERITY_RANK[b.w!] || a.i - b.i)
    .map((x) => x.e)
}

export function renderFleetTable(io: Io, withFindings: readonly FleetEntry[]): string {
  const plain = withFindings.map((e) => worstSeverity(e.findings)!)
  const withContext = withFindings.some((e) => e.context !== undefined)
  const rows = withFindings.map((e, i) => [...(withContext ? [e.context ?? ''] : []), `${e.namespace}/${e.name}`, e.sync ?? '', e.health ?? '', e.operation ?? '', plain[i], e.findings.map((f) => f.id).join(', ')])
  // Pad before painting: colour codes would break the column widths.
  const table = renderTable([...(withContext ? ['CONTEXT'] : []), 'APP', 'SYNC', 'HEALTH', 'OPERATION', 'SEVERITY', 'FINDINGS'], rows)
  if (!io.color) return table
  return table.split('\n').map((line, i) => (i === 0 ? line : line.replace(new RegExp(`(\\s)${plain[i - 1]}(\\s)`), `$1${io.paint(SEVERITY_STYLE[plain[i - 1]], plain[i - 1])}$2`))).join('\n')
}
