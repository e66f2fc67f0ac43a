import {expect} from 'chai'
import {ListBodyError, ListItemSplitter, type ListEnvelope} from '../../../src/lib/cluster/list-items.js'
import {makeFleet} from '../../support/fleet.js'

/** Feed `text` cut into pieces at the given byte offsets; the items and the envelope. */
function split(text: string | Buffer, cuts: number[] = []): {items: unknown[]; envelope: ListEnvelope} {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
  const s = new ListItemSplitter()
  const items: unknown[] = []
  let from = 0
  for (const at of [...cuts, bytes.length]) {
    items.push(...s.write(bytes.subarray(from, at)))
    from = at
  }

  items.push(...s.flush())
  return {items, envelope: s.end()}
}

/** Every way of cutting `text` in two, and in single bytes. */
function everyCut(text: string): Array<{items: unknown[]; envelope: ListEnvelope}> {
  const n = Buffer.byteLength(text)
  const out = []
  for (let at = 0; at <= n; at++) out.push(split(text, [at]))
  out.push(split(text, Array.from({length: n}, (_, i) => i)))
  return out
}

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('ListItemSplitter: the items of a streamed List response, one at a time', () => {
  it('a custom-resource list (items before metadata, as kube-apiserver writes it): every item and the envelope, however the bytes are cut', () => {
    const list = {apiVersion: 'argoproj.io/v1alpha1', items: [{a: 1, s: 'x}]"{'}, {b: [1, {c: '\\'}], d: null}], kind: 'ApplicationList', metadata: {continue: 'tok', resourceVersion: '42'}}
    for (const r of everyCut(JSON.stringify(list))) {
      expect(r.items).to.deep.equal(list.items)
      expect(r.envelope).to.deep.equal({apiVersion: list.apiVersion, kind: list.kind, metadata: list.metadata})
    }
  })

  it('a built-in list (metadata first) and whitespace anywhere JSON allows it', () => {
    const text = ' {\n "kind" : "PodList", "apiVersion":"v1", "metadata" : {"resourceVersion":"7"} ,\n "items" : [ \n {"x":1} ,\r\n\t{"y":[2,3]}\n ] \n} \n'
    for (const r of everyCut(text)) {
      expect(r.items).to.deep.equal([{x: 1}, {y: [2, 3]}])
      expect(r.envelope.metadata).to.deep.equal({resourceVersion: '7'})
    }
  })

  it('strings with escaped quotes and backslashes (runs of them, split across chunks), brackets and multi-byte UTF-8 inside', () => {
    const items = [
      {message: 'a "quoted" \\ back\\\\slash \\" and }]{[ brackets'},
      {message: '\\\\\\\\', other: '"'},
      {message: '한국어 — ✔ 𝄞 emoji \u0000 \u001f control', k: '\\u0041'},
      {['key "with" quotes']: {'\\': '\\"'}},
    ]
    for (const r of everyCut(JSON.stringify({apiVersion: 'v1', items, kind: 'List', metadata: {}}))) expect(r.items).to.deep.equal(items)
  })

  it('an empty list and items: null give no items', () => {
    expect(split('{"apiVersion":"v1","items":[],"kind":"List","metadata":{"continue":""}}').items).to.deep.equal([])
    expect(split('{"items":null,"metadata":{}}').items).to.deep.equal([])
  })

  it('an object without items (a Status, {}) is not a list: an error, never an empty list', () => {
    for (const text of ['{"kind":"List","metadata":{"resourceVersion":"1"}}', '{}', '{"kind":"Status","apiVersion":"v1","status":"Failure","code":502}']) {
      expect(() => split(text), text).to.throw(ListBodyError, /no items/)
    }
  })

  it('empty chunks anywhere (right after a backslash, inside strings, between items) change nothing: a seeded fuzz', () => {
    const items = [
      {message: 'a \\"quoted\\" \\\\ run \\n of \\\\\\ escapes \\" }]'},
      {message: '\\', b: '\\"', c: 'end\\'},
      {['k\\"']: ['\\\\', '"', '\\u00e9']},
    ]
    const bytes = Buffer.from(JSON.stringify({apiVersion: 'v1', items, kind: 'List', metadata: {resourceVersion: '7'}}), 'utf8')
    // An empty chunk right after each backslash: the escape must survive it.
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0x5c) expect(split(bytes, [i + 1, i + 1]).items, `empty chunk after byte ${i}`).to.deep.equal(items)
    }

    const random = rng(20_261_207)
    for (let round = 0; round < 2000; round++) {
      const cuts = Array.from({length: 1 + Math.floor(random() * 12)}, () => Math.floor(random() * (bytes.length + 1)))
      // Repeat some cuts: each repeat is an empty chunk.
      for (const at of [...cuts]) if (random() < 0.5) cuts.push(at)
      cuts.sort((a, b) => a - b)
      const r = split(bytes, cuts)
      expect(r.items, `cuts ${cuts.join(',')}`).to.deep.equal(items)
      expect(r.envelope.metadata).to.deep.equal({resourceVersion: '7'})
    }
  })

  it('"items" as a value, or inside metadata, is not the list\'s items', () => {
    const text = JSON.stringify({kind: 'items', metadata: {items: [{no: 1}], labels: {items: 'x'}}, other: ['items'], items: [{yes: 1}]})
    for (const r of everyCut(text)) {
      expect(r.items).to.deep.equal([{yes: 1}])
      expect(r.envelope.metadata).to.deep.equal({items: [{no: 1}], labels: {items: 'x'}})
    }
  })

  it('hands out each item as soon as its last byte arrives, not at the end', () => {
    const s = new ListItemSplitter()
    expect(s.write(Buffer.from('{"apiVersion":"v1","items":[{"n":1'))).to.deep.equal([])
    expect(s.write(Buffer.from('},{"n":2},{"n"'))).to.deep.equal([{n: 1}, {n: 2}])
    expect(s.write(Buffer.from(':3}],"kind":"List","metadata":{"continue":"c"}}'))).to.deep.equal([{n: 3}])
    expect(s.end().metadata?.continue).to.equal('c')
  })

  it('a realistic fleet (300 Applications in 64 KiB chunks and in random cuts) gives what JSON.parse of the whole body gives', () => {
    const list = {apiVersion: 'argoproj.io/v1alpha1', items: makeFleet({count: 300, now: new Date('2026-01-02T00:00:00Z')}), kind: 'ApplicationList', metadata: {continue: '', resourceVersion: '9'}}
    const bytes = Buffer.from(JSON.stringify(list))
    const whole = JSON.parse(bytes.toString()) as typeof list
    const chunked = split(bytes, Array.from({length: Math.floor(bytes.length / 65536)}, (_, i) => (i + 1) * 65536))
    // Compared as JSON text: chai's deep equal is slow on 300 objects of ~17 KB.
    expect(chunked.items).to.have.length(300)
    expect(JSON.stringify(chunked.items)).to.equal(JSON.stringify(whole.items))
    const r = rng(7)
    const cuts = [...new Set(Array.from({length: 400}, () => Math.floor(r() * bytes.length)))].sort((a, b) => a - b)
    expect(JSON.stringify(split(bytes, cuts).items)).to.equal(JSON.stringify(whole.items))
  })

  describe('skipping ahead to the next item (items that begin alike, as kube-apiserver writes them)', () => {
    /** An item as kube-apiserver writes it: sorted keys, so apiVersion, kind and metadata first. */
    const app = (name: string, extra: Record<string, unknown> = {}) => ({apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {name, namespace: 'argocd'}, ...extra})
    const sep = '},{"apiVersion":"argoproj.io/v1alpha1","kind":"Application","metadata":{'
    const tricky = [
      app('a'),
      // The separator as string content: in JSON its quotes are escaped, so it never matches there.
      app('b', {spec: {note: sep, other: `x${sep}"y`}}),
      // …and as real objects nested in the item (an app-of-apps' valuesObject, managedFields): cut there, the item is incomplete.
      app('c', {spec: {source: {helm: {valuesObject: {apps: [app('inner-1'), app('inner-2', {spec: {}}), app('inner-3')]}}}}}),
      app('d', {metadata: {name: 'd', managedFields: [{apiVersion: 'argoproj.io/v1alpha1', fieldsType: 'FieldsV1'}, {apiVersion: 'argoproj.io/v1alpha1', fieldsType: 'FieldsV1'}]}}),
      app('e', {status: {message: '\\"},{\\'}}),
      app('f'),
    ]
    const list = {apiVersion: 'argoproj.io/v1alpha1', items: tricky, kind: 'ApplicationList', metadata: {resourceVersion: '5'}}
    const text = JSON.stringify(list)

    it('gives exactly the items JSON.parse gives, however the bytes are cut, and skips the items it can', () => {
      expect(text.split(sep).length - 1, 'the separator occurs inside items too').to.be.greaterThan(tricky.length)
      for (const r of everyCut(text)) {
        expect(r.items).to.deep.equal(tricky)
        expect(r.envelope.metadata).to.deep.equal({resourceVersion: '5'})
      }

      const whole = new ListItemSplitter()
      expect([...whole.write(Buffer.from(text)), ...whole.flush()]).to.deep.equal(tricky)
      // a is scanned (it shows the shape), c after a false end inside it, f is the last (no separator follows it: held back, then scanned).
      expect(whole.skipped).to.equal(3)
    })

    it('a realistic fleet in 256 KiB chunks: most items are skipped to, and all equal JSON.parse of the body', () => {
      const fleet = {apiVersion: 'argoproj.io/v1alpha1', items: makeFleet({count: 200, now: new Date('2026-01-02T00:00:00Z')}), kind: 'ApplicationList', metadata: {resourceVersion: '9'}}
      const bytes = Buffer.from(JSON.stringify(fleet))
      const s = new ListItemSplitter()
      const items: unknown[] = []
      for (let at = 0; at < bytes.length; at += 256 * 1024) items.push(...s.write(bytes.subarray(at, at + 256 * 1024)))
      items.push(...s.flush())
      s.end()
      expect(JSON.stringify(items)).to.equal(JSON.stringify(fleet.items))
      expect(s.skipped).to.be.greaterThan(180)
    })

    it('items that do not begin alike are scanned one by one, and an invalid item is still an error', () => {
      const mixed = {apiVersion: 'v1', items: [app('a'), {metadata: {name: 'b'}, apiVersion: 'argoproj.io/v1alpha1'}, app('c'), app('d')], kind: 'List', metadata: {}}
      const s = new ListItemSplitter()
      expect([...s.write(Buffer.from(JSON.stringify(mixed))), ...s.flush()]).to.deep.equal(mixed.items)
      const bad = text.replace('"name":"d"', '"name":d')
      expect(bad).to.not.equal(text)
      for (const cut of [0, bad.indexOf('"name":d'), bad.length]) expect(() => split(bad, [cut]), `cut at ${cut}`).to.throw(ListBodyError)
    })
  })

  describe('what is not a complete List is an error, never a short list', () => {
    const full = JSON.stringify({apiVersion: 'v1', items: [{a: 'x'}, {b: 2}], kind: 'List', metadata: {resourceVersion: '3'}})

    it('a body cut short anywhere is "truncated"', () => {
      for (let at = 0; at < full.length - 1; at++) {
        const s = new ListItemSplitter()
        try {
          s.write(Buffer.from(full.slice(0, at)))
          s.end()
          expect.fail(`cut at ${at} was accepted`)
        } catch (error) {
          expect(error, `cut at ${at}`).to.be.instanceOf(ListBodyError)
          expect((error as ListBodyError).truncated, `cut at ${at}: ${(error as Error).message}`).to.equal(true)
        }
      }
    })

    for (const [label, text] of [
      ['an item that is not an object', '{"items":[{"a":1},"oops"]}'],
      ['a number item', '{"items":[1]}'],
      ['a missing comma', '{"items":[{"a":1}{"b":2}]}'],
      ['a doubled comma', '{"items":[{"a":1},,{"b":2}]}'],
      ['a trailing comma', '{"items":[{"a":1},]}'],
      ['a leading comma', '{"items":[,{"a":1}]}'],
      ['an invalid item', '{"items":[{"a":tru}]}'],
      ['an item with an unbalanced bracket', '{"items":[{"a":]}]}'],
      ['items that are not an array', '{"items":{"a":1}}'],
      ['items twice', '{"items":[],"items":[{"a":1}]}'],
      ['garbage after the list', '{"items":[]} x'],
      ['a second document', '{"items":[]}{"items":[]}'],
      ['an array instead of a list', '[{"a":1}]'],
      ['not JSON', '<html>502 Bad Gateway</html>'],
      ['an invalid envelope', '{"items":[],"kind":}'],
    ]) {
      it(label, () => {
        expect(() => split(text)).to.throw(ListBodyError)
      })
    }
  })
})

describe('coalesce: the streamed LIST\'s small chunks joined before they are inflated', () => {
  it('passes chunks on once enough bytes gathered, a slow trickle after the delay, and the rest at the end, in order', async () => {
    const {coalesce} = await import('../../../src/lib/cluster/kube.js')
    const stream = coalesce(10, 30)
    const out: string[] = []
    stream.on('data', (b: Buffer) => out.push(b.toString()))
    stream.write(Buffer.from('abcd'))
    stream.write(Buffer.from('efgh'))
    expect(out).to.deep.equal([])
    stream.write(Buffer.from('ij'))
    expect(out).to.deep.equal(['abcdefghij'])
    stream.write(Buffer.from('k'))
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(out, 'released by the timer, not held until more comes').to.deep.equal(['abcdefghij', 'k'])
    stream.write(Buffer.from('lm'))
    await new Promise((resolve) => stream.end(resolve))
    expect(out.join('')).to.equal('abcdefghijklm')
    expect(out.at(-1)).to.equal('lm')
  })
})
