/**
 * RFC 6902 JSON patch and RFC 7386 merge patch exactly as the Kubernetes API
 * server (and `kubectl patch --local`) apply them: a line-by-line port of
 * gopkg.in/evanphx/json-patch.v4 v4.12.0 (patch.go, merge.go), which
 * k8s.io/apiserver v0.32 uses in pkg/endpoints/handlers/patch.go.
 *
 * Why not fast-json-patch: it differs from the server on the cases that matter
 * for guarded patches. evanphx v4 (and so the server):
 *  - `replace` of a missing *object* key succeeds and adds it;
 *  - `test` of a missing key with `value: null` succeeds;
 *  - `copy` from a missing object key adds null;
 *  - negative array indices count from the end;
 *  - `remove` of a missing key fails ("Unable to remove nonexistent key").
 * fast-json-patch with validate=false silently ignores a missing `remove`, and
 * with validate=true rejects `replace`/`test` cases the server accepts.
 *
 * Error messages are evanphx's (github.com/pkg/errors Wrapf: "msg: cause").
 * Note the API server does NOT return them: it wraps every apply error in a
 * generic 422 ("the server rejected our request due to an error in our
 * request"). kubectl --local prints them as "error: <message>".
 */

export class PatchApplyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PatchApplyError'
  }
}

/** A patch body the server cannot decode (HTTP 400 on the server). */
export class PatchDecodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PatchDecodeError'
  }
}

const ErrMissing = 'missing value'
const ErrTestFailed = 'test failed'
const ErrInvalidIndex = 'invalid index referenced'

type Json = unknown
type Doc = Record<string, Json>
type Container = Doc | Json[]

function isDoc(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function wrap(cause: string, msg: string): string {
  return `${msg}: ${cause}`
}

function decodePatchKey(k: string): string {
  // strings.NewReplacer("~1", "/", "~0", "~") — a single left-to-right pass
  return k.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'))
}

/** strconv.Atoi; returns an error message on failure. */
function atoi(key: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(key)) return `strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`
  const n = Number(key)
  if (!Number.isSafeInteger(n)) return `strconv.Atoi: parsing ${JSON.stringify(key)}: value out of range`
  return n
}

/** container.get: [value (undefined = nil), error message] */
function cget(con: Container, key: string): [Json | undefined, string | undefined] {
  if (!Array.isArray(con)) {
    return [Object.prototype.hasOwnProperty.call(con, key) ? con[key] : undefined, undefined]
  }
  const idx0 = atoi(key)
  if (typeof idx0 === 'string') return [undefined, idx0]
  let idx = idx0
  if (idx < 0) {
    if (idx < -con.length) return [undefined, wrap(ErrInvalidIndex, `Unable to access invalid index: ${idx}`)]
    idx += con.length
  }
  if (idx >= con.length) return [undefined, wrap(ErrInvalidIndex, `Unable to access invalid index: ${idx}`)]
  return [con[idx], undefined]
}

function cadd(con: Container, key: string, val: Json): string | undefined {
  if (!Array.isArray(con)) {
    con[key] = val
    return undefined
  }
  if (key === '-') {
    con.push(val)
    return undefined
  }
  const idx0 = atoi(key)
  if (typeof idx0 === 'string') return wrap(idx0, `value was not a proper array index: '${key}'`)
  let idx = idx0
  const sz = con.length + 1
  if (idx >= sz) return wrap(ErrInvalidIndex, `Unable to access invalid index: ${idx}`)
  if (idx < 0) {
    if (idx < -sz) return wrap(ErrInvalidIndex, `Unable to access invalid index: ${idx}`)
    idx += sz
  }
  con.splice(idx, 0, val)
  return undefined
}

function cset(con: Container, key: string, val: Json): string | undefined {
  if (!Array.isArray(con)) {
    con[key] = val
    return undefined
  }
  const idx0 = atoi(key)
  if (typeof idx0 === 'string') return idx0
  let idx = idx0
  if (idx < 0) {
    if (idx < -con.length) return wrap(ErrInvalidIndex, `Unable to access invalid index: ${idx}`)
    idx += con.length
  }
  con[idx] = val
  return undefined
}

