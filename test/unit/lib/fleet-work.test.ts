import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {pruneConfirmation} from '../../../src/lib/deletion.js'
import {diagnose, matchContext} from '../../../src/lib/diagnose/index.js'
import {pruneAwaitingConfirmation} from '../../../src/lib/diagnose/signatures/lifecycle.js'
import {explainFleet, fleetJson} from '../../../src/lib/explain.js'
import {appLine} from '../../../src/lib/render/findings.js'
import {makeFleet} from '../../support/fleet.js'

const NOW = new Date('2026-01-02T00:12:00Z')
const STYLE = {bin: 'argo-doctor'}

/** How many timestamps `fn` parses (every age diagnosis and the app line measure goes through Date.parse). */
async function dateParses(fn: () => unknown): Promise<number> {
  const parse = Date.parse
  let n = 0
  Date.parse = (text: string) => {
    n++
    return parse(text)
  }

  try {
    await fn()
  } finally {
    Date.parse = parse
  }

  return n
}

/** A copy of `app` whose status.resources counts the entries read from it. */
function countingResources(app: Application): {app: Application; reads: () => number} {
  let reads = 0
  const resources = new Proxy(app.status!.resources!, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++
      return Reflect.get(target, key, receiver) as unknown
    },
  })
  return {app: {...app, status: {...app.status, resources}}, reads: () => reads}
}

describe('a fleet scan does each app\'s work once (explain -A: CPU per app)', () => {
  const fleet = makeFleet({count: 120, now: NOW})
  const opts = {style: STYLE, fleet: true}
  const green = fleet.find((a) => diagnose(a, undefined, NOW, opts).length === 0)!
  const troubled = fleet.find((a) => diagnose(a, undefined, NOW, opts).length > 0)!

  it('an app with no findings: nothing beyond diagnosis (its non-green facts are not enumerated again, its line is not built)', async () => {
    const alone = await dateParses(() => diagnose(green, undefined, NOW, opts))
    const scanned = await dateParses(async () => explainFleet([green], NOW, STYLE))
    const report = await explainFleet([green], NOW, STYLE)
    expect(alone).to.be.greaterThan(0)
    expect(scanned).to.equal(alone)
    expect(Object.keys(report.entries[0]).sort()).to.deep.equal(['findings', 'name', 'namespace'])
  })

  it('an app with findings: diagnosis and its line, nothing more', async () => {
    const alone = await dateParses(() => diagnose(troubled, undefined, NOW, opts)) + await dateParses(() => appLine(troubled, NOW))
    const scanned = await dateParses(async () => explainFleet([troubled], NOW, STYLE))
    expect(scanned).to.equal(alone)
    const [entry] = (await explainFleet([troubled], NOW, STYLE)).entries
    expect(entry).to.deep.include({...appLine(troubled, NOW), findings: diagnose(troubled, undefined, NOW, opts)})
  })

  it('the JSON is what it was: every app listed, by name, with its findings', async () => {
    const json = fleetJson(await explainFleet(fleet, NOW, STYLE, [], {byKey: true}))
    expect(json.apps).to.have.length(fleet.length)
    for (const app of json.apps) {
      const listed = fleet.find((a) => a.metadata.name === app.name)!
      expect(app).to.deep.equal({name: listed.metadata.name, namespace: listed.metadata.namespace, findings: diagnose(listed, undefined, NOW, opts)})
    }
  })

  it('pruneConfirmation does not look through the resources of an app whose sync is not running', () => {
    expect(green.status?.operationState?.phase).to.not.equal('Running')
    const {app, reads} = countingResources(green)
    expect(app.status!.resources!.length).to.be.greaterThan(3)
    const facts = pruneConfirmation(app, NOW)
    expect(reads()).to.equal(0)
    expect(facts).to.deep.equal(pruneConfirmation(green, NOW))
    expect(facts).to.include({mode: undefined, orphanedRun: false})
    expect(facts.pending).to.deep.equal([])
  })

  it('the prune-awaiting-confirmation matcher asks nothing of an app whose sync is not running (not even its approval annotation)', async () => {
    const approved = {...green, metadata: {...green.metadata, annotations: {...green.metadata.annotations, 'argocd.argoproj.io/deletion-approved': '2026-01-01T00:00:00Z'}}}
    expect(await dateParses(() => pruneConfirmation(approved, NOW))).to.be.greaterThan(0)
    const ctx = matchContext(approved, {notes: []}, NOW, opts)
    let found: unknown = 'not run'
    expect(await dateParses(() => {
      found = pruneAwaitingConfirmation.match(ctx)
    })).to.equal(0)
    expect(found).to.equal(undefined)
  })
})
