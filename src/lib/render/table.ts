import {oneLine} from './safe.js'

/** A plain, aligned text table (kubectl style). Cells are one line each: newlines, tabs and control characters in them are shown escaped. */
export function renderTable(header: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map((c) => oneLine(c)))
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : (c ?? '').padEnd(widths[i]))).join('   ').trimEnd()
  return [line(header), ...rows.map((r) => line(r))].join('\n')
}
