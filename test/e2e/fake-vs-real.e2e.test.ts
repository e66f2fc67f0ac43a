/**
 * Differential: the test API server (test/support/fake-apiserver.ts) against a real
 * kube-apiserver v1.34 (scripts/cluster.sh, started by scripts/e2e.sh): the same requests go to
 * both, and status codes, Status bodies, warnings and resulting objects must match. This is what
 * keeps the server `npm test` uses honest.
 */
import {expect} from 'chai'

import {type FakeApiServer, startFakeApiServer} from '../support/fake-apiserver.js'
import {type Endpoint, collectWatch, endpointFromKubeconfig, rawRequest} from '../support/kube-raw-client.js'
import {APPS, ep, JSON_PATCH, MERGE_PATCH, PATCH_CASES, stuckApp} from '../support/patch-cases.js'


interface Targets {
  admin: Endpoint
  readonly: Endpoint
  bad: Endpoint
  anon: Endpoint
}

interface DiffCase {
  name: string
  method?: string
  /** path under the app (default: the app itself); `{app}` is replaced */
  path?: string
  query?: string
  contentType?: string
  body?: (before: any) => unknown
  user?: keyof Targets
  finalizers?: boolean
}

const DIFF_CASES: DiffCase[] = [
  ...PATCH_CASES.map((c) => ({name: c.name, contentType: c.type === 'json' ? JSON_PATCH : MERGE_PATCH, body: c.patch})),
  ...PATCH_CASES.map((c) => ({name: `dry run: ${c.name}`, query: 'dryRun=All', contentType: c.type === 'json' ? JSON_PATCH : MERGE_PATCH, body: c.patch})),
  {name: 'GET', method: 'GET'},
  {name: 'GET missing', method: 'GET', path: '{apps}/nope'},
  {name: 'GET /status subresource', method: 'GET', path: '{app}/status'},
  {name: 'GET unknown resource', method: 'GET', path: '/apis/argoproj.io/v1alpha1/namespaces/argocd/foos'},
  {name: 'GET secret missing', method: 'GET', path: '/api/v1/namespaces/argocd/secrets/nope'},
  {name: 'bad token', method: 'GET', user: 'bad'},
  {name: 'anonymous list', method: 'GET', path: '{apps}', user: 'anon'},
  {name: 'readonly patch', contentType: MERGE_PATCH, body: () => ({}), user: 'readonly'},
  {name: 'strategic merge on a CR', contentType: 'application/strategic-merge-patch+json', body: () => ({})},
  {name: 'no content type', contentType: 'text/plain', body: () => ({})},
  {name: 'patch missing object', path: '{apps}/nope', contentType: MERGE_PATCH, body: () => ({})},
  {name: 'dryRun=Foo', query: 'dryRun=Foo', contentType: MERGE_PATCH, body: () => ({})},
  {name: 'bad resourceVersion', contentType: MERGE_PATCH, body: () => ({metadata: {resourceVersion: 'abc'}})},
  {name: 'remove resourceVersion', contentType: JSON_PATCH, body: () => [{op: 'remove', path: '/metadata/resourceVersion'}]},
  {name: 'remove name', contentType: JSON_PATCH, body: () => [{op: 'remove', path: '/metadata/name'}]},
  {name: 'remove namespace', contentType: JSON_PATCH, body: () => [{op: 'remove', path: '/metadata/namespace'}]},
  {name: 'change namespace', contentType: MERGE_PATCH, body: () => ({metadata: {namespace: 'other'}})},
  {name: 'change uid', contentType: MERGE_PATCH, body: () => ({metadata: {uid: 'abc'}})},
  {name: 'change generation and creationTimestamp (ignored)', contentType: MERGE_PATCH, body: () => ({metadata: {generation: 99, creationTimestamp: '2020-01-01T00:00:00Z'}})},
  {name: 'set deletionTimestamp', contentType: MERGE_PATCH, body: () => ({metadata: {deletionTimestamp: '2020-01-01T00:00:00Z'}})},
  {name: 'type error', contentType: JSON_PATCH, body: () => [{op: 'replace', path: '/status/operationState/phase', value: 5}]},
  {name: 'required field removed', contentType: JSON_PATCH, body: () => [{op: 'remove', path: '/status/operationState/phase'}]},
  {name: 'null list item', contentType: JSON_PATCH, body: () => [{op: 'add', path: '/status/history/-', value: null}]},
  {name: 'date-time format', contentType: JSON_PATCH, body: () => [{op: 'replace', path: '/status/operationState/startedAt', value: 'yesterday'}]},
  {name: 'annotation null becomes ""', contentType: JSON_PATCH, body: () => [{op: 'add', path: '/metadata/annotations/x', value: null}]},
  {name: 'annotation number', contentType: JSON_PATCH, body: () => [{op: 'add', path: '/metadata/annotations/x', value: 5}]},
  {name: 'invalid label value', contentType: MERGE_PATCH, body: () => ({metadata: {labels: {a: 'bad value!'}}})},
  {name: 'unknown fields warn', contentType: JSON_PATCH, body: () => [{op: 'add', path: '/status/foo', value: 'x'}, {op: 'add', path: '/bar', value: 1}]},
  {name: 'unknown metadata field warns', contentType: MERGE_PATCH, body: () => ({metadata: {foo: 'x'}})},
  {name: 'unknown fields strict', query: 'fieldValidation=Strict', contentType: JSON_PATCH, body: () => [{op: 'add', path: '/status/foo', value: 'x'}, {op: 'add', path: '/metadata/foo', value: 1}]},
  {name: 'json patch op with an unknown field', contentType: JSON_PATCH, body: () => [{op: 'add', path: '/metadata/labels', value: {a: 'b'}, foo: 1}]},
  {name: 'replace kind', contentType: JSON_PATCH, body: () => [{op: 'replace', path: '/kind', value: 'Foo'}]},
  {name: 'remove kind', contentType: JSON_PATCH, body: () => [{op: 'remove', path: '/kind'}]},
  {name: 'json patch body is an object', contentType: JSON_PATCH, body: () => ({op: 'add'})},
  {name: 'json patch body is null', contentType: JSON_PATCH, body: () => null},
  {name: 'json patch op is a number', contentType: JSON_PATCH, body: () => [1]},
  {name: 'json patch op field is a number', contentType: JSON_PATCH, body: () => [{op: 1}]},
  {name: 'json patch op is null', contentType: JSON_PATCH, body: () => [null]},
  {name: 'json patch syntax error', contentType: JSON_PATCH, body: () => '[{'},
  {name: 'merge patch syntax error', contentType: MERGE_PATCH, body: () => '{'},
  {name: 'merge patch is an array', contentType: MERGE_PATCH, body: () => [1]},
  {name: 'merge patch is null', contentType: MERGE_PATCH, body: () => null},
  {name: 'no-op patch', contentType: MERGE_PATCH, body: () => ({spec: {project: 'default'}})},
  {name: 'PUT the object back with a change', method: 'PUT', contentType: 'application/json', body: (b) => ({...b, spec: {...b.spec, project: 'other'}})},
  {name: 'PUT with a stale resourceVersion', method: 'PUT', contentType: 'application/json', body: (b) => ({...b, metadata: {...b.metadata, resourceVersion: '1'}})},
  {name: 'PUT without resourceVersion', method: 'PUT', contentType: 'application/json', body: (b) => ({...b, metadata: {...b.metadata, resourceVersion: undefined}})},
  {name: 'PUT renaming', method: 'PUT', contentType: 'application/json', body: (b) => ({...b, metadata: {...b.metadata, name: 'other'}})},
  {name: 'POST an existing name', method: 'POST', path: '{apps}', contentType: 'application/json', body: (b) => ({...b, metadata: {name: b.metadata.name}})},
  {name: 'POST an invalid object', method: 'POST', path: '{apps}', contentType: 'application/json', body: (b) => ({...b, metadata: {name: `${b.metadata.name}-x`}, spec: {project: 'default'}, status: {operationState: {phase: 1}}})},
  {name: 'readonly DELETE', method: 'DELETE', user: 'readonly'},
  {name: 'DELETE with finalizer', method: 'DELETE', finalizers: true},
  {name: 'DELETE without finalizer', method: 'DELETE'},
  {name: 'DELETE missing', method: 'DELETE', path: '{apps}/nope'},
]

