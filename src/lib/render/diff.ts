import {createTwoFilesPatch} from 'diff'
import {stringify} from 'yaml'
import type {Io} from './io.js'
import {ELIDED, elideSourceSecrets, elisionNote} from './redact.js'

/** Fields that change on every write and only add noise to a diff. */
export function stripNoise<T>(obj: T): T {
  const copy = structuredClone(obj) as any
  if (copy?.metadata) {
    delete copy.metadata.managedFields
    delete copy.metadata.resourceVersion
    delete copy.metadata.generation
  }

  return copy
}

export function toYaml(obj: unknown): string {
  return stringify(obj, {lineWidth: 0, aliasDuplicateObjects: false})
}

/**
 * A unified diff of two objects as YAML, "" when they are equal. Secret-bearing source fields
 * (Helm values/parameters, …) are elided on both sides, and a last line says so when the diff shows any.
 */
export function yamlDiff(before: unknown, after: unknown, label: string): string {
  const left = elideSourceSecrets(stripNoise(before))
  const right = elideSourceSecrets(stripNoise(after))
  const a = toYaml(left.value)
  const b = toYaml(right.value)
  if (a === b) return ''
  const diff = createTwoFilesPatch(`${label} (live)`, `${label} (after)`, a, b, undefined, undefined, {context: 3})
    .split('\n')
    .filter((line) => !line.startsWith('====') && line !== '\\ No newline at end of file')
    .join('\n')
    .trimEnd()
  if (!diff.includes(ELIDED)) return diff
  return `${diff}\n${elisionNote([...new Set([...left.elided, ...right.elided])])}`
}

export function colorDiff(io: Io, diff: string): string {
  return diff.split('\n').map((line) => {
    if (line.startsWith('+++') || line.startsWith('---')) return io.paint('bold', line)
    if (line.startsWith('+')) return io.paint('green', line)
    if (line.startsWith('-')) return io.paint('red', line)
    if (line.startsWith('@@')) return io.paint('cyan', line)
    return line
  }).join('\n')
}
