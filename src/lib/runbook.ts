/**
 * The interactive runbook: apps with findings → pick one → its explanation → pick a fix → run it
 * (the fix command itself, so it goes through the normal pipeline: preview, confirm, apply,
 * verify) → explain again. Prompts and the fix runner are injected, so the loop is testable.
 */
import type {AppRef} from './app.js'
import {hasProblems, type CommandStyle, type Finding} from './diagnose/index.js'
import {ExitCode} from './exit-codes.js'
import {fleetExitCode, renderSingle, type FleetReport, type SingleReport} from './explain.js'
import {renderFleetTable, sortFleet, type FleetEntry} from './render/findings.js'
import {worstSeverity} from './diagnose/types.js'
import type {Io} from './render/io.js'
import {indentLines, oneLine} from './render/safe.js'
import {ourCommand} from './invocation.js'

export interface Choice<T> {
  name: string
  value: T
  description?: string
}

export interface RunbookDeps {
  io: Io
  style: CommandStyle
  /** Diagnose every app (one LIST). */
  listFleet(): Promise<FleetReport>
  /** Diagnose one app with its related objects (fresh read). */
  explainOne(ref: AppRef): Promise<SingleReport>
  choose<T>(message: string, choices: Array<Choice<T>>): Promise<T>
  /** Run one of our commands (argv without the binary) and return its exit code. */
  runFix(argv: string[]): Promise<number>
  /** Extra arguments for every fix (e.g. -f FILE when working offline). */
  fixArgs?: string[]
}

// Choice names and descriptions quote the cluster: one line each (the prompt escapes them again, render/safe.ts).
function appChoice(e: FleetEntry): Choice<FleetEntry> {
  return {name: oneLine(`${e.namespace}/${e.name}  ${worstSeverity(e.findings)}: ${e.findings.map((f) => f.id).join(', ')}`), value: e, description: oneLine(e.state)}
}

/** Fixes the runbook can run: ours, with the argv they were built from. */
function fixChoices(findings: readonly Finding[]): Array<Choice<Finding>> {
  return findings.filter((f) => f.fix.command && f.fix.argv).map((f) => ({name: oneLine(f.fix.command!), value: f, description: oneLine(`${f.severity}: ${f.title} (${f.id})`)}))
}

/** No terminal (or --json): say what would be offered, change nothing, exit like explain. */
export function describeRunbook(io: Io, report: FleetReport, style: CommandStyle): string {
  const out: string[] = []
  const sorted = sortFleet(report.entries).filter((e) => hasProblems(e.findings))
  if (report.total === 0) return 'No applications found.'
  if (sorted.length === 0) return io.paint('green', report.total === 1 ? '✔ The only application looks healthy; nothing to offer.' : `✔ All ${report.total} applications look healthy; nothing to offer.`)
  out.push('Runbook: no interactive terminal, so nothing is run. It would offer these fixes:')
  out.push('')
  out.push(renderFleetTable(io, sorted))
  for (const e of sorted) {
    out.push('')
    out.push(`${io.paint('bold', oneLine(`${e.namespace}/${e.name}`))} — ${oneLine(e.state)}`)
    for (const f of e.findings.filter((x) => x.severity !== 'info')) {
      out.push(f.fix.command
        ? `  ${f.severity.padEnd(8)} ${oneLine(f.id)}: ${io.paint('green', `$ ${oneLine(f.fix.command)}`)}`
        : `  ${f.severity.padEnd(8)} ${oneLine(f.id)}: no command; manual steps in: ${oneLine(ourCommand(['explain', e.name, '-n', e.namespace], style))}`)
    }
  }

  out.push('')
  out.push(`Run ${style.bin} in a terminal to pick and apply these one by one (each with its preview and confirmation), or see the details with ${style.bin} explain APP -n NAMESPACE.`)
  for (const note of report.notes) out.push(`Note: ${indentLines(note, '      ')}`)
  return out.join('\n')
}

const QUIT = Symbol('quit')
const BACK = Symbol('back')
const RECHECK = Symbol('recheck')

export async function runInteractive(deps: RunbookDeps): Promise<number> {
  const {io, style} = deps
  for (;;) {
    const fleet = await deps.listFleet()
    const problems = sortFleet(fleet.entries).filter((e) => hasProblems(e.findings))
    if (fleet.total === 0) {
      io.out('No applications found.')
      return ExitCode.OK
    }

    if (problems.length === 0) {
      io.out(io.paint('green', fleet.total === 1 ? '✔ The only application looks healthy.' : `✔ All ${fleet.total} applications look healthy.`))
      return ExitCode.OK
    }

    io.out(renderFleetTable(io, problems))
    for (const note of fleet.notes) io.out(`Note: ${indentLines(note, '      ')}`)
    io.out('')
    const picked = await deps.choose<FleetEntry | typeof QUIT>(`${problems.length} of ${fleet.total} applications need attention. Which one?`, [
      ...problems.map((e) => appChoice(e)),
      {name: 'Quit', value: QUIT},
    ])
    if (picked === QUIT) return fleetExitCode(fleet)

    const ref = {name: picked.name, namespace: picked.namespace}
    for (;;) {
      const report = await deps.explainOne(ref)
      io.out('')
      io.out(renderSingle(io, report))
      io.out('')
      const fixes = fixChoices(report.findings)
      if (!hasProblems(report.findings)) io.out(io.paint('green', `${oneLine(`${ref.namespace}/${ref.name}`)} needs nothing more.`))
      else if (fixes.length === 0) io.out('No argo-doctor command fixes what is left; follow the steps above.')
      const next = await deps.choose<Finding | typeof BACK | typeof QUIT | typeof RECHECK>(fixes.length > 0 ? 'Run a fix? (it previews the change and asks before applying)' : 'What next?', [
        ...fixes,
        {name: `Explain ${oneLine(ref.name)} again`, value: RECHECK},
        {name: 'Back to the list', value: BACK},
        {name: 'Quit', value: QUIT},
      ])
      if (next === QUIT) return ExitCode.OK
      if (next === BACK) break
      if (next === RECHECK) continue
      // The argv the fix command was quoted from (never the printed line parsed back), plus -f when offline.
      const argv = [...next.fix.argv!, ...(deps.fixArgs ?? [])]
      io.out(io.paint('bold', `$ ${oneLine(ourCommand(argv, style.bin))}`))
      const code = await deps.runFix(argv)
      io.out(io.paint(code === 0 ? 'green' : 'yellow', `${oneLine(next.id)} fix finished with exit code ${code}. Explaining ${oneLine(ref.name)} again…`))
    }
  }
}
