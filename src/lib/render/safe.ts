/**
 * Cluster text is untrusted. Status and condition messages, resource and hook names, annotations
 * come from manifests, hooks and controllers that anyone with commit rights can influence, and a
 * terminal obeys what they contain: OSC sequences set the window title or write the clipboard,
 * CSI sequences clear the screen or move the cursor, CR overwrites a line, bidi overrides show
 * text in another order than it is (CVE-2021-25743 is kubectl's fix for the same problem).
 *
 * This module is the one place that makes text safe to print. It is pure. The Io layer
 * (render/io.ts) applies `escapeControls` to everything it writes, so no control character of
 * the data ever reaches the terminal; renderers apply `oneLine` to fields that must stay on one
 * line (names, titles, table cells, progress) and `indentLines` to prose that may span lines.
 * `--json` keeps the exact value (`jsonText` only spells the dangerous characters as \u escapes,
 * which parse back to the same string).
 */

/**
 * What a terminal may interpret: C0 controls except TAB and LF, DEL, C1 controls (U+0080–U+009F:
 * U+009B is a one-character CSI), the bidi embeddings/overrides U+202A–U+202E, the isolates
 * U+2066–U+2069, and the invisible direction marks U+200E, U+200F, U+061C.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
// eslint-disable-next-line no-control-regex
const CONTROL_OR_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
// eslint-disable-next-line no-control-regex
const CONTROL_TEST = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

function visible(c: string): string {
  switch (c) {
    case '\n':
      return '\\n'
    case '\r':
      return '\\r'
    case '\t':
      return '\\t'
    default: {
      const code = c.codePointAt(0)!
      return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
    }
  }
}

/** True when the text holds a character a terminal would interpret (TAB and LF excepted). */
export function hasControls(text: string): boolean {
  return CONTROL_TEST.test(text)
}

/**
 * Every control character shown visibly escaped: ESC → `\x1b`, CR → `\r`, U+009B → `\x9b`,
 * U+202E → `\u202e`. TAB and LF are kept (the caller decides about lines). Backslashes are
 * not doubled, so escaping twice changes nothing.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, visible)
}

/** For fields that must stay on one line (names, titles, table cells, progress): LF and TAB escaped too (`\n`, `\t`). */
export function oneLine(text: string | undefined): string {
  return (text ?? '').replace(CONTROL_OR_LINE, visible)
}

/** For prose that may span lines: continuation lines get `indent`, so they cannot pose as lines of ours. */
export function indentLines(text: string, indent: string): string {
  return escapeControls(text.replace(/\r\n/g, '\n')).replace(/\n/g, `\n${indent}`)
}

/**
 * JSON text whose characters are all safe to print: JSON.stringify already escapes C0; DEL, C1,
 * the bidi controls and U+2028/U+2029 are written as \u escapes too. JSON.parse gives back the
 * exact same value.
 */
export function jsonText(value: unknown, space?: number): string {
  return (JSON.stringify(value, null, space) ?? 'null').replace(/[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`)
}

/** Plain objects and arrays: what jsonPieces writes key by key (anything else is one JSON.stringify). */
const plainObject = (v: object) => !('toJSON' in v && typeof v.toJSON === 'function') && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)
/** What JSON.stringify leaves out of an object (and writes as null in an array). */
const unwritable = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol'

/**
 * Exactly `jsonText(value, space)`, in pieces of about 64 KiB instead of one string: the document
 * of a fleet of 10,000 apps (~20 MB) is written without being built whole, and the writer can wait
 * for its reader between pieces. The top `depth` levels of objects and arrays are walked here, each
 * value below them is one jsonText (JSON strings hold no raw newline, so indenting its lines is safe).
 */
export function* jsonPieces(value: unknown, space: number, depth = 3): Generator<string, void, undefined> {
  const unit = ' '.repeat(space)
  let pending = ''
  // The pieces of the walk below, gathered into `pending` and handed out once it reaches 64 KiB.
  function* put(text: string): Generator<string, void, undefined> {
    pending += text
    if (pending.length >= 65_536) {
      yield pending
      pending = ''
    }
  }

  function* walk(v: unknown, indent: string, level: number): Generator<string, void, undefined> {
    if (level >= depth || v === null || typeof v !== 'object' || !plainObject(v)) {
      const text = jsonText(v, space)
      yield* put(indent && text.includes('\n') ? text.replaceAll('\n', `\n${indent}`) : text)
      return
    }

    const inner = indent + unit
    const array = Array.isArray(v)
    const keys = array ? undefined : Object.keys(v).filter((k) => !unwritable((v as Record<string, unknown>)[k]))
    const length = array ? v.length : keys!.length
    if (length === 0) {
      yield* put(array ? '[]' : '{}')
      return
    }

    yield* put(array ? '[' : '{')
    for (let i = 0; i < length; i++) {
      yield* put(`${i ? ',' : ''}\n${inner}`)
      if (array) {
        yield* walk(unwritable(v[i]) ? null : v[i], inner, level + 1)
      } else {
        yield* put(`${jsonText(keys![i])}: `)
        yield* walk((v as Record<string, unknown>)[keys![i]], inner, level + 1)
      }
    }

    yield* put(`\n${indent}${array ? ']' : '}'}`)
  }

  yield* walk(value, '', 0)
  if (pending) yield pending
}
