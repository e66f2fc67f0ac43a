import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {evaluateSyncWindows, globMatch, matchingWindows, nextStart, parseCron, parseGoDuration, windowActive, type SyncWindow} from '../../../src/lib/sync-windows.js'

const app = (name = 'db-init-prod', namespace = 'wealist-prod', server = 'https://kubernetes.default.svc', clusterName?: string): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: {name, namespace: 'argocd'},
  spec: {destination: {server, namespace, ...(clusterName ? {name: clusterName} : {})}},
})
const at = (iso: string) => new Date(iso)

describe('sync windows', () => {
  describe('globMatch (gobwas/glob, no separators)', () => {
    it('matches *, ?, classes, alternatives and escapes', () => {
      expect(globMatch('*', 'anything')).to.equal(true)
      expect(globMatch('*-prod', 'db-init-prod')).to.equal(true)
      expect(globMatch('*-prod', 'db-init-dev')).to.equal(false)
      expect(globMatch('db-?nit-prod', 'db-init-prod')).to.equal(true)
      expect(globMatch('[a-c]*', 'billing')).to.equal(true)
      expect(globMatch('[!a-c]*', 'billing')).to.equal(false)
      expect(globMatch('{auth,db-init}-prod', 'db-init-prod')).to.equal(true)
      expect(globMatch('https://*.svc', 'https://kubernetes.default.svc')).to.equal(true)
      expect(globMatch('a.b', 'axb')).to.equal(false)
      expect(globMatch('\\*', '*')).to.equal(true)
      expect(globMatch('[unclosed', '[unclosed')).to.equal(false)
    })
  })

  describe('matchingWindows (Argo CD SyncWindows.Matches)', () => {
    it('OR: any of applications, clusters, namespaces', () => {
      const windows: SyncWindow[] = [
        {kind: 'deny', applications: ['other']},
        {kind: 'deny', namespaces: ['wealist-*']},
        {kind: 'deny', clusters: ['in-cluster'], applications: ['nope']},
        {kind: 'deny', clusters: ['https://kubernetes.default.svc']},
      ]
      expect(matchingWindows(windows, app()).map((w) => windows.indexOf(w))).to.deep.equal([1, 3])
      expect(matchingWindows(windows, app('x', 'y', 'https://other', 'in-cluster')).map((w) => windows.indexOf(w))).to.deep.equal([2])
    })

    it('AND: every set attribute must match', () => {
      const w: SyncWindow = {kind: 'deny', applications: ['*-prod'], namespaces: ['payments'], andOperator: true}
      expect(matchingWindows([w], app())).to.deep.equal([])
      expect(matchingWindows([w], app('db-init-prod', 'payments'))).to.deep.equal([w])
    })
  })

  describe('cron and durations', () => {
    it('parses robfig 5-field specs and rejects broken ones', () => {
      expect(() => parseCron('0 22 * * MON-FRI')).to.not.throw()
      expect(() => parseCron('*/15 1-5 1,15 jan-jun ?')).to.not.throw()
      expect(() => parseCron('0 22 * *')).to.throw(/5 fields/)
      expect(() => parseCron('61 * * * *')).to.throw(/out of range/)
      expect(() => parseCron('@daily')).to.throw()
      expect(() => parseCron('0 0 * * 7')).to.throw(/out of range/)
    })

    it('parses Go durations', () => {
      expect(parseGoDuration('1h')).to.equal(3_600_000)
      expect(parseGoDuration('1h30m')).to.equal(5_400_000)
      expect(parseGoDuration('1.5h')).to.equal(5_400_000)
      expect(parseGoDuration('90s')).to.equal(90_000)
      expect(() => parseGoDuration('1d')).to.throw(/Go duration/)
      expect(() => parseGoDuration('')).to.throw()
    })

    it('a window is open from its start (exclusive, like schedule.Next) until start+duration', () => {
      const w: SyncWindow = {kind: 'deny', schedule: '0 22 * * *', duration: '1h'}
      expect(windowActive(w, at('2025-12-31T21:59:00Z'))).to.equal(false)
      expect(windowActive(w, at('2025-12-31T22:00:00Z'))).to.equal(false)
      expect(windowActive(w, at('2025-12-31T22:00:30Z'))).to.equal(true)
      expect(windowActive(w, at('2025-12-31T22:59:59Z'))).to.equal(true)
      expect(windowActive(w, at('2025-12-31T23:00:01Z'))).to.equal(false)
    })

    it('day-of-month and day-of-week are OR-ed unless one is *', () => {
      // 2025-12-31 is a Wednesday.
      expect(windowActive({schedule: '0 10 1 * 3', duration: '1h'}, at('2025-12-31T10:30:00Z'))).to.equal(true)
      expect(windowActive({schedule: '0 10 * * 1', duration: '1h'}, at('2025-12-31T10:30:00Z'))).to.equal(false)
      expect(windowActive({schedule: '0 10 31 * *', duration: '1h'}, at('2025-12-31T10:30:00Z'))).to.equal(true)
    })

    it('honours the window time zone', () => {
      // 22:00 in Seoul (UTC+9) is 13:00 UTC.
      const w: SyncWindow = {schedule: '0 22 * * *', duration: '1h', timeZone: 'Asia/Seoul'}
      expect(windowActive(w, at('2025-12-31T13:30:00Z'))).to.equal(true)
      expect(windowActive(w, at('2025-12-31T22:30:00Z'))).to.equal(false)
      expect(nextStart(w, at('2025-12-31T14:30:00Z'))?.toISOString()).to.equal('2026-01-01T13:00:00.000Z')
    })
  })

  describe('evaluateSyncWindows (CanSync for a manual sync)', () => {
    const now = at('2025-12-31T06:00:00Z')
    it('no windows or none matching: allowed', () => {
      expect(evaluateSyncWindows(undefined, app(), now).canSync).to.equal(true)
      expect(evaluateSyncWindows([{kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['other']}], app(), now)).to.deep.equal({canSync: true, matching: []})
    })

    it('an active deny window blocks unless all active deny windows allow manual syncs', () => {
      const deny: SyncWindow = {kind: 'deny', schedule: '0 0 * * *', duration: '24h', applications: ['*']}
      expect(evaluateSyncWindows([deny], app(), now).canSync).to.equal(false)
      expect(evaluateSyncWindows([{...deny, manualSync: true}], app(), now).canSync).to.equal(true)
      expect(evaluateSyncWindows([{...deny, manualSync: true}, deny], app(), now).canSync).to.equal(false)
    })

    it('deny beats an active allow window', () => {
      const windows: SyncWindow[] = [
        {kind: 'allow', schedule: '0 0 * * *', duration: '24h', applications: ['*']},
        {kind: 'deny', schedule: '0 5 * * *', duration: '2h', namespaces: ['wealist-prod']},
      ]
      expect(evaluateSyncWindows(windows, app(), now).canSync).to.equal(false)
    })

    it('only inactive allow windows: blocked, and says when the next one opens', () => {
      const allow: SyncWindow = {kind: 'allow', schedule: '0 22 * * 1-5', duration: '2h', applications: ['*-prod']}
      const v = evaluateSyncWindows([allow], app(), now)
      expect(v.canSync).to.equal(false)
      expect(v.reason).to.match(/only allowed inside allow windows and none is open now/)
      expect(v.nextOpen?.toISOString()).to.equal('2025-12-31T22:00:00.000Z')
      expect(evaluateSyncWindows([{...allow, manualSync: true}], app(), now).canSync).to.equal(true)
    })

    it('an open allow window allows', () => {
      expect(evaluateSyncWindows([{kind: 'allow', schedule: '0 5 * * *', duration: '2h', applications: ['*']}], app(), now).canSync).to.equal(true)
    })

    it('an unparsable window blocks every sync (Argo CD treats the error as blocked)', () => {
      const v = evaluateSyncWindows([{kind: 'allow', schedule: 'every night', duration: '1h', applications: ['*']}], app(), now)
      expect(v.canSync).to.equal(false)
      expect(v.reason).to.match(/cannot be parsed/)
    })
  })
})
