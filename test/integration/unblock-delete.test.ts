import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {EXAMPLE_NOW, example, issueApp} from '../fixtures/examples.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: EXAMPLE_NOW.toISOString()}

/** An app as it was before `kubectl delete`: the server sets deletionTimestamp (finalizers present). */
function planted(server: FakeApiServer, app: any): void {
  delete app.metadata.deletionTimestamp
  delete app.metadata.deletionGracePeriodSeconds
  server.put(app)
  server.remove(...APP, app.metadata.name)
}

describe('unblock-delete (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const args = (name: string, ...extra: string[]) => ['unblock-delete', name, '--kubeconfig', kubeconfig, ...extra]

  beforeEach(async () => {
    server = await startFakeApiServer({now: () => new Date('2026-01-01T22:05:40Z')})
    kubeconfig = server.writeKubeconfig(tempDir())
  })
  afterEach(async () => server.stop())

  it('destination cluster gone: --dry-run shows the finalizers going and what stays behind, changes nothing; --yes removes them and the app is gone', async () => {
    planted(server, example('stuck-deletions.yaml', 'edge-eu-guestbook'))
    const before = server.get(...APP, 'edge-eu-guestbook')
    expect(before.metadata.deletionTimestamp).to.equal('2026-01-01T22:05:40Z')
    const dry = await runCli(args('edge-eu-guestbook', '--dry-run'), {env})
    expect(dry.exitCode, dry.stdout + dry.stderr).to.equal(0)
    expect(dry.stdout).to.match(/^- {4}- resources-finalizer\.argocd\.argoproj\.io$/m)
    expect(dry.stdout).to.match(/^- {4}- post-delete-finalizer\.argocd\.argoproj\.io\/cleanup$/m)
    expect(dry.stdout).to.include('leaves 2 managed resources on https://edge-eu-1.k8s.example.com:6443 running and unmanaged')
    expect(dry.stdout).to.include('"op":"test","path":"/metadata/finalizers/2","value":"post-delete-finalizer.argocd.argoproj.io/cleanup"')
    expect(server.get(...APP, 'edge-eu-guestbook')).to.deep.equal(before)
    // remote destination: its resources are not on this API server, so none is read
    expect(server.requests.filter((q) => q.method === 'GET' && !q.path.includes('/applications'))).to.have.length(0)

    const r = await runCli(args('edge-eu-guestbook', '--yes', '--timeout', '10s'), {env: {...env, ARGO_DOCTOR_BACKUP_DIR: tempDir()}})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(server.get(...APP, 'edge-eu-guestbook')).to.equal(undefined)
    expect(r.stdout).to.include('✔ The Application is gone: its deletion finished.')
    const write = server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun !== 'All')
    expect(write).to.have.length(1)
  })

  it('the finalizers moved after the preview (someone removed another one): the index guard fails, nothing is written (exit 8)', async () => {
    const app = example('stuck-deletions.yaml', 'edge-us-payments')
    app.metadata.finalizers = ['example.com/protect', 'resources-finalizer.argocd.argoproj.io']
    planted(server, app)
    server.onBeforePatch = (req) => {
      if (req.query.dryRun === 'All') return
      server.onBeforePatch = undefined
      server.mutate(...APP, 'edge-us-payments', (o) => {
        o.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
      })
    }
    const r = await runCli(args('edge-us-payments', '--yes', '--timeout', '5s'), {env: {...env, ARGO_DOCTOR_BACKUP_DIR: tempDir()}})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(8)
    expect(r.stderr).to.match(/changed after the preview and the fix would now be different; nothing was written/)
    expect(server.get(...APP, 'edge-us-payments').metadata.finalizers).to.deep.equal(['resources-finalizer.argocd.argoproj.io'])
  })

  for (const [title, finalizers, condition] of [
    ['a Helm render error (ComparisonError) naming "cluster \\"staging\\" not found in values.clusters"', ['resources-finalizer.argocd.argoproj.io'],
      {type: 'ComparisonError', message: 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `helm template` failed: error calling fail: cluster "staging" not found in values.clusters'}],
    ['an RBAC DeletionError ("cannot delete") on an app with the post-delete finalizer', ['resources-finalizer.argocd.argoproj.io', 'post-delete-finalizer.argocd.argoproj.io'],
      {type: 'DeletionError', message: 'deployments.apps "checkout" is forbidden: User "system:serviceaccount:argocd:argocd-application-controller" cannot delete resource "deployments" in API group "apps" in the namespace "shop"'}],
  ] as const) {
    it(`${title}: refused without --force (exit 14), no finalizer removed`, async () => {
      const app = issueApp('zookeeper-operator')
      app.metadata.finalizers = [...finalizers]
      app.status!.conditions = [condition]
      planted(server, app)
      const r = await runCli(args('zookeeper-operator', '--yes', '--timeout', '5s'), {env: {...env, ARGO_DOCTOR_BACKUP_DIR: tempDir()}})
      expect(r.exitCode, r.stdout + r.stderr).to.equal(14)
      expect(server.requests.filter((q) => q.method === 'PATCH')).to.have.length(0)
      expect(server.get(...APP, 'zookeeper-operator').metadata.finalizers).to.deep.equal(finalizers)
    })
  }

  it('refuses (exit 14) an app that is not being deleted, and writes nothing', async () => {
    server.put(issueApp('legacy-crons'))
    const r = await runCli(args('legacy-crons', '--yes', '--force'), {env})
    expect(r.exitCode).to.equal(14)
    expect(r.stdout).to.match(/not being deleted/)
    expect(server.requests.filter((q) => q.method === 'PATCH')).to.have.length(0)
  })

  it('in-cluster app held by a leaked hook finalizer (argo-cd #29464): reads the managed resources live, names the hook and prints the kubectl command (exit 14)', async () => {
    server.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'ops'}})
    server.put({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'maintenance-worker', namespace: 'ops', finalizers: ['argocd.argoproj.io/hook-finalizer'], annotations: {'argocd.argoproj.io/hook': 'PostSync'}},
      spec: {selector: {matchLabels: {app: 'mw'}}, template: {metadata: {labels: {app: 'mw'}}, spec: {containers: [{name: 'mw', image: 'registry.invalid/mw:1'}]}}}})
    server.remove('apps/v1', 'Deployment', 'ops', 'maintenance-worker')
    server.put({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db-password', namespace: 'ops'}, data: {password: Buffer.from('hunter2').toString('base64')}})
    const app = issueApp('zookeeper-operator')
    app.metadata.name = 'maintenance'
    app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
    app.status!.conditions = []
    app.status!.reconciledAt = '2026-01-02T00:11:00Z'
    app.status!.resources = [
      {group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'ops', name: 'maintenance-worker', hook: true},
      {version: 'v1', kind: 'Secret', namespace: 'ops', name: 'db-password', status: 'Synced'},
    ]
    planted(server, app)
    const r = await runCli(args('maintenance', '--yes', '--json'), {env})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(14)
    const doc = (await jsonOut(r.stdout))
    expect(doc.steps[0].summary).to.include('apps/Deployment ops/maintenance-worker').and.include('#29464')
    expect(doc.steps[0].hint).to.include(`kubectl patch deployment.apps maintenance-worker -n ops --type json -p '[{"op":"test","path":"/metadata/finalizers/0","value":"argocd.argoproj.io/hook-finalizer"},{"op":"remove","path":"/metadata/finalizers/0"}]'`)
    expect(doc.live.find((l: {kind: string}) => l.kind === 'Secret')).to.deep.include({state: 'unreadable', error: 'Secrets are not read'})
    expect(server.requests.some((q) => q.path.includes('/secrets/'))).to.equal(false)
    expect(r.stdout).not.to.include('hunter2').and.not.include(Buffer.from('hunter2').toString('base64'))
    expect(server.requests.filter((q) => q.method === 'PATCH')).to.have.length(0)
  })

  it('refuses without --force while the controller is alive and nothing shows an error (exit 14); the hint says to wait or fix status.conditions', async () => {
    const app = issueApp('zookeeper-operator')
    app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
    app.status!.conditions = []
    app.status!.resources = []
    planted(server, app)
    const r = await runCli(args('zookeeper-operator', '--dry-run'), {env})
    expect(r.exitCode).to.equal(14)
    expect(r.stdout).to.match(/refused: .*the controller is alive/)
    expect(r.stdout).to.match(/Wait \(large apps take a while\)/)
    const forced = await runCli(args('zookeeper-operator', '--dry-run', '--force'), {env})
    expect(forced.exitCode, forced.stdout + forced.stderr).to.equal(0)
    expect(forced.stdout).to.include('nothing shows why it is not finishing; removing them because of --force')
  })

  it('-f works offline on a saved app (implies --dry-run)', async () => {
    const r = await runCli(['unblock-delete', 'edge-us-payments', '-f', 'examples/stuck-deletions.yaml'], {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('cannot be reached').and.include('Dry run: nothing was changed.')
  })
})
