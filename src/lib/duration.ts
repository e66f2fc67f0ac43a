/** The longest duration any flag accepts: Node timers overflow past 2^31-1 ms (~24.8 days) and fire at once. */
export const MAX_DURATION_SECONDS = 24 * 3600

/** Parse "90", "90s", "5m", "1h30m" into seconds, at most MAX_DURATION_SECONDS (24h). */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  let total = 0
  if (/^\d+$/.test(trimmed)) {
    total = Number(trimmed)
  } else {
    const re = /(\d+)(h|m|s)/g
    let consumed = 0
    for (const m of trimmed.matchAll(re)) {
      total += Number(m[1]) * {h: 3600, m: 60, s: 1}[m[2] as 'h' | 'm' | 's']
      consumed += m[0].length
    }

    if (consumed === 0 || consumed !== trimmed.length) throw new Error(`"${text}" is not a duration (examples: 90s, 5m, 1h)`)
  }

  if (!Number.isSafeInteger(total) || total > MAX_DURATION_SECONDS) throw new Error(`"${text}" is longer than the longest duration argo-doctor accepts (24h)`)
  return total
}
