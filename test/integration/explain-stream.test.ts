import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer, type RecordedRequest} from '../support/fake-apiserver.js'
import {jsonOut, runCli, tempDir} from '../support/cli.js'
import {makeFleet} from '../support/fleet.js'

/**
 * Fleet scans (explain --all / -A / -l) make one unpaginated LIST and diagnose each app as the
 * response arrives; they page (limit=100) when the server refuses that LIST, says the response is
 * incomplete, or the stream breaks. Built CLI (and, for the timing of items, the Cluster itself)
 * against a real HTTP API server.
 */
const NOW = '2026-01-02T00:12:00Z'
const env = {ARGO_DOCTOR_NOW: NOW}
const COUNT = 260

const appLists = (s: FakeApiServer): RecordedRequest[] => s.requests.filter((q) => q.method === 'GET' && /\/applications$/.test(q.path))
const shape = (q: RecordedRequest) => (q.query.limit === undefined ? 'whole' : q.query.continue === undefined ? `page ${q.query.limit}` : `next ${q.query.limit}`)

describe('explain on a fleet: one streamed, unpaginated LIST, paging when that does not work out', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  /** explain -A --json when nothing goes wrong: what every fallback must give too (with the kubeconfig it was run with). */
  let cleanRun: {stdout: string; kubeconfig: string} | undefined
  const clean = () => cleanRun!.stdout.replaceAll(cleanRun!.kubeconfig, kubeconfig)

  beforeEach(async () => {
    server = await startFakeApiServer({crdDir: false})
    // Two namespaces, so -A spans namespaces and the namespace/name order matters.
    for (const [i, app] of makeFleet({count: COUNT, now: new Date(NOW)}).entries()) {
      server.put({...app, metadata: {...app.metadata, namespace: i % 2 ? 'argocd' : 'argocd-b'}}, {validate: false})
    }

    kubeconfig = server.writeKubeconfig(tempDir())
    if (!cleanRun) {
      const r = await runCli(['explain', '-A', '--json', '--kubeconfig', kubeconfig], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      cleanRun = {stdout: r.stdout, kubeconfig}
    }

    server.requests.length = 0
  })
  afterEach(async () => server.stop())

  const explainAll = async (...extra: string[]) => {
    const r = await runCli(['explain', '-A', '--json', '--kubeconfig', kubeconfig, ...extra], {env})
    expect(r.exitCode, r.stderr).to.equal(20)
    return r
  }

  it('-A, --all -n and -l each make one LIST without limit (served from the watch cache), and explain every app', async () => {
    const all = await explainAll()
    expect(appLists(server).map(shape)).to.deep.equal(['whole'])
    expect(appLists(server)[0].path).to.equal('/apis/argoproj.io/v1alpha1/applications')
    // compressed, as kubectl asks for it (the test server gzips a list of 128 KiB or more, as kube-apiserver does)
    expect(appLists(server)[0].headers['accept-encoding']).to.equal('gzip')
    const out = await jsonOut(all.stdout)
    expect(out.summary.apps).to.equal(COUNT)
    expect(new Set(out.apps.map((a: {namespace: string; name: string}) => `${a.namespace}/${a.name}`)).size).to.equal(COUNT)
    // namespace/name order, as etcd keys sort
    const keys = out.apps.map((a: {namespace: string; name: string}) => `${a.namespace}/${a.name}`)
    expect(keys).to.deep.equal([...keys].sort())

    server.requests.length = 0
    const ns = await runCli(['explain', '--all', '-n', 'argocd-b', '-l', 'team=team-02', '--json', '--kubeconfig', kubeconfig], {env})
    expect(ns.exitCode, ns.stderr).to.be.oneOf([0, 20])
    const [list] = appLists(server)
    expect(appLists(server)).to.have.length(1)
    expect(list.path).to.equal('/apis/argoproj.io/v1alpha1/namespaces/argocd-b/applications')
    expect(list.query).to.deep.equal({labelSelector: 'team=team-02'})
    const apps = (await jsonOut(ns.stdout)).apps as Array<{name: string; namespace: string}>
    expect(apps.length).to.be.greaterThan(0)
    expect(apps.every((a) => a.namespace === 'argocd-b' && a.name.startsWith('team-02-'))).to.equal(true)
  })

  for (const status of [410, 429, 500, 503]) {
    it(`the server answers ${status} to the unpaginated LIST: it pages (limit=100) and the output is the same`, async () => {
      server.failNext({method: 'GET', pathIncludes: '/applications', paginated: false}, status)
      const r = await explainAll()
      expect(appLists(server).map((q) => `${shape(q)} → ${q.status}`)).to.deep.equal([`whole → ${status}`, 'page 100 → 200', 'next 100 → 200', 'next 100 → 200'])
      expect(r.stdout).to.equal(clean())
    })
  }

  it('the response says it is incomplete (metadata.continue): the rest is read with that token, nothing twice', async () => {
    server.capLists(70)
    const r = await explainAll()
    // 70 in the first response, then pages from its token, which the server caps at 70 too: 70 + 70 + 70 + 50
    expect(appLists(server).map(shape)).to.deep.equal(['whole', 'next 100', 'next 100', 'next 100'])
    expect(r.stdout).to.equal(clean())
  })

  it('the stream is cut off mid-way (connection reset): the list is read again page by page, the apps already diagnosed are not repeated', async () => {
    server.interruptNextList({paginated: false}, 30_000, 'reset')
    const r = await explainAll()
    expect(appLists(server).map(shape)).to.deep.equal(['whole', 'page 100', 'next 100', 'next 100'])
    const out = await jsonOut(r.stdout)
    expect(out.summary.apps).to.equal(COUNT)
    expect(r.stdout).to.equal(clean())
  })

  it('the stream stalls for longer than --request-timeout: it gives up on it and pages', async () => {
    const stuck = server.interruptNextList({paginated: false}, 20_000, 'stall')
    try {
      const r = await explainAll('--request-timeout', '1s')
      expect(appLists(server).map(shape)).to.deep.equal(['whole', 'page 100', 'next 100', 'next 100'])
      expect(r.stdout).to.equal(clean())
    } finally {
      stuck.release()
    }
  })

  it('the stream breaks and paging fails too: the paging error and its exit code, no partial report', async () => {
    server.interruptNextList({paginated: false}, 10_000, 'reset')
    server.failNext({method: 'GET', pathIncludes: '/applications', paginated: true}, 503)
    const r = await runCli(['explain', '-A', '--json', '--kubeconfig', kubeconfig], {env})
    expect(r.exitCode).to.equal(7)
    const out = await jsonOut(r.stdout)
    expect(out.error.code).to.equal('UNREACHABLE')
    expect(out.error.message).to.match(/^The API server failed the request \(503\)/)
  })

  describe('errors keep their codes and messages (no paging after a refusal paging would meet too)', () => {
    it('401 → exit 4', async () => {
      const r = await runCli(['explain', '-A', '--kubeconfig', kubeconfig, '--context', 'badtoken'], {env})
      expect(r.exitCode).to.equal(4)
      expect(r.stderr).to.match(/rejected your credentials \(401 Unauthorized\) \(context "badtoken"\)/)
      expect(appLists(server).map(shape)).to.deep.equal(['whole'])
    })

    it('403 → exit 5, naming the verb, resource and namespace, with the server\'s reason', async () => {
      const r = await runCli(['explain', '--all', '-n', 'argocd', '--kubeconfig', kubeconfig, '--context', 'anonymous', '--json'], {env})
      expect(r.exitCode).to.equal(5)
      const out = await jsonOut(r.stdout)
      expect(out.error.message).to.equal('Forbidden: you may not list applications.argoproj.io in namespace "argocd" (context "anonymous").')
      expect(out.error.hint).to.match(/Server: applications\.argoproj\.io is forbidden: User "system:anonymous" cannot list resource "applications"/)
      expect(appLists(server).map(shape)).to.deep.equal(['whole'])
    })

    it('404 (no Application CRD there) → exit 3', async () => {
      const noApi = join(tempDir(), 'kubeconfig')
      writeFileSync(noApi, JSON.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
        clusters: [{name: 'c', cluster: {server: `${server.url}/not-an-api-server`, 'insecure-skip-tls-verify': true}}],
        users: [{name: 'u', user: {token: 'admin-token'}}], contexts: [{name: 'x', context: {cluster: 'c', user: 'u'}}],
      }))
      const r = await runCli(['explain', '-A', '--kubeconfig', noApi], {env})
      expect(r.exitCode).to.equal(3)
      expect(r.stderr).to.match(/The API server has no applications\.argoproj\.io resource \(context "x"\)/)
    })

    it('a bad selector is a usage error before any request (exit 2); a 400 from the server → exit 9 with its message', async () => {
      const bad = await runCli(['explain', '-A', '-l', 'a b', '--kubeconfig', kubeconfig], {env})
      expect(bad.exitCode).to.equal(2)
      expect(bad.stderr).to.include('"a b" is not a valid label selector')
      expect(appLists(server)).to.deep.equal([])
      server.failNext({method: 'GET', pathIncludes: '/applications', watch: false}, 400, 'BadRequest', 'unable to parse requirement: found \'b\', expected: in, notin, =, ==, !=, gt, lt')
      const r = await runCli(['explain', '-A', '-l', 'team=x', '--kubeconfig', kubeconfig], {env})
      expect(r.exitCode).to.equal(9)
      expect(r.stderr).to.match(/The API server rejected the request \(400\): unable to parse requirement/)
    })

    it('the kubeconfig user\'s token and --as/--as-group impersonation go with the streamed LIST', async () => {
      const r = await runCli(['explain', '-A', '--kubeconfig', kubeconfig, '--as', 'alice', '--as-group', 'sre'], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      const [list] = appLists(server)
      expect(list.headers.authorization).to.equal('Bearer admin-token')
      expect(list.headers['impersonate-user']).to.equal('alice')
      expect(list.headers['impersonate-group']).to.equal('sre')
    })

    it('over TLS, verified against the kubeconfig\'s certificate-authority-data (no insecure-skip-tls-verify)', async () => {
      const tls = await startFakeApiServer({crdDir: false, tls: true})
      try {
        tls.put(makeFleet({count: 3, now: new Date(NOW)})[0], {validate: false})
        const file = join(tempDir(), 'kubeconfig')
        writeFileSync(file, JSON.stringify({
          apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
          clusters: [{name: 'c', cluster: {server: tls.url, 'certificate-authority-data': Buffer.from(tls.caPem!).toString('base64')}}],
          users: [{name: 'u', user: {token: 'admin-token'}}], contexts: [{name: 'x', context: {cluster: 'c', user: 'u'}}],
        }))
        const r = await runCli(['explain', '-A', '--json', '--kubeconfig', file], {env})
        expect(r.exitCode, r.stderr).to.be.oneOf([0, 20])
        expect((await jsonOut(r.stdout)).summary.apps).to.equal(1)
        expect(appLists(tls).map(shape)).to.deep.equal(['whole'])
      } finally {
        await tls.stop()
      }
    })

    it('unreachable → exit 7, naming the request', async () => {
      const gone = join(tempDir(), 'kubeconfig')
      writeFileSync(gone, JSON.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
        clusters: [{name: 'c', cluster: {server: 'https://127.0.0.1:1'}}],
        users: [{name: 'u', user: {token: 't'}}], contexts: [{name: 'x', context: {cluster: 'c', user: 'u'}}],
      }))
      const r = await runCli(['explain', '-A', '--kubeconfig', gone, '--request-timeout', '5s'], {env})
      expect(r.exitCode).to.equal(7)
      expect(r.stderr).to.include('Cannot reach the API server at https://127.0.0.1:1 (context "x"): request to https://127.0.0.1:1/apis/argoproj.io/v1alpha1/applications failed, reason: connect ECONNREFUSED')
    })

    it('no answer within --request-timeout → exit 7', async () => {
      server.delay(3000)
      const r = await runCli(['explain', '-A', '--kubeconfig', kubeconfig, '--request-timeout', '1s'], {env})
      expect(r.exitCode).to.equal(7)
      expect(r.stderr).to.match(/The API server at http:\/\/127\.0\.0\.1:\d+ did not answer in time \(context "admin"\)/)
    })
  })

  it('items are handed out while the response is still arriving, and a consumer that stops early ends the request', async () => {
    const {connect} = await import('../../src/lib/cluster/kube.js')
    const cluster = connect({kubeconfig, requestTimeout: 30})
    const held = server.interruptNextList({paginated: false}, 20_000, 'stall')
    const fallbacks: string[] = []
    const it = cluster.streamApps({onFallback: (why) => fallbacks.push(why)})[Symbol.asyncIterator]()
    const first = await it.next()
    // The server has sent only the first 20 KB (gzipped: ~240 KB of JSON) and waits: the first apps are already here.
    expect(first.done).to.equal(false)
    expect(first.value?.metadata.name).to.be.a('string')
    let n = 1
    held.release()
    for (let r = await it.next(); !r.done; r = await it.next()) n++
    expect(n).to.equal(COUNT)
    expect(fallbacks).to.deep.equal([])
    expect(appLists(server).map(shape)).to.deep.equal(['whole'])

    // Stopping after a few items aborts the response; nothing is paged.
    server.requests.length = 0
    let taken = 0
    for await (const app of cluster.streamApps({namespace: 'argocd', onFallback: (why) => fallbacks.push(why)})) {
      expect(app.metadata.namespace).to.equal('argocd')
      if (++taken === 3) break
    }

    expect(fallbacks).to.deep.equal([])
    expect(appLists(server).map(shape)).to.deep.equal(['whole'])
  })

  it('a broken stream is reported once to onFallback, and the apps handed out before it are not handed out again', async () => {
    const {connect} = await import('../../src/lib/cluster/kube.js')
    const cluster = connect({kubeconfig, requestTimeout: 30})
    // The connection drops once five apps were handed out (not after a fixed delay: under load the RST
    // could overtake bytes the client had not read yet, and nothing would have been handed out).
    const cut = server.interruptNextList({paginated: false}, 25_000, 'reset-on-release')
    const fallbacks: Array<{why: string; after: number}> = []
    const names: string[] = []
    for await (const app of cluster.streamApps({onFallback: (why) => fallbacks.push({why, after: names.length})})) {
      names.push(`${app.metadata.namespace}/${app.metadata.name}`)
      if (names.length === 5) cut.release()
    }
    expect(fallbacks).to.have.length(1)
    expect(fallbacks[0].why).to.match(/^the response broke off/)
    // Some apps had been handed out from the stream before it broke (25 KB gzipped: ~300 KB of JSON, ~17 KB an app)…
    expect(fallbacks[0].after).to.be.within(5, 40)
    // …and paging gave each of the others once.
    expect(names).to.have.length(COUNT)
    expect(new Set(names).size).to.equal(COUNT)
    expect(names).to.deep.equal([...names].sort())
  })
})
