import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {jsonOut, runCli, tempDir} from '../support/cli.js'
import {healthyApp, NOW, selfWaitApp} from '../fixtures/apps.js'

const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}

/** Two Argo CD instances (two real HTTP API servers) and an unreachable third, in one kubeconfig. */
describe('explain across kube contexts (built CLI against real HTTP API servers)', function () {
  this.timeout(60_000)
  let east: FakeApiServer
  let west: FakeApiServer
  let kubeconfig: string

  beforeEach(async () => {
    east = await startFakeApiServer()
    west = await startFakeApiServer()
    east.put(selfWaitApp())
    const ok = healthyApp()
    west.put(ok)
    kubeconfig = join(tempDir(), 'kubeconfig')
    const cluster = (name: string, server: string) => ({name, cluster: {server, 'insecure-skip-tls-verify': true}})
    writeFileSync(kubeconfig, JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [cluster('east', east.url), cluster('west', west.url), cluster('gone', 'https://127.0.0.1:1')],
      users: [{name: 'admin', user: {token: 'admin-token'}}],
      contexts: ['east', 'west', 'gone'].map((n) => ({name: n, context: {cluster: n, user: 'admin'}})),
      'current-context': 'east',
    }))
  })
  afterEach(async () => {
    await east.stop()
    await west.stop()
  })

  it('--context repeated: one LIST per context, one table with a CONTEXT column; fixes name their context', async () => {
    const r = await runCli(['explain', '-A', '--context', 'east', '--context', 'west', '--kubeconfig', kubeconfig], {env})
    expect(r.exitCode, r.stderr).to.equal(20)
    expect(r.stdout).to.match(/^CONTEXT\s+APP\s+SYNC/m)
    expect(r.stdout).to.match(/^east\s+argocd\/wealist-apps-prod\s/m)
    expect(r.stdout).to.match(/unstick wealist-apps-prod -n argocd .*--context east/)
    expect(r.stdout).to.include('1 of 2 applications have findings')
    for (const s of [east, west]) expect(s.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/applications'))).to.have.length(1)
  })

  it('--all-contexts: an unreachable context is reported and does not fail the others; the exit code says so', async () => {
    const r = await runCli(['explain', '-A', '--all-contexts', '--kubeconfig', kubeconfig, '--json', '--request-timeout', '5s'], {env})
    expect(r.exitCode, r.stderr).to.equal(7)
    const out = await jsonOut(r.stdout)
    expect(out.contexts.map((c: {context: string; status: string; apps: number}) => `${c.context} ${c.status} ${c.apps}`)).to.deep.equal(['east ok 1', 'west ok 1', 'gone error 0'])
    expect(out.contexts[2].error.code).to.equal('UNREACHABLE')
    expect(out.apps.map((a: {context: string; name: string}) => `${a.context}/${a.name}`)).to.deep.equal(['east/wealist-apps-prod', 'west/auth-service-prod'])
  })

  it('several contexts need a fleet: APP or -f with them is a usage error', async () => {
    const r = await runCli(['explain', 'my-app', '--context', 'east', '--context', 'west', '--kubeconfig', kubeconfig], {env})
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.match(/Several contexts explain fleets/)
  })
})
