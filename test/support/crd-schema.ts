/**
 * The parts of apiextensions-apiserver (v0.32) that decide what happens to a
 * custom resource body after a patch, driven by the CRD's real
 * openAPIV3Schema:
 *
 *  - pruning of unknown fields (schema/pruning/algorithm.go), reported as
 *    `unknown field "a.b"` warnings (default fieldValidation=Warn);
 *  - PruneNonNullableNullsWithoutDefaults (schema/defaulting/prunenulls.go):
 *    a null map value whose schema is not `nullable` is *silently removed* —
 *    so `{"op":"add","path":"/status/operationState","value":null}` is
 *    accepted and deletes operationState; a null *list item* is not pruned and
 *    fails validation;
 *  - kube-openapi validation of type, required, enum, pattern, length and
 *    date-time format, with CRD validation ratcheting (errors on values that
 *    did not change are dropped).
 *
 * Checked against a real kube-apiserver v1.34.12 (see the differential test in
 * test/integration/fake-apiserver.test.ts).
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'

export interface Schema {
  type?: string
  properties?: Record<string, Schema>
  additionalProperties?: Schema | boolean
  items?: Schema
  required?: string[]
  enum?: unknown[]
  pattern?: string
  minLength?: number
  maxLength?: number
  format?: string
  nullable?: boolean
  default?: unknown
  'x-kubernetes-preserve-unknown-fields'?: boolean
  'x-kubernetes-int-or-string'?: boolean
  'x-kubernetes-embedded-resource'?: boolean
}

export interface CrdInfo {
  group: string
  kind: string
  listKind: string
  plural: string
  singular: string
  shortNames: string[]
  namespaced: boolean
  /** version name → openAPIV3Schema */
  versions: Record<string, Schema>
  /** status subresource enabled, per version */
  statusSubresource: Record<string, boolean>
}

/** A field.Error as kube-apiserver renders it. */
export interface FieldError {
  /** CauseType: FieldValueInvalid, FieldValueTypeInvalid, FieldValueRequired, … */
  type: string
  field: string
  /** ErrorBody(): what follows "<field>: " */
  body: string
}

export function parseCrd(yamlText: string): CrdInfo[] {
  const out: CrdInfo[] = []
  for (const d of parseAllDocuments(yamlText)) {
    const crd = d.toJS() as any
    if (!crd || crd.kind !== 'CustomResourceDefinition') continue
    const versions: Record<string, Schema> = {}
    const statusSubresource: Record<string, boolean> = {}
    for (const v of crd.spec.versions ?? []) {
      versions[v.name] = v.schema?.openAPIV3Schema ?? {'x-kubernetes-preserve-unknown-fields': true}
      statusSubresource[v.name] = Boolean(v.subresources?.status)
    }
    out.push({
      group: crd.spec.group,
      kind: crd.spec.names.kind,
      listKind: crd.spec.names.listKind ?? crd.spec.names.kind + 'List',
      plural: crd.spec.names.plural,
      singular: crd.spec.names.singular ?? crd.spec.names.kind.toLowerCase(),
      shortNames: crd.spec.names.shortNames ?? [],
      namespaced: crd.spec.scope !== 'Cluster',
      versions,
      statusSubresource,
    })
  }
  return out
}

function semverKey(v: string): number[] {
  return (v.match(/\d+/g) ?? []).slice(0, 3).map(Number)
}

/**
 * Where the Argo CD CRDs can be found without committing them:
 *  1. $ARGO_DOCTOR_CRDS (a directory holding application-crd.yaml, …);
 *  2. the Go module cache ($GOMODCACHE, $GOPATH/pkg/mod, ~/go/pkg/mod):
 *     github.com/argoproj/argo-cd/v3@<newest>/manifests/crds — the same copy
 *     scripts/cluster.sh installs into the e2e API server.
 */
export function findArgoCdCrdDir(): string | undefined {
  const env = process.env.ARGO_DOCTOR_CRDS
  if (env && existsSync(join(env, 'application-crd.yaml'))) return env
  const roots = [
    process.env.GOMODCACHE,
    ...(process.env.GOPATH ?? '').split(':').filter(Boolean).map((p) => join(p, 'pkg', 'mod')),
    join(homedir(), 'go', 'pkg', 'mod'),
  ].filter((p): p is string => Boolean(p))
  for (const root of roots) {
    const base = join(root, 'github.com', 'argoproj', 'argo-cd')
    if (!existsSync(base)) continue
    const candidates = readdirSync(base)
      .filter((d) => /^v3@v\d/.test(d))
      .filter((d) => existsSync(join(base, d, 'manifests', 'crds', 'application-crd.yaml')))
      .sort((a, b) => {
        const ka = semverKey(a.slice(3))
        const kb = semverKey(b.slice(3))
        for (let i = 0; i < 3; i++) if ((ka[i] ?? 0) !== (kb[i] ?? 0)) return (kb[i] ?? 0) - (ka[i] ?? 0)
        return 0
      })
    if (candidates.length > 0) return join(base, candidates[0], 'manifests', 'crds')
  }
  return undefined
}

