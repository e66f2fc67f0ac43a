/**
 * AppProject sync windows, evaluated the way Argo CD does (pkg/apis/application/v1alpha1:
 * SyncWindows.Matches, Active, InactiveAllows, CanSync). Pure: the caller passes the project's
 * spec.syncWindows, the app and the clock.
 *
 * Cron: the 5-field syntax of robfig/cron's parser with Minute|Hour|Dom|Month|Dow (what Argo CD
 * uses): lists, ranges, steps, `*`/`?`, month and weekday names; no @descriptors, no seconds.
 * Day-of-month and day-of-week are OR-ed unless either is `*` (robfig's rule).
 */
import type {Application} from './app.js'

export interface SyncWindow {
  kind?: string
  schedule?: string
  duration?: string
  applications?: string[]
  namespaces?: string[]
  clusters?: string[]
  manualSync?: boolean
  timeZone?: string
  andOperator?: boolean
  description?: string
  syncOverrun?: boolean
}

export interface WindowState {
  window: SyncWindow
  /** Open right now. */
  active: boolean
  /** Schedule or duration could not be parsed. */
  error?: string
}

export interface SyncWindowVerdict {
  /** Would a manual sync (initiatedBy.automated unset) start now? */
  canSync: boolean
  /** Windows of the project that apply to this app, with their state now. */
  matching: WindowState[]
  /** Why not, or the nuance worth telling (manualSync let it through). */
  reason?: string
  /** The next time an allow window opens, when syncs are blocked by allow-only windows. */
  nextOpen?: Date
}

// ---------------------------------------------------------------------------------------------
// Globs (gobwas/glob without separators, as Argo CD's globMatch calls it)

const escapeRegExp = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

function globToRegExp(pattern: string): RegExp | undefined {
  let re = ''
  let inClass = false
  let braces = 0
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\' && i + 1 < pattern.length) {
      re += escapeRegExp(pattern[++i])
      continue
    }

    if (inClass) {
      if (c === ']') inClass = false
      re += c === '\\' ? '\\\\' : c
      continue
    }

    switch (c) {
      case '*':
        re += '[\\s\\S]*'
        break
      case '?':
        re += '[\\s\\S]'
        break
      case '[':
        inClass = true
        re += '['
        if (pattern[i + 1] === '!') {
          re += '^'
          i++
        }

        break
      case '{':
        braces++
        re += '(?:'
        break
      case '}':
        if (braces === 0) return undefined
        braces--
        re += ')'
        break
      case ',':
        re += braces > 0 ? '|' : ','
        break
      default:
        re += escapeRegExp(c)
    }
  }

  if (inClass || braces > 0) return undefined
  try {
    return new RegExp(`^${re}$`)
  } catch {
    return undefined
  }
}

export function globMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true
  return globToRegExp(pattern)?.test(value) ?? false
}

/** Which of the project's windows apply to the app (SyncWindows.Matches, OR/AND semantics included). */
export function matchingWindows(windows: SyncWindow[], app: Application): SyncWindow[] {
  const dst = app.spec.destination ?? {}
  const out: SyncWindow[] = []
  for (const w of windows) {
    let matched = false
    let isSet = false
    if (w.applications?.length) {
      isSet = true
      matched = w.applications.some((a) => globMatch(a, app.metadata.name))
    }

    if (w.andOperator && !matched && isSet) continue
    if (!w.andOperator && matched) {
      out.push(w)
      continue
    }

    if (w.clusters?.length) {
      isSet = true
      matched = w.clusters.some((c) => Boolean((dst.name && globMatch(c, dst.name)) || (dst.server && globMatch(c, dst.server))))
    }

    if (isSet && w.andOperator && !matched) continue
    if (!w.andOperator && matched) {
      out.push(w)
      continue
    }

    if (w.namespaces?.length) matched = w.namespaces.some((n) => globMatch(n, dst.namespace ?? ''))
    if (matched) out.push(w)
  }

  return out
}

// ---------------------------------------------------------------------------------------------
// Cron

const STAR = 1n << 63n

