/**
 * Application sources can carry secrets inline: Helm `values`/`valuesObject`/`parameters`,
 * plugin `env`/`parameters`, jsonnet `extVars`/`tlas`. Argo CD copies the source into
 * status.operationState.operation.sync.source, syncResult.source(s), status.sync.comparedTo and
 * status.history, so a diff of an Application would print them. `kubectl apply` (and an
 * App-of-Apps that applies its children) keeps the whole applied object, as JSON text, in the
 * kubectl.kubernetes.io/last-applied-configuration annotation: it is parsed and elided the same
 * way, so the rest of it still shows truthfully. Everything that renders an object for people or
 * for --json goes through `elideSourceSecrets` first.
 */

export const ELIDED = '<elided by argo-doctor, may hold secrets>'

/** Keys of a source whose values are replaced, relative to the source object. */
const SECRET_PATHS: Array<{parent: string; key: string; each?: 'value'}> = [
  {parent: 'helm', key: 'values'},
  {parent: 'helm', key: 'valuesObject'},
  {parent: 'helm', key: 'parameters', each: 'value'},
  {parent: 'plugin', key: 'env', each: 'value'},
  {parent: 'plugin', key: 'parameters'},
]

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** An ApplicationSource: the only objects with repoURL in an Application. */
const isSource = (v: unknown): v is Record<string, unknown> => isObject(v) && typeof v.repoURL === 'string'

function elideSource(source: Record<string, unknown>, where: string, elided: string[]): void {
  for (const {parent, key, each} of SECRET_PATHS) {
    const holder = source[parent]
    if (!isObject(holder) || holder[key] === undefined) continue
    if (each && Array.isArray(holder[key])) {
      const items = holder[key] as unknown[]
      let any = false
      holder[key] = items.map((item) => {
        if (!isObject(item) || item[each] === undefined) return item
        any = true
        return {...item, [each]: ELIDED}
      })
      if (any) elided.push(`${where}.${parent}.${key}[].${each}`)
    } else {
      holder[key] = ELIDED
      elided.push(`${where}.${parent}.${key}`)
    }
  }

  const jsonnet = isObject(source.directory) && isObject(source.directory.jsonnet) ? source.directory.jsonnet : undefined
  for (const key of ['extVars', 'tlas']) {
    const list = jsonnet?.[key]
    if (!Array.isArray(list) || list.length === 0) continue
    jsonnet![key] = list.map((item) => (isObject(item) && item.value !== undefined ? {...item, value: ELIDED} : item))
    elided.push(`${where}.directory.jsonnet.${key}[].value`)
  }
}

/** kubectl's copy of the applied object: JSON text, so the walk below would not see its sources. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/**
 * The annotation with its sources elided, re-serialised only when something was elided (same key
 * order; kubectl's trailing newline kept). Text that is not a JSON object may hold anything, so it is
 * elided whole.
 */
function elideLastApplied(annotations: Record<string, unknown>, where: string, elided: string[], walk: (node: unknown, where: string) => void): void {
  const text = annotations[LAST_APPLIED]
  if (typeof text !== 'string') return
  const at = `${where}.${LAST_APPLIED}`
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }

  if (!isObject(parsed)) {
    if (text.trim() === '') return
    annotations[LAST_APPLIED] = ELIDED
    elided.push(at)
    return
  }

  const count = elided.length
  walk(parsed, at)
  if (elided.length > count) annotations[LAST_APPLIED] = `${JSON.stringify(parsed)}${text.endsWith('\n') ? '\n' : ''}`
}

export interface Elided<T> {
  value: T
  /** Dotted paths (e.g. status.operationState.operation.sync.source.helm.values) that were elided. */
  elided: string[]
}

/** A copy of `obj` with secret-bearing source fields replaced by ELIDED, and where that happened. */
export function elideSourceSecrets<T>(obj: T): Elided<T> {
  const elided: string[] = []
  const copy = structuredClone(obj)
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${where}[${i}]`))
      return
    }

    if (!isObject(node)) return
    if (isSource(node)) elideSource(node, where, elided)
    if (/(?:^|\.)metadata\.annotations$/.test(where)) elideLastApplied(node, where, elided, walk)
    for (const [key, value] of Object.entries(node)) walk(value, where ? `${where}.${key}` : key)
  }

  walk(copy, '')
  return {value: copy, elided}
}

/** One line for people: what was elided and how to see it. */
export function elisionNote(elided: string[]): string | undefined {
  if (elided.length === 0) return undefined
  const split = elided.map((path) => /^(.*?)\.((?:helm|plugin|directory)\..*)$/.exec(path) ?? [path, path, 'the whole text'])
  const fields = [...new Set(split.map((m) => m[2]).filter(Boolean))]
  const sources = [...new Set(split.map((m) => m[1]))]
  return `Elided (may hold secrets): ${fields.join(', ')} of ${sources.join(', ')}. They are not part of this change; kubectl get applications.argoproj.io NAME -o yaml shows them.`
}
