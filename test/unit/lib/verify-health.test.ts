import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {healthSettled} from '../../../src/lib/verify.js'

/** After a sync that waits for health (rollback, retry-sync): which reconcile's health is the answer. */
describe('healthSettled: the health a sync we started is judged by', () => {
  const app = (health: string, reconciledAt: string, lastTransitionTime?: string): Application => ({
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {name: 'shop', namespace: 'argocd'}, spec: {} as Application['spec'],
    status: {
      reconciledAt,
      health: {status: health, ...(lastTransitionTime ? {lastTransitionTime} : {})},
      operationState: {phase: 'Succeeded', message: 'successfully synced', startedAt: '2026-12-07T09:00:00Z', finishedAt: '2026-12-07T09:00:05Z'},
    },
  } as unknown as Application)

  it('Healthy from a reconcile in the same second as the end of the sync, or later', () => {
    expect(healthSettled(app('Healthy', '2026-12-07T09:00:05Z'))).to.equal(true)
    expect(healthSettled(app('Healthy', '2026-12-07T09:00:09Z', '2026-12-07T08:00:00Z'))).to.equal(true)
    expect(healthSettled(app('Healthy', '2026-12-07T09:00:04Z'))).to.equal(false)
  })

  it('Progressing is never the answer', () => {
    expect(healthSettled(app('Progressing', '2026-12-07T09:00:30Z', '2026-12-07T09:00:03Z'))).to.equal(false)
  })

  it('Degraded reached during or after the sync, from a later reconcile, is the answer', () => {
    expect(healthSettled(app('Degraded', '2026-12-07T09:00:30Z', '2026-12-07T09:00:20Z'))).to.equal(true)
    expect(healthSettled(app('Degraded', '2026-12-07T09:00:05Z', '2026-12-07T09:00:05Z')), 'same second as the end: maybe before the cache saw the sync').to.equal(false)
  })

  it('Degraded unchanged since before the sync (a lagging cache, or a resource the sync did not touch) keeps the wait going', () => {
    expect(healthSettled(app('Degraded', '2026-12-07T09:00:07Z', '2026-12-07T08:55:00Z'))).to.equal(false)
    expect(healthSettled(app('Missing', '2026-12-07T09:00:07Z', '2026-12-07T08:55:00Z'))).to.equal(false)
  })

  it('without lastTransitionTime (a controller that does not record it), a later reconcile decides', () => {
    expect(healthSettled(app('Degraded', '2026-12-07T09:00:07Z'))).to.equal(true)
  })
})
