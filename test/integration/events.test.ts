import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {jsonOut, runCli, tempDir} from '../support/cli.js'
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

describe('explain --emit-events (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(selfWaitApp())
  })
  afterEach(async () => server.stop())

  it('posts each finding once as a Warning Event on its app; a second scan within the hour adds nothing and never updates an Event (create only)', async () => {
    const first = await runCli(['explain', '--all', '--emit-events', '--kubeconfig', kubeconfig], {env})
    expect(first.exitCode, first.stderr).to.equal(20)
    expect(first.stdout).to.match(/Posted 1 of 1 findings as Events on their Applications \(1 new, 0 already posted this hour\)/)
    const second = await runCli(['explain', '--all', '--emit-events', '--kubeconfig', kubeconfig], {env})
    expect(second.stdout).to.match(/\(0 new, 1 already posted this hour\)/)
    const posts = server.requests.filter((q) => q.path.includes('/events'))
    expect(posts.map((q) => q.method)).to.deep.equal(['POST', 'POST'])
    const name: string = posts[0].body.metadata.name
    expect(name).to.match(/^wealist-apps-prod\.argo-doctor\.self-wait\.\d{10}$/)
    const event = server.get('v1', 'Event', 'argocd', name)
    expect(event).to.include({reason: 'ArgoDoctorSelfWait', type: 'Warning', count: 1})
    expect(event.involvedObject).to.include({kind: 'Application', name: 'wealist-apps-prod', uid: server.get(...APP, 'wealist-apps-prod').metadata.uid})
    expect(event.message).to.match(/^critical: .* Fix: argo-doctor unstick wealist-apps-prod -n argocd/)
  })

  it('never rewrites an Event it did not create: one already at the name stays as it was', async () => {
    const hour = new Date().toISOString().slice(0, 13).replaceAll(/\D/g, '')
    const name = `wealist-apps-prod.argo-doctor.self-wait.${hour}`
    server.put({apiVersion: 'v1', kind: 'Event', metadata: {name, namespace: 'argocd'}, involvedObject: {kind: 'Application', name: 'wealist-apps-prod', namespace: 'argocd'}, reason: 'ManualChange', message: 'alice paused sync', type: 'Normal', count: 1})
    const before = structuredClone(server.get('v1', 'Event', 'argocd', name))
    const r = await runCli(['explain', '--all', '--emit-events', '--kubeconfig', kubeconfig], {env})
    expect(r.exitCode, r.stderr).to.equal(20)
    expect(server.get('v1', 'Event', 'argocd', name)).to.deep.equal(before)
    expect(server.requests.filter((q) => q.path.includes('/events') && q.method !== 'POST')).to.deep.equal([])
  })

  it('without RBAC for events the scan still reports (exit 20) and says what could not be posted', async () => {
    server.failNext({method: 'POST', pathIncludes: '/events'}, 403, 'Forbidden', 'events is forbidden')
    const r = await runCli(['explain', 'wealist-apps-prod', '--emit-events', '--kubeconfig', kubeconfig, '--json'], {env})
    expect(r.exitCode, r.stderr).to.equal(20)
    expect((await jsonOut(r.stdout)).notes.join(' ')).to.match(/Posted \d of \d findings.*1 could not be posted: RBAC does not allow create on events/)
  })

  it('-f with --emit-events is a usage error', async () => {
    const r = await runCli(['explain', '-f', 'examples/wealist-prod.yaml', '--emit-events'], {env})
    expect(r.exitCode).to.equal(2)
  })
})