interface Schedule {
  minute: bigint
  hour: bigint
  dom: bigint
  month: bigint
  dow: bigint
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

function parseField(field: string, min: number, max: number, names?: string[]): bigint {
  let bits = 0n
  for (const part of field.split(',')) {
    const [rangePart, stepPart, extra] = part.split('/')
    if (extra !== undefined || rangePart === '') throw new Error(`bad field "${field}"`)
    const value = (text: string): number => {
      const named = names?.indexOf(text.toLowerCase()) ?? -1
      if (named >= 0) return named + (names === MONTHS ? 1 : 0)
      if (!/^\d+$/.test(text)) throw new Error(`"${text}" is not a number`)
      return Number(text)
    }

    let start: number
    let end: number
    let star = false
    if (rangePart === '*' || rangePart === '?') {
      start = min
      end = max
      star = true
    } else {
      const [lo, hi, more] = rangePart.split('-')
      if (more !== undefined) throw new Error(`bad range "${rangePart}"`)
      start = value(lo)
      end = hi === undefined ? start : value(hi)
      if (hi === undefined && stepPart !== undefined) end = max
    }

    let step = 1
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart) || Number(stepPart) === 0) throw new Error(`bad step "${stepPart}"`)
      step = Number(stepPart)
      if (step > 1) star = false
    }

    if (start < min || end > max || start > end) throw new Error(`"${part}" is out of range ${min}-${max}`)
    for (let i = start; i <= end; i += step) bits |= 1n << BigInt(i)
    if (star) bits |= STAR
  }

  return bits
}

export function parseCron(spec: string): Schedule {
  const fields = spec.trim().split(/\s+/)
  if (fields.length !== 5 || fields[0] === '') throw new Error(`expected 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`)
  return {
    minute: parseField(fields[0], 0, 59),
    hour: parseField(fields[1], 0, 23),
    dom: parseField(fields[2], 1, 31),
    month: parseField(fields[3], 1, 12, MONTHS),
    dow: parseField(fields[4], 0, 6, DAYS),
  }
}

const has = (bits: bigint, n: number) => (bits & (1n << BigInt(n))) !== 0n

/** Does this minute (a UTC-based wall-clock time) match? */
function cronMatches(s: Schedule, t: Date): boolean {
  if (!has(s.minute, t.getUTCMinutes()) || !has(s.hour, t.getUTCHours()) || !has(s.month, t.getUTCMonth() + 1)) return false
  const domMatch = has(s.dom, t.getUTCDate())
  const dowMatch = has(s.dow, t.getUTCDay())
  return (s.dom & STAR) !== 0n || (s.dow & STAR) !== 0n ? domMatch && dowMatch : domMatch || dowMatch
}