function cremove(con: Container, key: string): string | undefined {
  if (!Array.isArray(con)) {
    if (!Object.prototype.hasOwnProperty.call(con, key)) {
      return wrap(ErrMissing, `Unable to remove nonexistent key: ${key}`)
    }
    delete con[key]
    return undefined
  }
  const idx0 = atoi(key)
  if (typeof idx0 === 'string') return idx0
  let idx = idx0
  if (idx >= con.length) return wrap(ErrInvalidIndex, `Unable to access invalid index: ${idx}`)
  if (idx < 0) {
    if (idx < -con.length) return wrap(ErrInvalidIndex, `Unable to access invalid index: ${idx}`)
    idx += con.length
  }
  con.splice(idx, 1)
  return undefined
}

/** findObject: the container holding the last path token, or undefined. */
function findObject(doc: Container, path: string): [Container, string] | undefined {
  const split = path.split('/')
  if (split.length < 2) return undefined
  const parts = split.slice(1, -1)
  const key = split[split.length - 1]
  let cur: Container = doc
  for (const part of parts) {
    const [next, err] = cget(cur, decodePatchKey(part))
    // a JSON null is a nil node in evanphx: not traversable
    if (next === undefined || next === null || err) return undefined
    if (Array.isArray(next) || isDoc(next)) cur = next
    else return undefined // intoDoc fails on a scalar
  }
  return [cur, decodePatchKey(key)]
}

/** lazyNode.equal as the `test` op uses it (structural JSON equality). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    return a.every((v, i) => jsonEqual(v, b[i]))
  }
  if (isDoc(a)) {
    if (!isDoc(b)) return false
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]))
  }
  return false
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T)
}

type Op = Record<string, Json>

function has(op: Op, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(op, k)
}

/** Operation.Path(): [path, error] — a missing or null path is an error. */
function opPath(op: Op): [string, string | undefined] {
  if (has(op, 'path') && op.path !== null && op.path !== undefined) return [String(op.path), undefined]
  return ['unknown', wrap(ErrMissing, 'operation missing path field')]
}

function opFrom(op: Op): [string, string | undefined] {
  if (has(op, 'from') && op.from !== null && op.from !== undefined) return [String(op.from), undefined]
  return ['unknown', wrap(ErrMissing, 'operation, missing from field')]
}

function opKind(op: Op): string {
  return typeof op.op === 'string' ? op.op : 'unknown'
}

/** The op's value: null when absent or JSON null (a nil RawMessage). */
function opValue(op: Op): Json {
  return has(op, 'value') && op.value !== undefined ? clone(op.value) : null
}

