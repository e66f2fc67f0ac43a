import {execFileSync} from 'node:child_process'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'
import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {ListItemSplitter} from '../../../src/lib/cluster/list-items.js'
import {explainFleet, fleetJson} from '../../../src/lib/explain.js'
import {makeFleet} from '../../support/fleet.js'

const NOW = new Date('2026-01-02T00:12:00Z')

/** A List response as kube-apiserver writes it, in chunks of `size` bytes. */
function listChunks(count: number, size: number): {apps: Application[]; chunks: Buffer[]} {
  const apps = makeFleet({count, now: NOW})
  const bytes = Buffer.from(JSON.stringify({apiVersion: 'argoproj.io/v1alpha1', items: apps, kind: 'ApplicationList', metadata: {resourceVersion: '9'}}))
  const chunks: Buffer[] = []
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size))
  return {apps, chunks}
}

describe('a fleet scan holds one Application at a time (the streamed LIST as kube.ts reads it, then explainFleet)', () => {
  it('parses an item only when it is asked for: one parsed item at a time, not a chunk\'s worth', () => {
    const {apps, chunks} = listChunks(12, 1 << 30)
    expect(chunks).to.have.length(1)
    const splitter = new ListItemSplitter()
    const parse = JSON.parse
    let parsed = 0
    JSON.parse = ((text: string) => {
      parsed++
      return parse(text) as unknown
    }) as typeof JSON.parse
    const seen: number[] = []
    try {
      // (flush() starts when it is iterated, after the chunk's items.)
      for (const part of [splitter.items(chunks[0]), splitter.flush()]) {
        for (const one of part) {
          seen.push(parsed)
          expect((one as Application).metadata.name).to.equal(apps[seen.length - 1].metadata.name)
        }
      }
    } finally {
      JSON.parse = parse
    }

    // Item k was handed out when k items had been parsed: none of the ones after it yet.
    expect(seen).to.deep.equal(apps.map((_, i) => i + 1))
    expect(splitter.end().metadata?.resourceVersion).to.equal('9')
  })

  it('keeps none of the objects: each listed app is collectable once the next one is asked for, and the results are those of the whole list', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const {apps, chunks} = listChunks(60, 256 * 1024)
    const yielded: Array<WeakRef<object>> = []
    let mostAlive = 0
    async function * streamed(): AsyncGenerator<Application> {
      const splitter = new ListItemSplitter()
      for (const chunk of [...chunks, undefined]) {
        for (const item of chunk ? splitter.items(chunk) : splitter.flush()) {
          // explainFleet asks for the next app: every one before the last is diagnosed and should be garbage now.
          await new Promise((resolve) => setImmediate(resolve))
          gc()
          mostAlive = Math.max(mostAlive, yielded.slice(0, -1).filter((w) => w.deref() !== undefined).length)
          yielded.push(new WeakRef(item as object))
          yield item as Application
        }
      }

      splitter.end()
    }

    const report = await explainFleet(streamed(), NOW, {bin: 'argo-doctor'}, [], {byKey: true})
    expect(yielded).to.have.length(apps.length)
    // A suspended generator's register may keep one earlier object for a while (bounded: it goes when overwritten).
    expect(mostAlive, 'listed objects (but the last) still reachable when the next one was asked for').to.be.at.most(1)
    expect(fleetJson(report)).to.deep.equal(fleetJson(await explainFleet(apps, NOW, {bin: 'argo-doctor'}, [], {byKey: true})))
  })

  it('V8\'s young generation stops growing during a scan instead of reaching its 32 MB maximum (a child process: 3,000 apps)', () => {
    const [total, newSpace] = execFileSync(process.execPath, ['--import', 'tsx', 'test/support/fleet-young-gen.ts'], {encoding: 'utf8'}).trim().split(' ').map(Number)
    expect(total).to.equal(3000)
    expect(newSpace).to.be.at.most(16 * 1024 * 1024)
  })
})
