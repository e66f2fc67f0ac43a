/**
 * The fake kube-apiserver (test/support/fake-apiserver.ts) over real HTTP, and
 * two oracles that keep it honest:
 *  - `kubectl patch --local` (the evanphx/json-patch v4 the server uses) for
 *    every patch in a table, run against a realistic stuck Application;
 *  - a real kube-apiserver v1.34 (test/e2e/fake-vs-real.e2e.test.ts, in the
 *    e2e tier): the same requests go to both and status codes, Status
 *    bodies, warnings and resulting objects must match.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import * as k8s from '@kubernetes/client-node'
import {expect} from 'chai'
import {execa} from 'execa'

import {type FakeApiServer, startFakeApiServer} from '../support/fake-apiserver.js'
import {collectWatch, rawRequest} from '../support/kube-raw-client.js'
import {APP, APP_NAME, APPS, deletePath, ep, GROUP, JSON_PATCH, MERGE_PATCH, PATCH_CASES, stuckApp, VERSION} from '../support/patch-cases.js'


function strip(o: any): any {
  const c = JSON.parse(JSON.stringify(o))
  if (c?.metadata) {
    delete c.metadata.resourceVersion
    delete c.metadata.generation
    delete c.metadata.managedFields
  }
  return c
}

function names(list: any): string[] {
  return list.items.map((i: any) => i.metadata.name)
}

describe('fake kube-apiserver', function () {
  let s: FakeApiServer
  let dir: string

  beforeEach(async function () {
    s = await startFakeApiServer()
    dir = mkdtempSync(join(tmpdir(), 'fake-apiserver-'))
    s.put(stuckApp())
  })

  afterEach(async function () {
    await s.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  describe('auth', function () {
    it('answers 401 Unauthorized for an unknown token, on every path', async function () {
      for (const path of [APP, APPS, '/version', '/api/v1/namespaces/argocd/secrets']) {
        const r = await rawRequest(ep(s, 'nope'), 'GET', path)
        expect(r.status, path).to.equal(401)
        expect(r.json).to.deep.equal({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401})
      }
    })

    it('lets the readonly user read but answers 403 with the RBAC message on writes', async function () {
      const ro = ep(s, 'readonly-token')
      expect((await rawRequest(ro, 'GET', APP)).status).to.equal(200)
      expect((await rawRequest(ro, 'GET', APPS)).status).to.equal(200)
      const r = await rawRequest(ro, 'PATCH', APP, {contentType: MERGE_PATCH, body: {}})
      expect(r.status).to.equal(403)
      expect(r.json).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'applications.argoproj.io "wealist-apps-prod" is forbidden: User "readonly" cannot patch resource "applications" in API group "argoproj.io" in the namespace "argocd"',
        reason: 'Forbidden',
        details: {name: 'wealist-apps-prod', group: 'argoproj.io', kind: 'applications'},
        code: 403,
      })
      const d = await rawRequest(ro, 'DELETE', '/api/v1/namespaces/argocd/secrets/x')
      expect(d.json.message).to.equal('secrets "x" is forbidden: User "readonly" cannot delete resource "secrets" in API group "" in the namespace "argocd"')
      expect(d.json.details).to.deep.equal({name: 'x', kind: 'secrets'})
    })

    it('treats a request without a token as system:anonymous (403), like a default kube-apiserver', async function () {
      const r = await rawRequest(ep(s, null), 'GET', APPS)
      expect(r.status).to.equal(403)
      expect(r.json.message).to.equal(
        'applications.argoproj.io is forbidden: User "system:anonymous" cannot list resource "applications" in API group "argoproj.io" in the namespace "argocd"',
      )
      expect(r.json.details).to.deep.equal({group: 'argoproj.io', kind: 'applications'})
      expect((await rawRequest(ep(s, null), 'GET', '/version')).status).to.equal(200)
    })

    it('serves /version', async function () {
      const r = await rawRequest(ep(s), 'GET', '/version')
      expect(r.json).to.include({major: '1', minor: '32', gitVersion: 'v1.32.0-fake'})
    })
  })

  describe('get', function () {
    it('returns the stored object with server-assigned metadata', async function () {
      const r = await rawRequest(ep(s), 'GET', APP)
      expect(r.status).to.equal(200)
      expect(r.headers['content-type']).to.equal('application/json')
      expect(r.json.apiVersion).to.equal('argoproj.io/v1alpha1')
      expect(r.json.kind).to.equal('Application')
      expect(r.json.metadata).to.include({name: APP_NAME, namespace: 'argocd', generation: 1, resourceVersion: s.resourceVersion})
      expect(r.json.metadata.uid).to.match(/^[0-9a-f-]{36}$/)
      expect(r.json.metadata.creationTimestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      expect(r.json.status.operationState.phase).to.equal('Running')
    })

    it('answers 404 with the real NotFound Status (custom and core resources)', async function () {
      const a = await rawRequest(ep(s), 'GET', `${APPS}/foo`)
      expect(a.status).to.equal(404)
      expect(a.json).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'applications.argoproj.io "foo" not found',
        reason: 'NotFound',
        details: {name: 'foo', group: 'argoproj.io', kind: 'applications'},
        code: 404,
      })
      const sec = await rawRequest(ep(s), 'GET', '/api/v1/namespaces/argocd/secrets/foo')
      expect(sec.json).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'secrets "foo" not found',
        reason: 'NotFound',
        details: {name: 'foo', kind: 'secrets'},
        code: 404,
      })
    })

    it('answers unknown resources with a plain-text 404 and the absent /status subresource with NotFound', async function () {
      const r = await rawRequest(ep(s), 'GET', '/apis/argoproj.io/v1alpha1/namespaces/argocd/foos')
      expect(r.status).to.equal(404)
      expect(r.headers['content-type']).to.equal('text/plain; charset=utf-8')
      expect(r.text).to.equal('404 page not found\n')
      const st = await rawRequest(ep(s), 'GET', `${APP}/status`)
      expect(st.status).to.equal(404)
      expect(st.json.message).to.equal('applications.argoproj.io "wealist-apps-prod" not found')
    })
  })

  describe('list', function () {
    beforeEach(function () {
      for (const [name, labels] of [
        ['app-1', {team: 'x', tier: 't1'}],
        ['app-2', {team: 'x', tier: 't2'}],
        ['app-3', {team: 'y', tier: 't3'}],
        ['app-4', {team: 'y'}],
      ] as const) {
        const app = stuckApp(name)
        app.metadata.labels = labels
        s.put(app)
      }
      const other = stuckApp('elsewhere')
      other.metadata.namespace = 'team-a'
      s.put(other)
    })

    it('lists sorted by name, items with apiVersion/kind, list resourceVersion = current', async function () {
      const r = await rawRequest(ep(s), 'GET', APPS)
      expect(r.json.kind).to.equal('ApplicationList')
      expect(r.json.apiVersion).to.equal('argoproj.io/v1alpha1')
      expect(r.json.metadata).to.deep.equal({continue: '', resourceVersion: s.resourceVersion})
      expect(names(r.json)).to.deep.equal(['app-1', 'app-2', 'app-3', 'app-4', APP_NAME])
      for (const i of r.json.items) expect(i).to.include({apiVersion: 'argoproj.io/v1alpha1', kind: 'Application'})
      const all = await rawRequest(ep(s), 'GET', '/apis/argoproj.io/v1alpha1/applications')
      expect(names(all.json)).to.deep.equal(['app-1', 'app-2', 'app-3', 'app-4', APP_NAME, 'elsewhere'])
    })

    const labelCases: Array<[string, string[]]> = [
      ['team=x', ['app-1', 'app-2']],
      ['team==x', ['app-1', 'app-2']],
      ['team!=x', ['app-3', 'app-4', APP_NAME]],
      ['tier', ['app-1', 'app-2', 'app-3']],
      ['!tier', ['app-4', APP_NAME]],
      ['tier in (t1,t3)', ['app-1', 'app-3']],
      ['tier notin (t1)', ['app-2', 'app-3', 'app-4', APP_NAME]],
      ['team=y,tier', ['app-3']],
      ['app.kubernetes.io/part-of=wealist', [APP_NAME]],
    ]
    for (const [sel, want] of labelCases) {
      it(`labelSelector ${sel}`, async function () {
        const r = await rawRequest(ep(s), 'GET', `${APPS}?labelSelector=${encodeURIComponent(sel)}`)
        expect(r.status).to.equal(200)
        expect(names(r.json)).to.deep.equal(want)
      })
    }

    it('rejects a malformed labelSelector and an unsupported field label with 400', async function () {
      const a = await rawRequest(ep(s), 'GET', `${APPS}?labelSelector=${encodeURIComponent('a b')}`)
      expect(a.status).to.equal(400)
      expect(a.json.message).to.equal("unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")
      const f = await rawRequest(ep(s), 'GET', `${APPS}?fieldSelector=${encodeURIComponent('spec.project=x')}`)
      expect(f.status).to.equal(400)
      expect(f.json).to.include({reason: 'BadRequest', message: 'field label not supported: spec.project'})
    })

    it('fieldSelector metadata.name / metadata.namespace', async function () {
      const one = await rawRequest(ep(s), 'GET', `${APPS}?fieldSelector=${encodeURIComponent('metadata.name=app-2')}`)
      expect(names(one.json)).to.deep.equal(['app-2'])
      const not = await rawRequest(ep(s), 'GET', `/apis/argoproj.io/v1alpha1/applications?fieldSelector=${encodeURIComponent('metadata.namespace=argocd,metadata.name!=app-1')}`)
      expect(names(not.json)).to.deep.equal(['app-2', 'app-3', 'app-4', APP_NAME])
    })

    it('paginates with limit/continue and remainingItemCount', async function () {
      const p1 = await rawRequest(ep(s), 'GET', `${APPS}?limit=2`)
      expect(names(p1.json)).to.deep.equal(['app-1', 'app-2'])
      expect(p1.json.metadata.remainingItemCount).to.equal(3)
      const tok = JSON.parse(Buffer.from(p1.json.metadata.continue, 'base64url').toString())
      expect(tok).to.deep.equal({v: 'meta.k8s.io/v1', rv: Number(s.resourceVersion), start: '/app-2\u0000'})
      const p2 = await rawRequest(ep(s), 'GET', `${APPS}?limit=2&continue=${encodeURIComponent(p1.json.metadata.continue)}`)
      expect(names(p2.json)).to.deep.equal(['app-3', 'app-4'])
      const p3 = await rawRequest(ep(s), 'GET', `${APPS}?limit=2&continue=${encodeURIComponent(p2.json.metadata.continue)}`)
      expect(names(p3.json)).to.deep.equal([APP_NAME])
      expect(p3.json.metadata).to.deep.equal({continue: '', resourceVersion: s.resourceVersion})
      // with a selector the server cannot count what is left
      const sel = await rawRequest(ep(s), 'GET', `${APPS}?limit=1&labelSelector=team%3Dx`)
      expect(names(sel.json)).to.deep.equal(['app-1'])
      expect(sel.json.metadata.continue).to.be.a('string').and.not.equal('')
      expect(sel.json.metadata).to.not.have.property('remainingItemCount')
      const bad = await rawRequest(ep(s), 'GET', `${APPS}?limit=2&continue=garbage`)
      expect(bad.status).to.equal(400)
    })

    it('lists core resources without per-item apiVersion/kind', async function () {
      s.put({apiVersion: 'v1', kind: 'Secret', metadata: {name: 's1', namespace: 'argocd'}, stringData: {a: 'b'}})
      const r = await rawRequest(ep(s), 'GET', '/api/v1/namespaces/argocd/secrets')
      expect(r.json.kind).to.equal('SecretList')
      expect(r.json.apiVersion).to.equal('v1')
      expect(r.json.metadata).to.deep.equal({resourceVersion: s.resourceVersion})
      expect(r.json.items[0]).to.not.have.property('kind')
      expect(r.json.items[0].data).to.deep.equal({a: 'Yg=='}) // stringData is folded into data
    })
  })

  describe('watch', function () {
    it('starts with ADDED for current objects (no resourceVersion) and then streams changes', async function () {
      const w = collectWatch(ep(s), `${APPS}?watch=true`, {
        until: (ev) => ev.length >= 2,
        onOpen: () => setTimeout(() => s.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME, (a) => (a.status.reconciledAt = '2026-01-02T00:20:00Z')), 50),
      })
      const {status, events} = await w
      expect(status).to.equal(200)
      expect(events.map((e) => e.type)).to.deep.equal(['ADDED', 'MODIFIED'])
      expect(Number(events[1].object.metadata.resourceVersion)).to.be.greaterThan(Number(events[0].object.metadata.resourceVersion))
      expect(events[1].object.status.reconciledAt).to.equal('2026-01-02T00:20:00Z')
    })

    it('replays events after a resourceVersion and sends nothing at or below it', async function () {
      const rv0 = s.resourceVersion
      s.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME, (a) => (a.metadata.annotations['argocd.argoproj.io/refresh'] = 'hard'))
      s.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME, (a) => delete a.metadata.annotations['argocd.argoproj.io/refresh'])
      const {events} = await collectWatch(ep(s), `${APPS}?watch=1&resourceVersion=${rv0}`, {until: (ev) => ev.length >= 2})
      expect(events.map((e) => e.type)).to.deep.equal(['MODIFIED', 'MODIFIED'])
      expect(events[0].object.metadata.annotations['argocd.argoproj.io/refresh']).to.equal('hard')
      expect(events[1].object.metadata.annotations).to.not.have.property('argocd.argoproj.io/refresh')
      const none = await collectWatch(ep(s), `${APPS}?watch=1&resourceVersion=${s.resourceVersion}`, {timeoutMs: 300})
      expect(none.events).to.deep.equal([])
    })

    it('honours fieldSelector and turns label-selector transitions into ADDED/DELETED', async function () {
      s.put({...stuckApp('other'), metadata: {...stuckApp('other').metadata, labels: {team: 'x'}}})
      const byName = await collectWatch(ep(s), `${APPS}?watch=1&fieldSelector=${encodeURIComponent('metadata.name=other')}`, {timeoutMs: 300})
      expect(byName.events.map((e) => [e.type, e.object.metadata.name])).to.deep.equal([['ADDED', 'other']])
      const rv = s.resourceVersion
      s.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', 'other', (a) => (a.metadata.labels.team = 'y'))
      s.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', 'other', (a) => (a.metadata.labels.team = 'x'))
      const sel = await collectWatch(ep(s), `${APPS}?watch=1&labelSelector=team%3Dx&resourceVersion=${rv}`, {until: (ev) => ev.length >= 2})
      expect(sel.events.map((e) => e.type)).to.deep.equal(['DELETED', 'ADDED'])
    })

    it('ends the stream after timeoutSeconds', async function () {
      const t0 = Date.now()
      const r = await collectWatch(ep(s), `${APPS}?watch=1&timeoutSeconds=1&resourceVersion=${s.resourceVersion}`, {timeoutMs: 4000})
      expect(r.ended).to.equal(true)
      expect(Date.now() - t0).to.be.within(900, 2500)
    })

    it('answers a compacted resourceVersion with an ERROR event (410 Expired)', async function () {
      const old = s.resourceVersion
      s.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME, (a) => (a.status.reconciledAt = '2026-01-02T00:30:00Z'))
      s.compact()
      const r = await collectWatch(ep(s), `${APPS}?watch=1&resourceVersion=${old}`, {timeoutMs: 1000})
      expect(r.status).to.equal(200)
      expect(r.events).to.have.length(1)
      expect(r.events[0].type).to.equal('ERROR')
      expect(r.events[0].object).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${old} (${s.resourceVersion})`,
        reason: 'Expired',
        code: 410,
      })
    })

    it('emits MODIFIED for a real patch but nothing for a dry run', async function () {
      const rv = s.resourceVersion
      await rawRequest(ep(s), 'PATCH', `${APP}?dryRun=All`, {contentType: MERGE_PATCH, body: {metadata: {annotations: {a: 'dry'}}}})
      await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {metadata: {annotations: {a: 'wet'}}}})
      const {events} = await collectWatch(ep(s), `${APPS}?watch=1&resourceVersion=${rv}`, {timeoutMs: 300})
      expect(events.map((e) => [e.type, e.object.metadata.annotations.a])).to.deep.equal([['MODIFIED', 'wet']])
    })

    it('stop() ends open watches', async function () {
      const w = collectWatch(ep(s), `${APPS}?watch=1`, {timeoutMs: 3000})
      await new Promise((r) => setTimeout(r, 100))
      expect(s.openWatches).to.equal(1)
      await s.stop()
      const r = await w
      expect(r.ended).to.equal(true)
      s = await startFakeApiServer() // for afterEach
    })
  })

  describe('patch', function () {
    it('applies a guarded JSON patch: resourceVersion and generation bump, stored, MODIFIED', async function () {
      const before = s.get('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME)
      const r = await rawRequest(ep(s), 'PATCH', `${APP}?fieldManager=argo-doctor`, {
        contentType: JSON_PATCH,
        body: [
          {op: 'test', path: '/metadata/resourceVersion', value: before.metadata.resourceVersion},
          {op: 'test', path: '/status/operationState/phase', value: 'Running'},
          {op: 'remove', path: '/operation'},
          {op: 'remove', path: '/status/operationState'},
        ],
      })
      expect(r.status).to.equal(200)
      expect(r.json).to.not.have.property('operation')
      expect(r.json.status).to.not.have.property('operationState')
      expect(Number(r.json.metadata.resourceVersion)).to.equal(Number(before.metadata.resourceVersion) + 1)
      // no status subresource: a status change is a non-metadata change, so generation moves too
      expect(r.json.metadata.generation).to.equal(2)
      expect(r.json.metadata.managedFields.map((m: any) => m.manager)).to.include('argo-doctor')
      expect(strip(s.get('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME))).to.deep.equal(strip(r.json))
    })

    it('dryRun=All returns the result but stores nothing and keeps resourceVersion', async function () {
      const before = s.get('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME)
      const r = await rawRequest(ep(s), 'PATCH', `${APP}?dryRun=All`, {contentType: JSON_PATCH, body: [{op: 'remove', path: '/operation'}]})
      expect(r.status).to.equal(200)
      expect(r.json).to.not.have.property('operation')
      expect(r.json.metadata.resourceVersion).to.equal(before.metadata.resourceVersion)
      expect(r.json.metadata.generation).to.equal(2) // what it would become
      expect(s.get('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME)).to.deep.equal(before)
      expect(s.resourceVersion).to.equal(before.metadata.resourceVersion)
      expect(s.requests.at(-1)).to.include({method: 'PATCH', path: APP, contentType: JSON_PATCH})
      expect(s.requests.at(-1)!.query).to.deep.equal({dryRun: 'All'})
      expect(s.requests.at(-1)!.body).to.deep.equal([{op: 'remove', path: '/operation'}])
    })

    it('answers a failed JSON-patch test op with the generic 422 (the evanphx message only in a fake-only header)', async function () {
      const r = await rawRequest(ep(s), 'PATCH', APP, {contentType: JSON_PATCH, body: [{op: 'test', path: '/metadata/resourceVersion', value: '1'}]})
      expect(r.status).to.equal(422)
      expect(r.json).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server rejected our request due to an error in our request',
        reason: 'Invalid',
        details: {},
        code: 422,
      })
      expect(r.headers['x-fake-apiserver-detail']).to.equal('testing value /metadata/resourceVersion failed: test failed')
      const rm = await rawRequest(ep(s), 'PATCH', APP, {
        contentType: JSON_PATCH,
        body: [{op: 'remove', path: '/operation'}, {op: 'remove', path: '/operation'}],
      })
      expect(rm.status).to.equal(422)
      expect(s.lastPatchError).to.equal("error in remove for path: '/operation': Unable to remove nonexistent key: operation: missing value")
    })

    it('silently prunes a null written to a non-nullable CRD field (it does not reject it)', async function () {
      const r = await rawRequest(ep(s), 'PATCH', APP, {contentType: JSON_PATCH, body: [{op: 'add', path: '/status/operationState', value: null}]})
      expect(r.status).to.equal(200)
      expect(r.json.status).to.not.have.property('operationState')
    })

    it('answers a stale resourceVersion with 409 Conflict', async function () {
      const r = await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {metadata: {resourceVersion: '1'}, status: {operationState: {phase: 'Terminating'}}}})
      expect(r.status).to.equal(409)
      expect(r.json).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'Operation cannot be fulfilled on applications.argoproj.io "wealist-apps-prod": the object has been modified; please apply your changes to the latest version and try again',
        reason: 'Conflict',
        details: {name: 'wealist-apps-prod', group: 'argoproj.io', kind: 'applications'},
        code: 409,
      })
    })

    it('answers a strategic merge patch on a custom resource with 415', async function () {
      const r = await rawRequest(ep(s), 'PATCH', APP, {contentType: 'application/strategic-merge-patch+json', body: {}})
      expect(r.status).to.equal(415)
      expect(r.json).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
        reason: 'UnsupportedMediaType',
        code: 415,
      })
    })

    it('rejects renaming (400), moving namespace (400) and changing uid (422)', async function () {
      const name = await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {metadata: {name: 'other'}}})
      expect(name.status).to.equal(400)
      expect(name.json).to.include({reason: 'BadRequest', message: 'the name of the object (other) does not match the name on the URL (wealist-apps-prod)'})
      const ns = await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {metadata: {namespace: 'other'}}})
      expect(ns.status).to.equal(400)
      expect(ns.json.message).to.equal('the namespace of the provided object does not match the namespace sent on the request')
      const uid = await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {metadata: {uid: 'abc'}}})
      expect(uid.status).to.equal(422)
      expect(uid.json.message).to.equal('Application.argoproj.io "wealist-apps-prod" is invalid: metadata.uid: Invalid value: "abc": field is immutable')
    })

    it('treats a patch that changes nothing as a no-op (same resourceVersion)', async function () {
      const rv = s.resourceVersion
      const r = await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {spec: {project: 'default'}}})
      expect(r.status).to.equal(200)
      expect(r.json.metadata.resourceVersion).to.equal(rv)
      expect(s.resourceVersion).to.equal(rv)
    })

    it('bumps resourceVersion but not generation for a metadata-only change', async function () {
      const r = await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {metadata: {annotations: {'argocd.argoproj.io/refresh': 'hard'}}}})
      expect(r.json.metadata.generation).to.equal(1)
      expect(r.json.metadata.resourceVersion).to.equal(s.resourceVersion)
    })

    it('prunes unknown fields with a Warning header; fieldValidation=Strict rejects them', async function () {
      if (s.schemaSource === 'none') this.skip()
      const r = await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {status: {operationstate: {phase: 'Terminating'}}}})
      expect(r.status).to.equal(200)
      expect(r.warnings).to.deep.equal(['unknown field "status.operationstate"'])
      expect(r.json.status).to.not.have.property('operationstate')
      const st = await rawRequest(ep(s), 'PATCH', `${APP}?fieldValidation=Strict`, {contentType: MERGE_PATCH, body: {status: {operationstate: {}}}})
      expect(st.status).to.equal(422)
      expect(st.json.message).to.match(/^ "" is invalid: patch: Invalid value: ".*": strict decoding error: unknown field "status.operationstate"$/)
    })

    it('validates against the Argo CD CRD schema', async function () {
      if (s.schemaSource === 'none') this.skip()
      const t = await rawRequest(ep(s), 'PATCH', APP, {contentType: JSON_PATCH, body: [{op: 'replace', path: '/status/operationState/phase', value: 5}]})
      expect(t.status).to.equal(422)
      expect(t.json).to.deep.equal({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message:
          'Application.argoproj.io "wealist-apps-prod" is invalid: status.operationState.phase: Invalid value: "integer": status.operationState.phase in body must be of type string: "integer"',
        reason: 'Invalid',
        details: {
          name: 'wealist-apps-prod',
          group: 'argoproj.io',
          kind: 'Application',
          causes: [
            {
              reason: 'FieldValueTypeInvalid',
              message: 'Invalid value: "integer": status.operationState.phase in body must be of type string: "integer"',
              field: 'status.operationState.phase',
            },
          ],
        },
        code: 422,
      })
      const req = await rawRequest(ep(s), 'PATCH', APP, {contentType: JSON_PATCH, body: [{op: 'remove', path: '/status/operationState/phase'}]})
      expect(req.json.message).to.equal('Application.argoproj.io "wealist-apps-prod" is invalid: status.operationState.phase: Required value')
      const nul = await rawRequest(ep(s), 'PATCH', APP, {contentType: JSON_PATCH, body: [{op: 'add', path: '/status/history/-', value: null}]})
      expect(nul.json.message).to.equal(
        'Application.argoproj.io "wealist-apps-prod" is invalid: status.history[1]: Invalid value: "null": status.history[1] in body must be of type object: "null"',
      )
    })

    it('onBeforePatch lets a test change the object between preview and apply', async function () {
      const rv = s.get('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME).metadata.resourceVersion
      const guarded = [
        {op: 'test', path: '/metadata/resourceVersion', value: rv},
        {op: 'remove', path: '/status/operationState'},
      ]
      let calls = 0
      s.onBeforePatch = () => {
        calls++
        s.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME, (a) => (a.status.operationState.phase = 'Succeeded'))
      }
      const preview = await rawRequest(ep(s), 'PATCH', `${APP}?dryRun=All`, {contentType: JSON_PATCH, body: guarded})
      expect(preview.status).to.equal(200)
      expect(calls).to.equal(0) // not for dry runs
      const apply = await rawRequest(ep(s), 'PATCH', APP, {contentType: JSON_PATCH, body: guarded})
      expect(calls).to.equal(1)
      expect(apply.status).to.equal(422)
      expect(s.get('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME).status.operationState.phase).to.equal('Succeeded')
    })

    it('failNext injects one error for the matching request only; delay slows every response', async function () {
      s.failNext({method: 'PATCH', dryRun: false}, 500, 'InternalError', 'etcdserver: request timed out')
      const dry = await rawRequest(ep(s), 'PATCH', `${APP}?dryRun=All`, {contentType: MERGE_PATCH, body: {}})
      expect(dry.status).to.equal(200)
      const wet = await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {}})
      expect(wet.status).to.equal(500)
      expect(wet.json).to.deep.include({kind: 'Status', reason: 'InternalError', message: 'etcdserver: request timed out', code: 500})
      expect((await rawRequest(ep(s), 'PATCH', APP, {contentType: MERGE_PATCH, body: {}})).status).to.equal(200)
      s.delay(400)
      const t0 = Date.now()
      await rawRequest(ep(s), 'GET', APP)
      expect(Date.now() - t0).to.be.at.least(380)
      let timedOut = false
      try {
        await rawRequest(ep(s), 'GET', APP, {timeoutMs: 100})
      } catch {
        timedOut = true
      }
      expect(timedOut).to.equal(true)
      s.delay(0)
    })
  })

  describe('delete and finalizers', function () {
    it('DELETE with a finalizer sets deletionTimestamp; removing the last finalizer deletes the object', async function () {
      const rv = s.resourceVersion
      const d = await rawRequest(ep(s), 'DELETE', APP)
      expect(d.status).to.equal(200)
      expect(d.json.metadata.deletionTimestamp).to.be.a('string')
      expect(d.json.metadata.generation).to.equal(2)
      const add = await rawRequest(ep(s), 'PATCH', APP, {contentType: JSON_PATCH, body: [{op: 'add', path: '/metadata/finalizers/-', value: 'x'}]})
      expect(add.status).to.equal(422)
      expect(add.json.message).to.equal(
        'Application.argoproj.io "wealist-apps-prod" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"x"}',
      )
      const fin = await rawRequest(ep(s), 'PATCH', APP, {contentType: JSON_PATCH, body: [{op: 'remove', path: '/metadata/finalizers'}]})
      expect(fin.status).to.equal(200)
      expect((await rawRequest(ep(s), 'GET', APP)).status).to.equal(404)
      const {events} = await collectWatch(ep(s), `${APPS}?watch=1&resourceVersion=${rv}`, {until: (ev) => ev.length >= 2})
      expect(events.map((e) => e.type)).to.deep.equal(['MODIFIED', 'DELETED'])
      const plain = await rawRequest(ep(s), 'DELETE', APP)
      expect(plain.status).to.equal(404)
    })

    it('DELETE without finalizers answers a Success Status', async function () {
      s.put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'c', namespace: 'argocd'}, data: {a: 'b'}})
      const uid = s.get('v1', 'ConfigMap', 'argocd', 'c').metadata.uid
      const r = await rawRequest(ep(s), 'DELETE', '/api/v1/namespaces/argocd/configmaps/c')
      expect(r.json).to.deep.equal({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: {name: 'c', kind: 'configmaps', uid}})
    })
  })

  describe('test helpers', function () {
    it('put() validates like kubectl create (unknown fields, schema) unless validate: false', function () {
      if (s.schemaSource === 'none') this.skip()
      const bad = stuckApp('bad')
      bad.status.operationState.phse = 'Running'
      expect(() => s.put(bad)).to.throw(/strict decoding error: unknown field "status.operationState.phse"/)
      const raw = s.put(bad, {validate: false})
      expect(raw.status.operationState.phse).to.equal('Running')
    })

    it('put() plants uid / creationTimestamp / generation when given, and can replace with them', function () {
      const app = stuckApp('planted')
      app.metadata.uid = '0c5d8e2a-91b7-4f3e-a6d0-5e2f4b8c7a19'
      app.metadata.creationTimestamp = '2025-06-01T10:00:00Z'
      app.metadata.generation = 41
      const a = s.put(app)
      expect(a.metadata).to.include({uid: app.metadata.uid, creationTimestamp: '2025-06-01T10:00:00Z', generation: 41})
      app.status.operationState.phase = 'Failed'
      const b = s.put(app)
      expect(b.metadata).to.include({uid: app.metadata.uid, generation: 41})
      expect(Number(b.metadata.resourceVersion)).to.be.greaterThan(Number(a.metadata.resourceVersion))
      app.metadata.uid = '11111111-2222-3333-4444-555555555555'
      expect(s.put(app).metadata.uid).to.equal('11111111-2222-3333-4444-555555555555')
    })

    it('mutate() with no change does not bump resourceVersion', function () {
      const rv = s.resourceVersion
      s.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME, () => undefined)
      expect(s.resourceVersion).to.equal(rv)
    })

    it('writeKubeconfig() writes the four contexts', function () {
      const path = s.writeKubeconfig(dir, {namespace: 'argocd'})
      const kc = new k8s.KubeConfig()
      kc.loadFromFile(path)
      expect(kc.getCurrentContext()).to.equal('admin')
      expect(kc.getContexts().map((c) => c.name)).to.deep.equal(['admin', 'readonly', 'badtoken', 'anonymous'])
      expect(kc.getCurrentCluster()!.server).to.equal(s.url)
      expect(kc.getContextObject('admin')!.namespace).to.equal('argocd')
    })
  })

  describe('with @kubernetes/client-node 1.4', function () {
    function api(context = 'admin'): {co: k8s.CustomObjectsApi; kc: k8s.KubeConfig} {
      const kc = new k8s.KubeConfig()
      kc.loadFromFile(s.writeKubeconfig(dir))
      kc.setCurrentContext(context)
      return {co: kc.makeApiClient(k8s.CustomObjectsApi), kc}
    }
    const ref = {group: GROUP, version: VERSION, namespace: 'argocd', plural: 'applications', name: APP_NAME}

    it('gets, JSON-patches (default content type) and merge-patches', async function () {
      const {co} = api()
      const app: any = await co.getNamespacedCustomObject(ref)
      expect(app.metadata.name).to.equal(APP_NAME)
      const dry: any = await co.patchNamespacedCustomObject({...ref, body: [{op: 'remove', path: '/operation'}], dryRun: 'All', fieldManager: 'argo-doctor'})
      expect(dry).to.not.have.property('operation')
      expect(s.requests.at(-1)!.contentType).to.equal(JSON_PATCH)
      const merged: any = await co.patchNamespacedCustomObject(
        {...ref, body: {metadata: {annotations: {'argocd.argoproj.io/refresh': 'hard'}}}},
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      )
      expect(merged.metadata.annotations['argocd.argoproj.io/refresh']).to.equal('hard')
      expect(s.requests.at(-1)!.contentType).to.equal(MERGE_PATCH)
    })

    it('surfaces Status errors as ApiException with code and body', async function () {
      const {co} = api()
      try {
        await co.patchNamespacedCustomObject({...ref, body: [{op: 'test', path: '/metadata/resourceVersion', value: '1'}]})
        expect.fail('should throw')
      } catch (e: any) {
        expect(e).to.be.instanceOf(k8s.ApiException)
        expect(e.code).to.equal(422)
        expect(JSON.parse(e.body).message).to.equal('the server rejected our request due to an error in our request')
      }
      for (const [ctx, code] of [
        ['readonly', 403],
        ['badtoken', 401],
      ] as const) {
        try {
          await api(ctx).co.patchNamespacedCustomObject({...ref, body: []})
          expect.fail('should throw')
        } catch (e: any) {
          expect(e.code, ctx).to.equal(code)
        }
      }
    })

    it('Watch gets ADDED then MODIFIED', async function () {
      const {kc} = api()
      const events: string[] = []
      let done: () => void
      const finished = new Promise<void>((r) => (done = r))
      const ctl = await new k8s.Watch(kc).watch(
        APPS,
        {fieldSelector: `metadata.name=${APP_NAME}`},
        (type: string) => {
          events.push(type)
          if (events.length === 1) s.mutate('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME, (a) => (a.status.operationState.phase = 'Succeeded'))
          if (events.length === 2) done()
        },
        () => undefined,
      )
      await finished
      ctl.abort()
      expect(events).to.deep.equal(['ADDED', 'MODIFIED'])
    })
  })

  describe('with kubectl as the client', function () {
    it('kubectl sends no credentials over plain http (client-go reads them only for TLS servers)', async function () {
      const kc = s.writeKubeconfig(dir, {namespace: 'argocd'})
      const r = await execa('kubectl', ['--kubeconfig', kc, 'get', 'applications.argoproj.io', APP_NAME, '-o', 'json'], {reject: false})
      expect(r.exitCode).to.equal(1)
      expect(s.requests.map((q) => q.user)).to.include('system:anonymous')
      expect(s.requests.map((q) => q.user)).to.not.include('admin')
    })

    it('kubectl get / patch work against the fake over TLS (discovery, auth)', async function () {
      await s.stop()
      s = await startFakeApiServer({tls: true})
      s.put(stuckApp())
      const kc = s.writeKubeconfig(dir, {namespace: 'argocd'})
      const get = await execa('kubectl', ['--kubeconfig', kc, 'get', 'applications.argoproj.io', APP_NAME, '-o', 'json'])
      expect(JSON.parse(get.stdout).metadata.name).to.equal(APP_NAME)
      const patch = ['patch', 'applications.argoproj.io', APP_NAME, '--type', 'json', '-p', '[{"op":"remove","path":"/operation"}]']
      await execa('kubectl', ['--kubeconfig', kc, ...patch])
      expect(s.get('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME)).to.not.have.property('operation')
      const denied = await execa('kubectl', ['--kubeconfig', kc, '--context', 'readonly', ...patch], {reject: false})
      expect(denied.exitCode).to.equal(1)
      expect(denied.stderr).to.include('Error from server (Forbidden): applications.argoproj.io "wealist-apps-prod" is forbidden: User "readonly" cannot patch resource')
      const again = await execa('kubectl', ['--kubeconfig', kc, ...patch], {reject: false})
      expect(again.stderr).to.include('The request is invalid: the server rejected our request due to an error in our request')
    })
  })
})

// ---------------------------------------------------------------- oracle: kubectl patch --local


describe('oracle: fake apiserver patches == kubectl patch --local', function () {
  let s: FakeApiServer
  let dir: string
  let beforeApp: any
  let beforeFile: string
  let dummyKubeconfig: string

  before(async function () {
    s = await startFakeApiServer()
    dir = mkdtempSync(join(tmpdir(), 'patch-oracle-'))
    s.put(stuckApp())
    beforeApp = s.get('argoproj.io/v1alpha1', 'Application', 'argocd', APP_NAME)
    beforeFile = join(dir, 'before.json')
    writeFileSync(beforeFile, JSON.stringify(beforeApp, null, 2))
    // --local needs no cluster; an empty kubeconfig keeps kubectl away from ~/.kube/config
    dummyKubeconfig = join(dir, 'kubeconfig')
    writeFileSync(dummyKubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n')
  })

  after(async function () {
    await s.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  for (const c of PATCH_CASES) {
    it(c.name, async function () {
      if (c.needsSchema && s.schemaSource === 'none') this.skip()
      const patch = c.patch(beforeApp)
      const k = await execa(
        'kubectl',
        ['--kubeconfig', dummyKubeconfig, 'patch', '--local', '-f', beforeFile, '--type', c.type, '-p', JSON.stringify(patch), '-o', 'json'],
        {reject: false},
      )
      const f = await rawRequest(ep(s), 'PATCH', `${APP}?dryRun=All`, {contentType: c.type === 'json' ? JSON_PATCH : MERGE_PATCH, body: patch})
      if (c.server?.rejects) {
        expect(k.exitCode, `kubectl --local accepts: ${k.stderr}`).to.equal(0)
        expect(f.status, JSON.stringify(f.json)).to.equal(c.server.rejects)
        return
      }
      if (k.exitCode !== 0) {
        expect(f.status, `kubectl rejected (${k.stderr}); the fake answered ${f.status}`).to.equal(422)
        expect(f.json.message).to.equal('the server rejected our request due to an error in our request')
        // the fake's evanphx message is kubectl's
        expect(`error: ${f.headers['x-fake-apiserver-detail']}`).to.equal(k.stderr.trim())
        return
      }
      expect(f.status, `kubectl accepted; the fake answered ${f.status}: ${f.text}`).to.equal(200)
      const want = strip(JSON.parse(k.stdout))
      for (const p of c.server?.prunes ?? []) deletePath(want, p)
      expect(strip(f.json)).to.deep.equal(want)
    })
  }
})

// ---------------------------------------------------------------- differential: a real kube-apiserver