function applyOne(root: {doc: Container}, op: Op): void {
  const fail = (m: string): never => {
    throw new PatchApplyError(m)
  }
  switch (opKind(op)) {
    case 'add': {
      const [path, perr] = opPath(op)
      if (perr) fail(wrap(ErrMissing, 'add operation failed to decode path'))
      const found = findObject(root.doc, path)
      if (!found) fail(wrap(ErrMissing, `add operation does not apply: doc is missing path: "${path}"`))
      const [con, key] = found!
      const err = cadd(con, key, opValue(op))
      if (err) fail(wrap(err, `error in add for path: '${path}'`))
      return
    }
    case 'remove': {
      const [path, perr] = opPath(op)
      if (perr) fail(wrap(ErrMissing, 'remove operation failed to decode path'))
      const found = findObject(root.doc, path)
      if (!found) fail(wrap(ErrMissing, `remove operation does not apply: doc is missing path: "${path}"`))
      const [con, key] = found!
      const err = cremove(con, key)
      if (err) fail(wrap(err, `error in remove for path: '${path}'`))
      return
    }
    case 'replace': {
      const [path, perr] = opPath(op)
      if (perr) fail(wrap(perr, 'replace operation failed to decode path'))
      if (path === '') {
        const val = opValue(op)
        // errors.Wrapf(nil, …) is nil in Go: a scalar value is silently ignored
        if (Array.isArray(val) || isDoc(val)) root.doc = val
        return
      }
      const found = findObject(root.doc, path)
      if (!found) fail(wrap(ErrMissing, `replace operation does not apply: doc is missing path: ${path}`))
      const [con, key] = found!
      const [, gerr] = cget(con, key)
      if (gerr) fail(wrap(ErrMissing, `replace operation does not apply: doc is missing key: ${path}`))
      const err = cset(con, key, opValue(op))
      if (err) fail(wrap(err, `error in remove for path: '${path}'`))
      return
    }
    case 'move': {
      const [from, ferr] = opFrom(op)
      if (ferr) fail(wrap(ferr, 'move operation failed to decode from'))
      const f = findObject(root.doc, from)
      if (!f) fail(wrap(ErrMissing, `move operation does not apply: doc is missing from path: ${from}`))
      const [fcon, fkey] = f!
      const [val, gerr] = cget(fcon, fkey)
      if (gerr) fail(wrap(gerr, `error in move for path: '${fkey}'`))
      const rerr = cremove(fcon, fkey)
      if (rerr) fail(wrap(rerr, `error in move for path: '${fkey}'`))
      const [path, perr] = opPath(op)
      if (perr) fail(wrap(perr, 'move operation failed to decode path'))
      const t = findObject(root.doc, path)
      if (!t) fail(wrap(ErrMissing, `move operation does not apply: doc is missing destination path: ${path}`))
      const [tcon, tkey] = t!
      const aerr = cadd(tcon, tkey, val === undefined ? null : val)
      if (aerr) fail(wrap(aerr, `error in move for path: '${path}'`))
      return
    }
    case 'test': {
      const [path, perr] = opPath(op)
      if (perr) fail(wrap(perr, 'test operation failed to decode path'))
      if (path === '') {
        if (jsonEqual(root.doc, opValue(op))) return
        fail(wrap(ErrTestFailed, `testing value ${path} failed`))
      }
      const found = findObject(root.doc, path)
      if (!found) fail(wrap(ErrMissing, `test operation does not apply: is missing path: ${path}`))
      const [con, key] = found!
      const [val, gerr] = cget(con, key)
      if (gerr) fail(wrap(gerr, `error in test for path: '${path}'`))
      if (val === undefined || val === null) {
        // missing and null both pass against an absent or null value
        if (opValue(op) === null) return
        fail(wrap(ErrTestFailed, `testing value ${path} failed`))
      }
      if (!has(op, 'value')) fail(wrap(ErrTestFailed, `testing value ${path} failed`))
      if (jsonEqual(val, opValue(op))) return
      fail(wrap(ErrTestFailed, `testing value ${path} failed`))
      return
    }
    case 'copy': {
      const [from, ferr] = opFrom(op)
      if (ferr) fail(wrap(ferr, 'copy operation failed to decode from'))
      const f = findObject(root.doc, from)
      if (!f) fail(wrap(ErrMissing, `copy operation does not apply: doc is missing from path: ${from}`))
      const [fcon, fkey] = f!
      const [val, gerr] = cget(fcon, fkey)
      if (gerr) fail(wrap(gerr, `error in copy for from: '${from}'`))
      const [path, perr] = opPath(op)
      if (perr) fail(wrap(ErrMissing, 'copy operation failed to decode path'))
      const t = findObject(root.doc, path)
      if (!t) fail(wrap(ErrMissing, `copy operation does not apply: doc is missing destination path: ${path}`))
      const [tcon, tkey] = t!
      const aerr = cadd(tcon, tkey, val === undefined ? null : clone(val))
      if (aerr) fail(wrap(aerr, 'error while adding value during copy'))
      return
    }
    default:
      fail(`Unexpected kind: ${opKind(op)}`)
  }
}