/** Make responses from two servers comparable: drop what is per-server, keep semantics. */
function normalizeResponse(r: {status: number; json?: any; text: string; warnings: string[]}, before: any): any {
  const blob = (m: string) =>
    m
      .replace(/Invalid value: "\{(?:[^"\\]|\\.)*\}"/g, 'Invalid value: "<object>"')
      .replace(/in '\{.*\}'/g, "in '<object>'")
      .replace(/"restricted"/g, '"readonly"')
  const out: any = {status: r.status, warnings: [...r.warnings].filter((w) => !w.startsWith('metadata.finalizers')).sort()}
  if (r.json === undefined) {
    out.text = r.text
    return out
  }
  const j = JSON.parse(JSON.stringify(r.json))
  if (j.kind === 'Status') {
    if (j.message) j.message = blob(j.message)
    if (j.details?.uid) j.details.uid = '<uid>'
    for (const c of j.details?.causes ?? []) c.message = blob(c.message)
    // kube-apiserver v1.34 lists a CRD's validation errors in no fixed order (seen differ between two
    // runs): compare them as a set, in the causes and in the message's [a, b, …] list alike.
    if (Array.isArray(j.details?.causes)) {
      j.details.causes.sort((x: any, y: any) => `${x.field}\0${x.message}`.localeCompare(`${y.field}\0${y.message}`))
      if (typeof j.message === 'string' && /is invalid: \[.*\]$/.test(j.message)) {
        j.message = j.message.replace(/\[.*\]$/, `[${j.details.causes.map((c: any) => `${c.field}: ${c.message}`).join(', ')}]`)
      }
    }
    out.body = j
    return out
  }
  if (j.metadata) {
    out.rvChanged = j.metadata.resourceVersion !== before.metadata.resourceVersion
    delete j.metadata.resourceVersion
    delete j.metadata.uid
    delete j.metadata.creationTimestamp
    delete j.metadata.managedFields
    if (j.metadata.deletionTimestamp) j.metadata.deletionTimestamp = '<time>'
  }
  out.body = j
  return out
}

