/** Parse "90", "90s", "5m", "1h30m" into seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const re = /(\d+)(h|m|s)/g
  let total = 0
  let consumed = 0
  for (const m of trimmed.matchAll(re)) {
    total += Number(m[1]) * {h: 3600, m: 60, s: 1}[m[2] as 'h' | 'm' | 's']
    consumed += m[0].length
  }

  if (consumed === 0 || consumed !== trimmed.length) throw new Error(`"${text}" is not a duration (examples: 90s, 5m, 1h)`)
  return total
}
