import {expect} from 'chai'
import {escapeControls, hasControls, indentLines, jsonText, oneLine} from '../../../src/lib/render/safe.js'
import {shellJoin, shellQuote} from '../../../src/lib/shell.js'
import {Io} from '../../../src/lib/render/io.js'
import {EVIL, unsafeChars} from '../../fixtures/hostile.js'

describe('render/safe: cluster text made safe for the terminal', () => {
  it('escapes C0, DEL, C1 and bidi controls visibly; keeps TAB, LF and ordinary Unicode', () => {
    expect(escapeControls(EVIL)).to.equal('\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eevil\\u2066!\\x00\\r\\x7f')
    expect(escapeControls('a\tb\nc — ü 한국어 ✔')).to.equal('a\tb\nc — ü 한국어 ✔')
    expect(unsafeChars(escapeControls(EVIL))).to.deep.equal([])
    for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c', '\u0085']) {
      expect(hasControls(escapeControls(`x${c}y`)), c).to.equal(false)
    }
  })

  it('is idempotent (backslashes are not doubled)', () => {
    expect(escapeControls(escapeControls(EVIL))).to.equal(escapeControls(EVIL))
  })

  it('oneLine escapes LF and TAB too; indentLines indents continuation lines', () => {
    expect(oneLine('a\nb\tc\r\n')).to.equal('a\\nb\\tc\\r\\n')
    expect(oneLine(undefined)).to.equal('')
    expect(indentLines('first\nApplied: fake\r\nthird', '  ')).to.equal('first\n  Applied: fake\n  third')
  })

  it('jsonText parses back to the exact value and holds no raw control character', () => {
    const value = {message: `${EVIL}\u2028end`, n: 1}
    const text = jsonText(value, 2)
    expect(unsafeChars(text)).to.deep.equal([])
    expect(text).to.not.include('\u2028')
    expect(JSON.parse(text)).to.deep.equal(value)
  })
})

describe('Io: only our own colour codes reach the terminal', () => {
  it('paints with real SGR codes, while an ESC in the data stays escaped', () => {
    const prev = process.env.FORCE_COLOR
    const prevNo = process.env.NO_COLOR
    process.env.FORCE_COLOR = '1'
    delete process.env.NO_COLOR
    try {
      const io = new Io(false, true)
      const out = io.render(`${io.paint('red', 'Error:')} ${EVIL} ${io.paint('bold', `name${EVIL}`)}`)
      expect(out.startsWith('\u001b[31mError:\u001b[39m ')).to.equal(true)
      const withoutOurs = out.replaceAll(/\u001b\[(31|39|1|22)m/g, '') // eslint-disable-line no-control-regex
      expect(unsafeChars(withoutOurs)).to.deep.equal([])
      expect(withoutOurs).to.include('\\x1b]0;pwned')
    } finally {
      if (prev === undefined) delete process.env.FORCE_COLOR
      else process.env.FORCE_COLOR = prev
      if (prevNo !== undefined) process.env.NO_COLOR = prevNo
    }
  })

  it('without colour, render leaves no escape at all', () => {
    const io = new Io(false, false)
    expect(unsafeChars(io.render(`${io.paint('red', 'x')}${EVIL}`))).to.deep.equal([])
  })
})

describe('shell quoting: one place for every command line we print', () => {
  it('quotes anything a shell would interpret, and leaves plain words bare', () => {
    expect(shellQuote('my-app')).to.equal('my-app')
    expect(shellQuote('/path/to/field')).to.equal('/path/to/field')
    expect(shellQuote('api$(touch /tmp/x)')).to.equal("'api$(touch /tmp/x)'")
    expect(shellQuote("it's")).to.equal("'it'\\''s'")
    expect(shellQuote('')).to.equal("''")
    expect(shellJoin(['unstick', 'a b', '-n', '`id`'])).to.equal("unstick 'a b' -n '`id`'")
  })
})
