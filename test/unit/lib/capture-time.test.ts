import {expect} from 'chai'
import {inferCaptureTime, offlineClock, parseAsOf} from '../../../src/lib/capture-time.js'
import {DoctorError} from '../../../src/lib/errors.js'

/** The clock for -f files: the newest timestamp the objects carry, not the file's mtime (issue: files copied from tickets or git). */
describe('capture time of an offline file', () => {
  const app = (name: string, status: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {name, namespace: 'argocd', ...meta}, status})

  it('takes the newest of reconciledAt, operationState, conditions, history and managedFields across all objects', () => {
    const objects = [
      app('a', {reconciledAt: '2026-01-02T00:10:00Z', operationState: {startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z'}}),
      app('b', {reconciledAt: '2026-01-02T00:09:00Z', history: [{deployedAt: '2026-01-02T00:11:00Z'}], conditions: [{type: 'X', lastTransitionTime: '2026-01-02T00:05:00Z'}]}),
      {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'c', namespace: 'n', managedFields: [{manager: 'kubectl', time: '2026-01-02T00:11:30Z'}]}},
    ]
    const s = inferCaptureTime(objects)!
    expect(s.at.toISOString()).to.equal('2026-01-02T00:11:30.000Z')
    expect(s.field).to.equal('metadata.managedFields[0].time of ConfigMap n/c')
    expect(inferCaptureTime(objects.slice(0, 2))!.field).to.equal('status.history[0].deployedAt of Application argocd/b')
  })

  it('ignores creationTimestamp-only objects and bad timestamps; nothing found is undefined', () => {
    expect(inferCaptureTime([app('a', {reconciledAt: 'yesterday'}, {creationTimestamp: '2026-01-01T00:00:00Z'})])).to.equal(undefined)
  })

  it('--as-of wins, then ARGO_DOCTOR_NOW, then the inferred time, then the current time with a note', () => {
    const objects = [app('a', {reconciledAt: '2026-01-02T00:10:00Z'})]
    const current = new Date('2030-01-01T00:00:00Z')
    expect(offlineClock(objects, {asOf: '2026-01-02T01:00:00+01:00', pinned: new Date('2026-05-05T00:00:00Z'), current}).now.toISOString()).to.equal('2026-01-02T00:00:00.000Z')
    expect(offlineClock(objects, {pinned: new Date('2026-05-05T00:00:00Z'), current}).source).to.equal('ARGO_DOCTOR_NOW')
    const inferred = offlineClock(objects, {current})
    expect(inferred.now.toISOString()).to.equal('2026-01-02T00:10:00.000Z')
    expect(inferred.source).to.include('status.reconciledAt of Application argocd/a')
    const none = offlineClock([app('a', {})], {current})
    expect(none.now).to.equal(current)
    expect(none.source).to.include('pass --as-of')
  })

  it('--as-of must be RFC 3339', () => {
    expect(() => parseAsOf('2026-01-02')).to.throw(DoctorError, /not an RFC 3339 timestamp/)
    expect(() => parseAsOf('tomorrow')).to.throw(DoctorError)
    expect(parseAsOf('2026-01-02T00:12:00.5Z').toISOString()).to.equal('2026-01-02T00:12:00.500Z')
  })
})