describe('differential: the test API server vs a real kube-apiserver', function () {
  this.timeout(120000)
  let s: FakeApiServer
  let real: Targets
  let fake: Targets
  const run = `${Date.now().toString(36)}`

  before(async function () {
    if (!process.env.E2E_SERVER || !process.env.KUBECONFIG) throw new Error('the e2e tier runs against scripts/cluster.sh: npm run test:e2e')
    s = await startFakeApiServer()
    const admin = endpointFromKubeconfig(process.env.KUBECONFIG!, 'admin')
    real = {admin, readonly: endpointFromKubeconfig(process.env.KUBECONFIG!, 'restricted'), bad: {...admin, token: 'nope'}, anon: {...admin, token: undefined}}
    fake = {admin: ep(s), readonly: ep(s, 'readonly-token'), bad: ep(s, 'nope'), anon: ep(s, null)}
  })

  after(async function () {
    if (s) await s.stop()
  })

  async function createApp(t: Targets, name: string, finalizers: boolean): Promise<any> {
    const app = stuckApp(name)
    if (!finalizers) delete app.metadata.finalizers
    const r = await rawRequest(t.admin, 'POST', `${APPS}?fieldValidation=Strict`, {contentType: 'application/json', body: app})
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.text}`)
    return r.json
  }

  async function cleanup(t: Targets, name: string): Promise<void> {
    await rawRequest(t.admin, 'PATCH', `${APPS}/${name}`, {contentType: MERGE_PATCH, body: {metadata: {finalizers: null}}})
    await rawRequest(t.admin, 'DELETE', `${APPS}/${name}`)
  }

  DIFF_CASES.forEach((c, i) => {
    it(c.name, async function () {
      const name = `diff-${run}-${i}`
      const results: any[] = []
      for (const t of [real, fake]) {
        const before = await createApp(t, name, Boolean(c.finalizers))
        try {
          const path = (c.path ?? '{app}').replace('{app}', `${APPS}/${name}`).replace('{apps}', APPS) + (c.query ? `?${c.query}` : '')
          const body = c.body?.(before)
          const r = await rawRequest(t[c.user ?? 'admin'], c.method ?? 'PATCH', path, {contentType: c.contentType, body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body)})
          results.push(normalizeResponse(r, before))
        } finally {
          await cleanup(t, name)
        }
      }
      expect(results[1], `fake vs real for ${c.name}`).to.deep.equal(results[0])
    })
  })

  it('list: order, pagination metadata, selectors', async function () {
    const ns = `diff-${run}`
    const created: Array<[Targets, string]> = []
    const mk = async (t: Targets, n: string, labels: Record<string, string>) => {
      const app = stuckApp(n)
      delete app.metadata.finalizers
      app.metadata.namespace = ns
      app.metadata.labels = labels
      const r = await rawRequest(t.admin, 'POST', `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications`, {contentType: 'application/json', body: app})
      if (r.status !== 201) throw new Error(r.text)
      created.push([t, n])
    }
    await rawRequest(real.admin, 'POST', '/api/v1/namespaces', {contentType: 'application/json', body: {apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}}})
    try {
      for (const t of [real, fake]) {
        await mk(t, 'b', {team: 'x', tier: 't1'})
        await mk(t, 'a', {team: 'x'})
        await mk(t, 'c', {team: 'y', tier: 't2'})
      }
      const shape = async (t: Targets, q: string) => {
        const r = await rawRequest(t.admin, 'GET', `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications${q}`)
        const m = r.json.metadata ?? {}
        const tok = m.continue ? JSON.parse(Buffer.from(m.continue, 'base64url').toString()) : undefined
        return {status: r.status, kind: r.json.kind, names: r.json.items?.map((x: any) => x.metadata.name), hasContinueKey: 'continue' in m, remaining: m.remainingItemCount, tokStart: tok?.start, tokV: tok?.v, message: r.json.message}
      }
      for (const q of ['', '?limit=2', '?limit=1&labelSelector=team%3Dx', '?labelSelector=tier%20in%20(t1,t2)', '?labelSelector=!tier', '?fieldSelector=metadata.name%21%3Da', '?fieldSelector=spec.project%3Dx', '?labelSelector=a%20b']) {
        expect(await shape(fake, q), q).to.deep.equal(await shape(real, q))
      }
      const w = async (t: Targets) =>
        (await collectWatch(t.admin, `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications?watch=1`, {until: (ev) => ev.length >= 3, timeoutMs: 3000})).events.map((e) => [e.type, e.object.metadata.name])
      expect(await w(fake)).to.deep.equal(await w(real))
      // replay from a resourceVersion, with a label selector the changes move objects in and out of
      const replay = async (t: Targets) => {
        const base = `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications`
        const rv0 = (await rawRequest(t.admin, 'GET', base)).json.metadata.resourceVersion
        const lab = (n: string, team: string) => rawRequest(t.admin, 'PATCH', `${base}/${n}`, {contentType: MERGE_PATCH, body: {metadata: {labels: {team}}}})
        await lab('a', 'y')
        await lab('c', 'x')
        await rawRequest(t.admin, 'PATCH', `${base}/b`, {contentType: MERGE_PATCH, body: {metadata: {annotations: {touched: 'yes'}}}})
        await lab('a', 'x')
        const r = await collectWatch(t.admin, `${base}?watch=1&labelSelector=team%3Dx&resourceVersion=${rv0}`, {until: (ev) => ev.length >= 4, timeoutMs: 3000})
        return r.events.map((e) => [e.type, e.object.metadata.name])
      }
      expect(await replay(fake)).to.deep.equal(await replay(real))
    } finally {
      for (const [t, n] of created) await rawRequest(t.admin, 'DELETE', `/apis/argoproj.io/v1alpha1/namespaces/${ns}/applications/${n}`)
      await rawRequest(real.admin, 'DELETE', `/api/v1/namespaces/${ns}`)
    }
  })
})