/** Go's time.ParseDuration (units ns, us, µs, ms, s, m, h; fractions allowed), in milliseconds. */
export function parseGoDuration(text: string): number {
  const units: Record<string, number> = {ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000}
  const trimmed = text.trim()
  if (trimmed === '0') return 0
  const m = /^([+-]?)((?:\d*\.?\d+(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(trimmed)
  if (!m) throw new Error(`"${text}" is not a Go duration (e.g. 1h, 30m, 1h30m)`)
  let total = 0
  for (const part of m[2].matchAll(/(\d*\.?\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * units[part[2]]
  return m[1] === '-' ? -total : total
}

/** Offset of `timeZone` from UTC at `at`, in ms (Argo CD: the zone's offset now; unknown zones are UTC). */
function zoneOffsetMs(timeZone: string | undefined, at: Date): number {
  if (!timeZone || timeZone === 'UTC') return 0
  try {
    const text = new Intl.DateTimeFormat('en-US', {timeZone, timeZoneName: 'longOffset'}).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? ''
    const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(text)
    if (!m) return 0
    return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3_600_000 + Number(m[3] ?? 0) * 60_000)
  } catch {
    return 0
  }
}

const MINUTE = 60_000
/** robfig's Next gives up after five years; so do we. */
const MAX_SCAN_MINUTES = 5 * 366 * 24 * 60

/**
 * Is the window open at `now`? Argo CD: next := schedule.Next(now+offset-duration); open when
 * next is before now+offset. Next() is the first whole minute strictly after its argument.
 */
export function windowActive(w: SyncWindow, now: Date): boolean {
  const schedule = parseCron(w.schedule ?? '')
  const duration = parseGoDuration(w.duration ?? '')
  const wall = now.getTime() + zoneOffsetMs(w.timeZone, now)
  const from = Math.floor((wall - duration) / 1000) * 1000 + 1000
  let m = Math.ceil(from / MINUTE) * MINUTE
  for (let i = 0; m < wall && i < MAX_SCAN_MINUTES; i++, m += MINUTE) {
    if (cronMatches(schedule, new Date(m))) return true
  }

  return false
}

/** The next start of the window after `now` (within `horizonDays`), as a real instant. */
export function nextStart(w: SyncWindow, now: Date, horizonDays = 31): Date | undefined {
  const schedule = parseCron(w.schedule ?? '')
  const offset = zoneOffsetMs(w.timeZone, now)
  let m = Math.floor((now.getTime() + offset) / MINUTE) * MINUTE + MINUTE
  for (let i = 0; i < horizonDays * 24 * 60; i++, m += MINUTE) {
    if (cronMatches(schedule, new Date(m))) return new Date(m - offset)
  }

  return undefined
}

export function describeWindow(w: SyncWindow): string {
  const scope = [
    w.applications?.length ? `applications ${w.applications.join(',')}` : '',
    w.namespaces?.length ? `namespaces ${w.namespaces.join(',')}` : '',
    w.clusters?.length ? `clusters ${w.clusters.join(',')}` : '',
  ].filter(Boolean).join(w.andOperator ? ' and ' : ', ')
  return `${w.kind ?? '?'} window "${w.schedule ?? ''}" for ${w.duration ?? '?'}${w.timeZone ? ` (${w.timeZone})` : ''}${scope ? ` on ${scope}` : ''}${w.manualSync ? ', manualSync' : ''}${w.description ? ` — ${w.description}` : ''}`
}

/**
 * Would a manual sync of `app` be allowed now? SyncWindows.CanSync(isManual=true, no start time):
 * an active deny window blocks unless every active deny window has manualSync; otherwise an active
 * allow window allows; otherwise inactive allow windows block unless all of them have manualSync.
 * A window that cannot be parsed blocks every sync (Argo CD treats the error as "blocked").
 */
export function evaluateSyncWindows(windows: SyncWindow[] | undefined, app: Application, now: Date): SyncWindowVerdict {
  const applying = matchingWindows(windows ?? [], app)
  if (applying.length === 0) return {canSync: true, matching: []}
  const matching: WindowState[] = applying.map((window) => {
    try {
      return {window, active: windowActive(window, now)}
    } catch (error) {
      return {window, active: false, error: (error as Error).message}
    }
  })
  const broken = matching.find((m) => m.error)
  if (broken) {
    return {canSync: false, matching, reason: `the project's ${describeWindow(broken.window)} cannot be parsed (${broken.error}), and Argo CD blocks every sync of the app until it is fixed`}
  }

  const activeDeny = matching.filter((m) => m.active && m.window.kind === 'deny')
  if (activeDeny.length > 0) {
    if (activeDeny.every((m) => m.window.manualSync)) {
      return {canSync: true, matching, reason: `a deny window is open (${activeDeny.map((m) => describeWindow(m.window)).join('; ')}) but it allows manual syncs, and this sync is manual (initiatedBy.automated is not set)`}
    }

    return {canSync: false, matching, reason: `a deny window is open: ${activeDeny.map((m) => describeWindow(m.window)).join('; ')}`}
  }

  if (matching.some((m) => m.active && m.window.kind === 'allow')) return {canSync: true, matching}
  const inactiveAllows = matching.filter((m) => !m.active && m.window.kind === 'allow')
  if (inactiveAllows.length > 0) {
    if (inactiveAllows.every((m) => m.window.manualSync)) {
      return {canSync: true, matching, reason: 'no allow window is open, but they all allow manual syncs, and this sync is manual'}
    }

    const starts = inactiveAllows.map((m) => nextStart(m.window, now)).filter((d): d is Date => d !== undefined).sort((a, b) => a.getTime() - b.getTime())
    return {canSync: false, matching, nextOpen: starts[0], reason: `syncs are only allowed inside allow windows and none is open now (${inactiveAllows.map((m) => describeWindow(m.window)).join('; ')})`}
  }

  return {canSync: true, matching}
}