/**
 * Apply an RFC 6902 patch like evanphx/json-patch v4 `Patch.Apply`.
 * Does not modify `doc`. Throws PatchApplyError with evanphx's message.
 */
export function applyJsonPatch<T = unknown>(doc: T, ops: unknown): T {
  if (ops === null) return clone(doc) // a JSON null patch decodes to an empty Patch
  if (!Array.isArray(ops)) throw new PatchDecodeError('json: cannot unmarshal ' + goJsonType(ops) + ' into Go value of type jsonpatch.Patch')
  const root = {doc: clone(doc) as unknown as Container}
  for (const op of ops) {
    if (!isDoc(op)) {
      if (op === null) throw new PatchApplyError('Unexpected kind: unknown')
      throw new PatchDecodeError(`json: cannot unmarshal ${goJsonType(op)} into Go value of type jsonpatch.Operation`)
    }
    applyOne(root, op)
  }
  return root.doc as unknown as T
}

// ---------------------------------------------------------------- merge patch

function pruneNulls(n: Json): Json {
  if (isDoc(n)) {
    for (const k of Object.keys(n)) {
      if (n[k] === null) delete n[k]
      else pruneNulls(n[k])
    }
  } else if (Array.isArray(n)) {
    // pruneAryNulls keeps null elements, prunes inside the others
    for (const v of n) if (v !== null) pruneNulls(v)
  }
  return n
}

function merge(cur: Json, patch: Json): Json {
  if (!isDoc(cur)) return pruneNulls(patch)
  if (!isDoc(patch)) return patch
  mergeDocs(cur, patch)
  return cur
}

function mergeDocs(doc: Doc, patch: Doc): void {
  for (const k of Object.keys(patch)) {
    const v = patch[k]
    if (v === null) {
      delete doc[k]
    } else {
      const cur = doc[k]
      if (!Object.prototype.hasOwnProperty.call(doc, k) || cur === null) doc[k] = pruneNulls(v)
      else doc[k] = merge(cur, v)
    }
  }
}

/**
 * Apply an RFC 7386 merge patch like evanphx/json-patch v4 `MergePatch`
 * (what the API server runs for application/merge-patch+json). Does not modify
 * its arguments. A null patch is ErrBadJSONPatch ("Invalid JSON Patch").
 */
export function applyMergePatch<T = unknown>(doc: T, patch: unknown): unknown {
  if (patch === null) throw new PatchDecodeError('Invalid JSON Patch')
  const d = clone(doc) as unknown
  const p = clone(patch)
  if (!isDoc(p)) {
    if (Array.isArray(p)) return pruneNulls(p)
    throw new PatchDecodeError('Invalid JSON Patch')
  }
  if (!isDoc(d)) return pruneNulls(p)
  mergeDocs(d, p)
  return d
}

// ---------------------------------------------------------------- Go-style JSON decoding

/** The JSON type word Go's encoding/json uses in UnmarshalTypeError. */
export function goJsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  switch (typeof v) {
    case 'string':
      return 'string'
    case 'number':
      return 'number'
    case 'boolean':
      return 'bool'
    default:
      return 'object'
  }
}

/**
 * JSON.parse with Go-flavoured syntax error messages (approximate: Go reports
 * "invalid character 'x' looking for beginning of value" and similar; the
 * most common cases are mirrored, others fall back to a generic wording).
 */
export function parseJsonGo(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    const t = text.trim()
    if (t === '') throw new PatchDecodeError('unexpected end of JSON input')
    const msg = (e as Error).message
    if (/end of (JSON )?(input|data)/i.test(msg) || /Unterminated/i.test(msg)) {
      throw new PatchDecodeError('unexpected end of JSON input')
    }
    const m = /position (\d+)/.exec(msg)
    if (m && Number(m[1]) >= text.trimEnd().length) throw new PatchDecodeError('unexpected end of JSON input')
    const ch = m ? text[Number(m[1])] : t[0]
    throw new PatchDecodeError(`invalid character '${ch}' looking for beginning of value`)
  }
}
