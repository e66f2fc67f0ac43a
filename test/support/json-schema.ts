/**
 * A tiny JSON Schema (2020-12) validator for the subset our schemas/ files use: $ref to $defs,
 * oneOf, type (incl. integer and type lists), enum, required, properties, additionalProperties
 * false, items, pattern, minLength, minimum. Returns the errors (empty = valid).
 */
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

type Schema = Record<string, any>

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

function typeMatches(want: string, got: string): boolean {
  return want === got || (want === 'number' && got === 'integer')
}

/** Schemas by file name, for $refs into another file of schemas/ ("defs.schema.json#/$defs/step"). */
const FILES = new Map<string, Schema>()

/** The schema of schemas/<name>, with the other files there registered for its $refs. */
export function loadSchema(name: string): Schema {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas')
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) if (!FILES.has(file)) FILES.set(file, JSON.parse(readFileSync(join(dir, file), 'utf8')))
  const schema = FILES.get(name)
  if (!schema) throw new Error(`no schemas/${name}`)
  return schema
}

export function validate(schema: Schema, value: unknown, root: Schema = schema, path = '$'): string[] {
  if (schema.$ref) {
    const m = /^([\w.-]*)#\/\$defs\/(.+)$/.exec(schema.$ref)
    const base = m?.[1] ? FILES.get(m[1]) : root
    if (!m || !base?.$defs?.[m[2]]) return [`${path}: unresolvable $ref ${schema.$ref}`]
    return validate(base.$defs[m[2]], value, base, path)
  }

  const errors: string[] = []
  if (schema.oneOf) {
    const passing = (schema.oneOf as Schema[]).map((s) => validate(s, value, root, path)).filter((e) => e.length === 0).length
    if (passing !== 1) errors.push(`${path}: matches ${passing} of the oneOf schemas, expected exactly 1`)
  }

  if (schema.type) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type]
    const got = typeOf(value)
    if (!types.some((t) => typeMatches(t, got))) return [...errors, `${path}: expected ${types.join('|')}, got ${got}`]
  }

  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`)
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`)
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`)
  }

  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`)
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...validate(schema.items, v, root, `${path}[${i}]`)))
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>
    for (const key of schema.required ?? []) if (!(key in obj)) errors.push(`${path}: missing required "${key}"`)
    const props: Record<string, Schema> = schema.properties ?? {}
    for (const [key, v] of Object.entries(obj)) {
      if (props[key]) errors.push(...validate(props[key], v, root, `${path}.${key}`))
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property "${key}"`)
    }
  }

  return errors
}
