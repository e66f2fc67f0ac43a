import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {cliInPty} from '../support/pty.js'
import {healthyApp, NOW, selfWaitApp} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}
const realWrites = (server: FakeApiServer) => server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun !== 'All')

/**
 * A controller that writes the app's status between every read and write (as a busy Argo CD does
 * on every reconcile). The resourceVersion guard makes each such write a lost race; the pipeline
 * re-plans with jittered backoff, and a race it keeps losing is a conflict (8), never "rejected" (9).
 */
describe('a busy controller and concurrent writers (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  let tick = 0
  const touchStatus = () => server.mutate(...APP, 'wealist-apps-prod', (o) => {
    o.status.reconciledAt = new Date(NOW.getTime() - 60_000 + ++tick * 1000).toISOString().replace('.000Z', 'Z')
  })

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(selfWaitApp())
    tick = 0
  })
  afterEach(async () => server.stop())

  it('a status write before every request for a while: --yes still applies the same change (exit 0)', async () => {
    let busy = 6
    server.onBeforeAnyPatch = () => {
      if (busy-- > 0) touchStatus()
    }

    const r = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', kubeconfig, '--yes', '--no-wait'], {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(server.get(...APP, 'wealist-apps-prod').status.operationState).to.equal(undefined)
    expect(realWrites(server).length).to.be.greaterThan(0)
  })

  it('a race it never wins ends as a conflict (exit 8), nothing written — not "rejected"', async () => {
    server.onBeforeAnyPatch = () => {
      touchStatus()
    }

    const r = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', kubeconfig, '--yes', '--no-wait', '--json'], {env})
    expect(r.exitCode, r.stderr).to.equal(8)
    expect((await jsonOut(r.stdout)).error.code).to.equal('CONFLICT')
    expect(server.get(...APP, 'wealist-apps-prod').status.operationState.phase).to.equal('Running')
  })
})

describe('many apps: an app changed while the prompt waits is previewed and asked again', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    for (const name of ['a', 'b']) {
      const app = healthyApp()
      app.metadata.name = name
      server.put(app)
    }
  })
  afterEach(async () => server.stop())

  it('hard-refresh a b: b gets a new annotation at the prompt → a is written, b is re-previewed and asked again', async () => {
    const pty = cliInPty(['hard-refresh', 'a', 'b', '--kubeconfig', kubeconfig, '--no-wait'], env)
    await pty.waitFor(/Hard-refresh these 2 applications\?/)
    server.mutate(...APP, 'b', (o) => {
      o.metadata.annotations = {...o.metadata.annotations, 'argocd.argoproj.io/refresh': 'normal'}
    })
    pty.type('y\r')
    await pty.waitFor(/1 application changed while you were deciding; nothing was written to it/)
    const mark = pty.text.indexOf('changed while you were deciding')
    await pty.waitFor(/Hard-refresh these 1 applications\?/, 20_000, mark)
    pty.type('n\r')
    await pty.exited
    expect(server.get(...APP, 'a').metadata.annotations['argocd.argoproj.io/refresh']).to.equal('hard')
    expect(server.get(...APP, 'b').metadata.annotations['argocd.argoproj.io/refresh']).to.equal('normal')
    // The batch writes from what it previewed: b's write was sent and refused by its resourceVersion guard (nothing written).
    expect(realWrites(server).map((q) => `${q.path.split('/').at(-1)}:${(q.status ?? 0) < 400 ? 'written' : 'refused'}`).sort()).to.deep.equal(['a:written', 'b:refused'])
  })
})