const crdCache = new Map<string, CrdInfo[]>()

export function loadCrdFile(path: string): CrdInfo[] {
  let c = crdCache.get(path)
  if (!c) {
    c = parseCrd(readFileSync(path, 'utf8'))
    crdCache.set(path, c)
  }
  return c
}

// ---------------------------------------------------------------- paths

type Seg = string | number

export function pathString(segs: Seg[]): string {
  let s = ''
  for (const p of segs) {
    if (typeof p === 'number') s += `[${p}]`
    else s += s === '' ? p : '.' + p
  }
  return s
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

// ---------------------------------------------------------------- pruning

const metaFields = new Set(['apiVersion', 'kind', 'metadata'])

/**
 * Structural pruning of unknown fields, in place. Returns the sorted unknown
 * field paths (what the server turns into `unknown field "<path>"`).
 */
export function pruneUnknownFields(obj: Record<string, unknown>, schema: Schema): string[] {
  const unknown: string[] = []
  const root: Schema = {...schema, 'x-kubernetes-embedded-resource': true}
  prune(obj, root, [], unknown)
  return unknown.sort()
}

function prune(x: unknown, s: Schema | undefined, path: Seg[], unknown: string[]): void {
  if (s && s['x-kubernetes-preserve-unknown-fields']) {
    skipPrune(x, s, path, unknown)
    return
  }
  if (isMap(x)) {
    if (!s) {
      for (const k of Object.keys(x)) {
        unknown.push(pathString([...path, k]))
        delete x[k]
      }
      return
    }
    for (const k of Object.keys(x)) {
      if (s['x-kubernetes-embedded-resource'] && metaFields.has(k)) continue
      const prop = s.properties?.[k]
      if (prop) prune(x[k], prop, [...path, k], unknown)
      else if (s.additionalProperties !== undefined && s.additionalProperties !== false) {
        prune(x[k], s.additionalProperties === true ? undefined : s.additionalProperties, [...path, k], unknown)
      } else {
        if (!metaFields.has(k) || path.length > 0) unknown.push(pathString([...path, k]))
        delete x[k]
      }
    }
  } else if (Array.isArray(x)) {
    x.forEach((v, i) => prune(v, s?.items, [...path, i], unknown))
  }
}

function skipPrune(x: unknown, s: Schema, path: Seg[], unknown: string[]): void {
  if (isMap(x)) {
    for (const k of Object.keys(x)) {
      if (s['x-kubernetes-embedded-resource'] && metaFields.has(k)) continue
      const prop = s.properties?.[k]
      if (prop) prune(x[k], prop, [...path, k], unknown)
      else if (isMap(s.additionalProperties)) prune(x[k], s.additionalProperties, [...path, k], unknown)
    }
  } else if (Array.isArray(x)) {
    if (s.items) x.forEach((v, i) => prune(v, s.items, [...path, i], unknown))
  }
}

/** defaulting.PruneNonNullableNullsWithoutDefaults, in place. */
export function pruneNonNullableNulls(x: unknown, s: Schema | undefined): void {
  if (isMap(x)) {
    for (const k of Object.keys(x)) {
      const sub = schemaForField(k, s)
      if (x[k] === null && sub && !sub.nullable && sub.default === undefined) delete x[k]
      else pruneNonNullableNulls(x[k], sub)
    }
  } else if (Array.isArray(x)) {
    for (const v of x) pruneNonNullableNulls(v, s?.items)
  }
}

function schemaForField(k: string, s: Schema | undefined): Schema | undefined {
  if (!s) return undefined
  if (s.properties?.[k]) return s.properties[k]
  if (isMap(s.additionalProperties)) return s.additionalProperties
  return undefined
}

/** Without a CRD schema: every null map value is pruned (Argo CD's CRDs declare nothing nullable). */
export function pruneAllNullMapValues(x: unknown): void {
  if (isMap(x)) {
    for (const k of Object.keys(x)) {
      if (x[k] === null) delete x[k]
      else pruneAllNullMapValues(x[k])
    }
  } else if (Array.isArray(x)) {
    for (const v of x) pruneAllNullMapValues(v)
  }
}

// ---------------------------------------------------------------- validation

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  if (typeof v === 'boolean') return 'boolean'
  if (typeof v === 'string') return 'string'
  return 'object'
}

function typeOk(v: unknown, type: string): boolean {
  const t = typeName(v)
  if (type === 'number') return t === 'number' || t === 'integer'
  return t === type
}

/** Go %q for the strings we produce (ASCII; JSON escaping is close enough). */
function q(s: string): string {
  return JSON.stringify(s)
}

