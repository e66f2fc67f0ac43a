import {Writable} from 'node:stream'
import {setImmediate as tick} from 'node:timers/promises'
import {expect} from 'chai'
import {escapeControls, hasControls, indentLines, jsonPieces, jsonText, oneLine} from '../../../src/lib/render/safe.js'
import {explainFleet, fleetJson} from '../../../src/lib/explain.js'
import {makeFleet} from '../../support/fleet.js'
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

  describe('jsonPieces: jsonText written in pieces', () => {
    const pieces = (value: unknown, depth?: number) => {
      return [...jsonPieces(value, 2, depth)]
    }

    it('is exactly jsonText(value, 2), whatever the value (what JSON.stringify leaves out or turns into null, toJSON, empty, nested, hostile text)', () => {
      class Box {
        x = 1
      }

      const values: unknown[] = [
        null, 0, 'text', true, [], {}, [[]], {a: {}}, undefined,
        {a: undefined, b: () => 1, c: Symbol('s'), d: 1},
        {only: undefined},
        [undefined, () => 1, Symbol('s'), 2],
        {when: new Date('2026-01-02T03:04:05Z'), custom: {toJSON: () => ({replaced: [1, 2]})}, box: new Box(), boxed: [Object(1), Object('s')]},
        {deep: {er: {still: {deeper: [{k: `${EVIL}\u2028 line\nbreak`}]}}}},
        {[`key${EVIL}\u2029`]: [1, {[`in${EVIL}`]: 'v'}], nul: Object.create(null) as object},
        {command: 'explain', status: 'findings', exitCode: 20, result: {apps: [{name: 'a', findings: [{id: 'x', evidence: [{path: 'p', value: null}]}]}, {name: 'b', findings: []}], summary: {apps: 2}, notes: []}, warnings: []},
      ]
      for (const value of values) {
        for (const depth of [0, 1, 3, 8]) expect(pieces(value, depth).join(''), `${JSON.stringify(value)} at depth ${depth}`).to.equal(jsonText(value, 2))
      }
    })

    it('a fleet\'s document: the same text, in pieces of about 64 KiB rather than one string', async () => {
      const now = new Date('2026-01-02T00:12:00Z')
      const doc = {command: 'explain', status: 'findings', exitCode: 20, result: fleetJson(await explainFleet(makeFleet({count: 600, now}), now, {bin: 'argo-doctor'})), warnings: []}
      const out = pieces(doc)
      expect(out.join('')).to.equal(jsonText(doc, 2))
      expect(out.length).to.be.greaterThan(2)
      expect(Math.max(...out.map((p) => p.length))).to.be.lessThan(80_000)
    })
  })
})

describe('Io.printJson: a reader slower than we write (`| jq`, `| less`)', () => {
  /** A stdout whose reader takes each write only when told to (`take()`). */
  function slowReader() {
    const taken: string[] = []
    let pending: (() => void) | undefined
    const out = new Writable({
      highWaterMark: 16_384,
      write(chunk: Buffer, _encoding, done) {
        taken.push(chunk.toString())
        pending = done
      },
    })
    const take = () => {
      const done = pending
      pending = undefined
      done?.()
    }

    return {out, taken, take, io: new Io(true, false, out as unknown as NodeJS.WriteStream, out as unknown as NodeJS.WriteStream)}
  }

  const doc = {apps: Array.from({length: 4000}, (_, i) => ({name: `app-${i}`, findings: [{title: `stuck ${'x'.repeat(80)}`}]}))}

  it('hands over the next piece only once stdout has taken the last: never more than one piece waits in memory, and the text is the whole document', async () => {
    const {out, taken, take, io} = slowReader()
    let finished = false
    const printing = io.printJson(doc).then(() => (finished = true))
    let most = 0
    while (!finished) {
      await tick()
      most = Math.max(most, out.writableLength)
      take()
    }

    await printing
    // One piece of ~64 KiB (plus what it overshoots by) at most, not the whole document.
    expect(most).to.be.greaterThan(0).and.lessThan(2 * 65_536)
    const text = jsonText(doc, 2) + '\n'
    expect(text.length).to.be.greaterThan(8 * 65_536)
    expect(taken.join('')).to.equal(text)
  })

  it('stops writing once stdout is closed (`| head`): it returns, without the rest', async () => {
    const {out, taken, take, io} = slowReader()
    let finished = false
    const printing = io.printJson(doc).then(() => (finished = true))
    await tick()
    take()
    out.destroy()
    for (let i = 0; i < 100 && !finished; i++) await tick()
    expect(finished).to.equal(true)
    await printing
    expect(taken.length).to.be.lessThan(3)
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
