import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {healthyApp} from '../fixtures/apps.js'
import {platformHpa, platformOutOfSyncApp, SEED002_NOW} from '../fixtures/seed002.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: SEED002_NOW.toISOString()}
const NAME = 'wealist-platform-prod'

const MERGED = [
  {
    group: 'external-secrets.io',
    kind: 'ExternalSecret',
    jqPathExpressions: ['.spec.target.deletionPolicy', '.spec.data[]?.remoteRef.conversionStrategy', '.spec.data[]?.remoteRef.decodingStrategy', '.spec.data[]?.remoteRef.metadataPolicy'],
  },
  {group: 'apiregistration.k8s.io', kind: 'APIService', jsonPointers: ['/status']},
  {group: 'apps', kind: 'Deployment', name: 'auth-service', namespace: 'wealist-prod', jsonPointers: ['/spec/replicas']},
]

describe('ignore-status (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const stored = (name = NAME) => server.get(...APP, name)
  const patches = () => server.requests.filter((q) => q.method === 'PATCH')
  const args = (...extra: string[]) => ['ignore-status', NAME, '--kubeconfig', kubeconfig, ...extra]

  /** Plays the controller: re-compares after spec.ignoreDifferences changed; `leave` stays OutOfSync. */
  const playController = (leave: string[] = []) => {
    const timer = setInterval(() => {
      const app = stored()
      if (app?.spec.ignoreDifferences?.length > 1 && app.status.reconciledAt === '2025-12-31T05:40:18Z') {
        server.mutate(...APP, NAME, (o) => {
          o.status.reconciledAt = '2025-12-31T06:00:12Z'
          for (const r of o.status.resources) if (!leave.includes(r.name)) r.status = 'Synced'
          o.status.sync.status = leave.length > 0 ? 'OutOfSync' : 'Synced'
        })
      }
    }, 100)
    return () => clearInterval(timer)
  }

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(platformOutOfSyncApp())
    server.put(platformHpa())
  })
  afterEach(async () => server.stop())

  it('--dry-run reads the HPA, previews the merged list through the server and changes nothing', async () => {
    const before = stored()
    const r = await runCli(args('--dry-run'), {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Diff (server dry-run):')
    expect(r.stdout).to.match(/^\+ {8}- \.spec\.data\[\]\?\.remoteRef\.conversionStrategy$/m)
    expect(r.stdout).to.match(/^\+ {6}- RespectIgnoreDifferences=true$/m)
    expect(r.stdout).to.match(/No built-in rule explains ConfigMap wealist-prod\/storage-service-config/)
    expect(stored()).to.deep.equal(before)
    expect(server.requests.some((q) => q.method === 'GET' && q.path === '/apis/autoscaling/v2/namespaces/wealist-prod/horizontalpodautoscalers/auth-service-hpa')).to.equal(true)
    expect(patches().every((q) => q.query.dryRun === 'All')).to.equal(true)
  })

  it('--yes writes the merged list with guards, waits for the reconcile and reports Synced', async () => {
    const stop = playController()
    const app = platformOutOfSyncApp()
    app.status!.resources = app.status!.resources!.filter((r) => r.kind !== 'ConfigMap')
    server.put(app)
    const r = await runCli(args('--yes', '--timeout', '20s'), {env}).finally(stop)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const after = stored()
    expect(after.spec.ignoreDifferences).to.deep.equal(MERGED)
    expect(after.spec.syncPolicy.syncOptions).to.deep.equal(['CreateNamespace=true', 'RespectIgnoreDifferences=true'])
    const written = patches().find((q) => q.query.dryRun === undefined)!.body
    expect(written[0]).to.deep.include({op: 'test', path: '/metadata/resourceVersion'})
    expect(written[1]).to.deep.equal({op: 'test', path: '/spec/ignoreDifferences', value: [{group: 'external-secrets.io', kind: 'ExternalSecret', jqPathExpressions: ['.spec.target.deletionPolicy']}]})
    expect(r.stdout).to.match(/✔ Reconciled at 2025-12-31T06:00:12Z: sync Synced, health Healthy/)
    expect(r.stderr).to.not.match(/still/)
  })

  it('still OutOfSync after the reconcile: exit 0 with a warning naming what is left', async () => {
    const stop = playController(['storage-service-config'])
    const r = await runCli(args('--yes', '--timeout', '20s'), {env}).finally(stop)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/still OutOfSync: ConfigMap wealist-prod\/storage-service-config/)
    expect(r.stderr).to.match(/warning: wealist-platform-prod is still OutOfSync \(ConfigMap wealist-prod\/storage-service-config\)/)
  })

  it('an HPA it cannot read is reported, and no replicas entry is guessed', async () => {
    server.failNext({method: 'GET', pathIncludes: 'horizontalpodautoscalers'}, 403, 'Forbidden', 'horizontalpodautoscalers.autoscaling "auth-service-hpa" is forbidden')
    const r = await runCli(args('--dry-run', '--json'), {env})
    expect(r.exitCode).to.equal(0)
    const step = (await jsonOut(r.stdout)).steps[0]
    expect(JSON.stringify(step.patch)).to.not.include('/spec/replicas')
    expect(step.notes.join(' ')).to.match(/auth-service-hpa could not be read \(forbidden by RBAC\)/)
  })

  it('explicit mode adds exactly the given entry', async () => {
    const r = await runCli(args('--yes', '--no-wait', '--group', 'external-secrets.io', '--kind', 'ExternalSecret', '--jq', '.spec.refreshInterval'), {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(stored().spec.ignoreDifferences).to.deep.equal([{group: 'external-secrets.io', kind: 'ExternalSecret', jqPathExpressions: ['.spec.target.deletionPolicy', '.spec.refreshInterval']}])
    expect(stored().spec.syncPolicy.syncOptions).to.deep.equal(['CreateNamespace=true'])
  })

  it('no OutOfSync resource: nothing to do (exit 13), nothing written', async () => {
    server.put(healthyApp())
    const r = await runCli(['ignore-status', 'auth-service-prod', '--kubeconfig', kubeconfig, '--yes'], {env})
    expect(r.exitCode).to.equal(13)
    expect(r.stdout).to.match(/nothing to do: No resource of auth-service-prod is OutOfSync/)
    expect(patches()).to.have.length(0)
  })

  it('malformed JSON pointer: exit 2 before anything is read', async () => {
    const r = await runCli(args('--yes', '--kind', 'Deployment', '--group', 'apps', '--json-pointer', '/metadata/annotations/deployment.kubernetes.io/revision'), {env})
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.match(/must be escaped as ~1/)
    expect(r.stderr).to.include('Did you mean /metadata/annotations/deployment.kubernetes.io~1revision?')
    expect(server.requests).to.have.length(0)
  })

  it('broken jq: exit 2, nothing written', async () => {
    const r = await runCli(args('--yes', '--kind', 'ExternalSecret', '--group', 'external-secrets.io', '--jq', '.spec.data[.remoteRef'), {env})
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.match(/--jq "\.spec\.data\[\.remoteRef" has an unclosed "\["/)
    expect(patches()).to.have.length(0)
  })

  it('unknown kind: exit 2 with the kinds the app has, nothing written', async () => {
    const before = stored()
    const r = await runCli(args('--yes', '--kind', 'Deployment', '--json-pointer', '/spec/replicas'), {env})
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.match(/Deployment is not among the resources of wealist-platform-prod/)
    expect(r.stderr).to.match(/Did you mean --group apps\?/)
    expect(patches()).to.have.length(0)
    expect(stored()).to.deep.equal(before)
  })

  it('403 for a read-only user: clear message, exit 5, nothing changed', async () => {
    const before = stored()
    const r = await runCli(args('--yes', '--context', 'readonly'), {env})
    expect(r.exitCode).to.equal(5)
    expect(r.stderr).to.match(/Forbidden: you may not patch applications\.argoproj\.io/)
    expect(stored()).to.deep.equal(before)
  })

  it('works offline on the example file, HPA included (-f implies --dry-run)', async () => {
    const r = await runCli(['ignore-status', '-f', 'examples/eso-apiservice-outofsync.yaml', '--json'], {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    const step = (await jsonOut(r.stdout)).steps[0]
    expect(step.status).to.equal('previewed')
    expect(step.patch[2]).to.deep.equal({op: 'replace', path: '/spec/ignoreDifferences', value: MERGED})
  })
})