/** field.Error ErrorBody() rendering of a bad value. */
function renderValue(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'string') return q(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

// strfmt "date-time" (RFC 3339; strfmt also accepts a few variants)
const dateTimeRe =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$/

function validateFormat(format: string, v: string): boolean {
  switch (format) {
    case 'date-time':
      return dateTimeRe.test(v) && !Number.isNaN(Date.parse(v.replace(' ', 'T')))
    default:
      return true // int64, int32, … and formats Argo CD does not use
  }
}

/**
 * kube-openapi schema validation rendered as apiserver field errors, in the
 * order the server reports them (depth first; an object's properties before
 * its own required fields).
 */
export function validateAgainstSchema(obj: unknown, schema: Schema): FieldError[] {
  const errs: FieldError[] = []
  validate(obj, schema, [], errs, true)
  return errs
}

function validate(x: unknown, s: Schema | undefined, path: Seg[], errs: FieldError[], root = false): void {
  if (!s) return
  const p = pathString(path)
  if (x === null) {
    if (s.nullable) return
    if (s.type) {
      errs.push({type: 'FieldValueTypeInvalid', field: p, body: `Invalid value: "null": ${p} in body must be of type ${s.type}: "null"`})
    }
    return
  }
  if (s['x-kubernetes-int-or-string']) {
    const t = typeName(x)
    if (t !== 'integer' && t !== 'string') {
      errs.push({type: 'FieldValueTypeInvalid', field: p, body: `Invalid value: ${q(t)}: ${p} in body must be of type integer,string: ${q(t)}`})
    }
    return
  }
  if (s.type && !typeOk(x, s.type)) {
    const t = typeName(x)
    errs.push({type: 'FieldValueTypeInvalid', field: p, body: `Invalid value: ${q(t)}: ${p} in body must be of type ${s.type}: ${q(t)}`})
    return
  }
  if (typeof x === 'string') {
    if (s.format && !validateFormat(s.format, x)) {
      errs.push({type: 'FieldValueTypeInvalid', field: p, body: `Invalid value: ${q(x)}: ${p} in body must be of type ${s.format}: ${q(x)}`})
    }
    if (s.maxLength !== undefined && [...x].length > s.maxLength) {
      errs.push({type: 'FieldValueTooLong', field: p, body: `Too long: may not be more than ${s.maxLength} bytes`})
    }
    if (s.minLength !== undefined && [...x].length < s.minLength) {
      errs.push({type: 'FieldValueInvalid', field: p, body: `Invalid value: ${q(x)}: ${p} in body should be at least ${s.minLength} chars long`})
    }
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(x)) {
      errs.push({type: 'FieldValueInvalid', field: p, body: `Invalid value: ${q(x)}: ${p} in body should match '${s.pattern}'`})
    }
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(x))) {
    const allowed = s.enum.map((e) => (typeof e === 'string' ? q(e) : JSON.stringify(e))).join(', ')
    errs.push({type: 'FieldValueNotSupported', field: p, body: `Unsupported value: ${renderValue(x)}: supported values: ${allowed}`})
  }
  if (isMap(x)) {
    for (const k of Object.keys(x).sort()) {
      if (root && metaFields.has(k) && k !== 'metadata') continue
      const prop = s.properties?.[k]
      if (prop) validate(x[k], prop, [...path, k], errs)
      else if (isMap(s.additionalProperties)) validate(x[k], s.additionalProperties, [...path, k], errs)
    }
    for (const r of s.required ?? []) {
      if (!Object.prototype.hasOwnProperty.call(x, r)) {
        errs.push({type: 'FieldValueRequired', field: pathString([...path, r]), body: 'Required value'})
      }
    }
  } else if (Array.isArray(x)) {
    x.forEach((v, i) => validate(v, s.items, [...path, i], errs))
  }
}

// ---------------------------------------------------------------- ratcheting

function parsePath(p: string): Seg[] {
  const segs: Seg[] = []
  const re = /([^.[\]]+)|\[(\d+)\]/g
  let m: RegExpExecArray | null
  while ((m = re.exec(p)) !== null) segs.push(m[2] !== undefined ? Number(m[2]) : m[1])
  return segs
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b))
}

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (isMap(v)) {
    const o: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k])
    return o
  }
  return v
}

/**
 * CRD validation ratcheting (beta, on by default in 1.30–1.32): an error is
 * dropped when the value it is about is unchanged from the old object. Items
 * of atomic lists are only correlated when the whole list is unchanged.
 */
export function ratchet(errs: FieldError[], newObj: unknown, oldObj: unknown): FieldError[] {
  if (oldObj === undefined) return errs
  return errs.filter((e) => {
    let segs = parsePath(e.field)
    if (e.type === 'FieldValueRequired') segs = segs.slice(0, -1)
    let n: unknown = newObj
    let o: unknown = oldObj
    for (const s of segs) {
      if (Array.isArray(n) && !deepEqual(n, o)) return true
      n = n === null || n === undefined ? undefined : (n as any)[s]
      o = o === null || o === undefined ? undefined : (o as any)[s]
    }
    return !deepEqual(n, o)
  })
}
