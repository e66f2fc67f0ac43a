import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir} from '../support/cli.js'
import {NOW, selfWaitApp} from '../fixtures/apps.js'

const env = {ARGO_DOCTOR_NOW: NOW.toISOString(), USER: 'alice'}

/** Every change leaves a trail in Kubernetes: an Event on the Application (kubectl describe app, the Argo CD UI). */
describe('Events on the Application (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const eventPosts = () => server.requests.filter((q) => q.method === 'POST' && q.path === '/api/v1/namespaces/argocd/events')

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(selfWaitApp())
  })
  afterEach(async () => server.stop())

  it('a change records one Normal Event: reason, what changed, who, where the backup is', async () => {
    const r = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', kubeconfig, '--yes', '--no-wait'], {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    const [post] = eventPosts()
    expect(post.status).to.equal(201)
    const app = server.get('argoproj.io/v1alpha1', 'Application', 'argocd', 'wealist-apps-prod')
    expect(post.body.involvedObject).to.include({kind: 'Application', name: 'wealist-apps-prod', namespace: 'argocd', uid: app.metadata.uid})
    expect(post.body).to.include({reason: 'ArgoDoctorUnstick', type: 'Normal', reportingComponent: 'argo-doctor'})
    expect(post.body.message).to.match(/^Clear the stuck sync of wealist-apps-prod .* By admin with argo-doctor unstick \(resourceVersion \d+ → \d+\); backup of the object before the change: \S+\.json on /)
    expect(eventPosts()).to.have.length(1)
  })

  it('a dry run records nothing', async () => {
    const r = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', kubeconfig, '--dry-run'], {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(eventPosts()).to.have.length(0)
  })

  it('without RBAC for events: one warning, and the change still succeeds', async () => {
    server.failNext({method: 'POST', pathIncludes: '/events'}, 403, 'Forbidden', 'events is forbidden: User "oncall" cannot create resource "events"')
    const r = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', kubeconfig, '--yes', '--no-wait'], {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stderr).to.match(/warning: Could not record a Kubernetes Event on argocd\/wealist-apps-prod: RBAC does not allow creating events \(deploy\/rbac\.yaml grants it\)\. The change itself is applied\./)
    expect(server.get('argoproj.io/v1alpha1', 'Application', 'argocd', 'wealist-apps-prod').status.operationState).to.equal(undefined)
  })
})
