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

/**
 * Split a command line we generated back into argv: plain words and POSIX single-quoted strings
 * (what shellQuote produces). The leading binary name (`kubectl argo-doctor`, …) is dropped.
 */
export function commandArgv(command: string, bin: string): string[] {
  const rest = command.startsWith(`${bin} `) ? command.slice(bin.length + 1) : command
  const out: string[] = []
  let current = ''
  let inWord = false
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]
    if (c === "'") {
      const end = rest.indexOf("'", i + 1)
      if (end < 0) throw new Error(`Unbalanced quote in: ${command}`)
      current += rest.slice(i + 1, end)
      i = end
      inWord = true
    } else if (c === '\\' && i + 1 < rest.length) {
      current += rest[++i]
      inWord = true
    } else if (c === ' ') {
      if (inWord) out.push(current)
      current = ''
      inWord = false
    } else {
      current += c
      inWord = true
    }
  }

  if (inWord) out.push(current)
  return out
}

function appChoice(e: FleetEntry): Choice<FleetEntry> {
  return {name: `${e.namespace}/${e.name}  ${worstSeverity(e.findings)}: ${e.findings.map((f) => f.id).join(', ')}`, value: e, description: e.state}
}

function fixChoices(findings: readonly Finding[]): Array<Choice<Finding>> {
  return findings.filter((f) => f.fix.command).map((f) => ({name: `${f.fix.command}`, value: f, description: `${f.severity}: ${f.title} (${f.id})`}))
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
    out.push(`${io.paint('bold', `${e.namespace}/${e.name}`)} — ${e.state}`)
    for (const f of e.findings.filter((x) => x.severity !== 'info')) {
      out.push(f.fix.command
        ? `  ${f.severity.padEnd(8)} ${f.id}: ${io.paint('green', `$ ${f.fix.command}`)}`
        : `  ${f.severity.padEnd(8)} ${f.id}: no command; manual steps in: ${style.bin} explain ${e.name} -n ${e.namespace}`)
    }
  }

  out.push('')
  out.push(`Run ${style.bin} in a terminal to pick and apply these one by one (each with its preview and confirmation), or see the details with ${style.bin} explain APP -n NAMESPACE.`)
  for (const note of report.notes) out.push(`Note: ${note}`)
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
    for (const note of fleet.notes) io.out(`Note: ${note}`)
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
      if (!hasProblems(report.findings)) io.out(io.paint('green', `${ref.namespace}/${ref.name} needs nothing more.`))
      else if (fixes.length === 0) io.out('No argo-doctor command fixes what is left; follow the steps above.')
      const next = await deps.choose<Finding | typeof BACK | typeof QUIT | typeof RECHECK>(fixes.length > 0 ? 'Run a fix? (it previews the change and asks before applying)' : 'What next?', [
        ...fixes,
        {name: `Explain ${ref.name} again`, value: RECHECK},
        {name: 'Back to the list', value: BACK},
        {name: 'Quit', value: QUIT},
      ])
      if (next === QUIT) return ExitCode.OK
      if (next === BACK) break
      if (next === RECHECK) continue
      const argv = [...commandArgv(next.fix.command!, style.bin), ...(deps.fixArgs ?? [])]
      io.out(io.paint('bold', `$ ${style.bin} ${argv.join(' ')}`))
      const code = await deps.runFix(argv)
      io.out(io.paint(code === 0 ? 'green' : 'yellow', `${next.id} fix finished with exit code ${code}. Explaining ${ref.name} again…`))
    }
  }
}
