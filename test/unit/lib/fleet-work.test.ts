import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {pruneConfirmation} from '../../../src/lib/deletion.js'
import {diagnose} from '../../../src/lib/diagnose/index.js'
import {makeFleet} from '../../support/fleet.js'

const NOW = new Date('2026-01-02T00:12:00Z')

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
  const opts = {style: {bin: 'argo-doctor'}, fleet: true}
  const green = fleet.find((a) => diagnose(a, undefined, NOW, opts).length === 0)!

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
})
