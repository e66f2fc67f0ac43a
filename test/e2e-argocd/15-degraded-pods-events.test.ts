/**
 * A Deployment that goes Degraded after a sync, diagnosed from its Pods and Events, on the real
 * controller: the app syncs a commit whose image does not exist; Argo CD computes Degraded from the
 * Deployment's status; `explain` reads the Deployment, its Pods and the namespace's Warning Events
 * and names the cause (the image pull) and the fix (`rollback` to the previous history entry),
 * which is then run against the controller. Both 3.2 and 3.6 keep resource health in the app tree
 * (status.resourceHealthSource: appTree), so status.resources does not name the Degraded resource:
 * explain has to find it from the live workloads.
 *
 * No kubelet, no deployment or ReplicaSet controller runs here. The test writes what they would:
 * the Deployment's status (progress deadline exceeded), a Pod object with its status written
 * through the status subresource (container waiting in ImagePullBackOff), and the kubelet's
 * Warning Event ("Failed to pull image …"), with the names and texts those components use.
 */
import {expect} from 'chai'
import {jsonOut, tempDir} from '../support/cli.js'
import {apply, createApp, deleteApps, failRollout, getApp, gitPut, heading, kubectl, makeDeploymentAvailable, NS, record, requireArgocd, run, uniq, waitForApp, waitForObject, withImage} from './support.js'

const S = 'S15 degraded'
const rfc3339 = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

/** The kubelet: a Pod of the new ReplicaSet that cannot pull its image, and its Warning Event. */
async function podCannotPull(ns: string, pod: string, app: string, image: string): Promise<void> {
  await apply({apiVersion: 'v1', kind: 'Pod', metadata: {name: pod, namespace: ns, labels: {app}}, spec: {containers: [{name: app, image}]}})
  const status = {
    phase: 'Pending',
    conditions: [{type: 'PodScheduled', status: 'True', lastTransitionTime: rfc3339()}],
    containerStatuses: [{name: app, image, imageID: '', ready: false, restartCount: 0, started: false, state: {waiting: {reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"`}}}],
  }
  await kubectl(['patch', 'pod', pod, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({status})])
  await kubectl(['create', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Event', metadata: {name: `${pod}.e2e0001`, namespace: ns},
    involvedObject: {apiVersion: 'v1', kind: 'Pod', name: pod, namespace: ns}, type: 'Warning', reason: 'Failed',
    message: `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`,
    count: 4, firstTimestamp: rfc3339(Date.now() - 120_000), lastTimestamp: rfc3339(), source: {component: 'kubelet'},
  }))
}

describe('argocd tier S15: a Deployment Degraded after a sync, diagnosed from its Pods and Events, fixed by `rollback`', () => {
  const ns = uniq('s15-web')
  const app = `${ns}-app`
  const bad = 'registry.invalid/e2e/web:2-does-not-exist'
  const pod = 'web-6d4cf56db6-x7k2p'
  let goodId: number

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(() => deleteApps(app))

  it('reproduces it: Healthy at a good commit, then a commit with an image that does not exist: Synced, Degraded', async () => {
    const shaGood = await gitPut(`apps/${ns}`, {'web.yaml': withImage('web', 'registry.invalid/e2e/web:1')}, 'web 1')
    await createApp(app, {path: `apps/${ns}`, revision: shaGood, namespace: ns, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true']}})
    await waitForApp(app, 'auto-sync at the good commit', (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.revision === shaGood)
    await waitForObject(['deployment', 'web', '-n', ns])
    await makeDeploymentAvailable(ns, 'web')
    const healthy = await waitForApp(app, 'Healthy at the good commit', (a) => a.status?.health?.status === 'Healthy')
    goodId = healthy.status.history.find((h: any) => h.revision === shaGood).id

    const shaBad = await gitPut(`apps/${ns}`, {'web.yaml': withImage('web', bad)}, 'web 2')
    await kubectl(['patch', 'applications.argoproj.io', app, '-n', NS, '--type', 'merge', '-p', JSON.stringify({spec: {source: {targetRevision: shaBad}}})])
    await waitForApp(app, 'auto-sync at the bad commit', (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.syncResult?.revision === shaBad && !a.operation)
    await podCannotPull(ns, pod, 'web', bad)
    await failRollout(ns, 'web', 'web-6d4cf56db6')
    const degraded = await waitForApp(app, 'Degraded', (a) => a.status?.health?.status === 'Degraded')
    record(S, 'before (Degraded)', degraded)
    expect(degraded.status.sync.status).to.equal('Synced')
    // Argo CD 3.x keeps resource health in the app tree by default: status.resources does not say which resource is Degraded.
    expect(degraded.status.resourceHealthSource).to.equal('appTree')
    expect(degraded.status.resources.find((r: any) => r.kind === 'Deployment').health).to.equal(undefined)
  })

  it('`explain` reads the Deployment, its Pod and the kubelet\'s Event: the image pull, and the exact rollback', async () => {
    const r = await run(S, ['explain', app])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include(`cannot pull image "${bad}" (ImagePullBackOff)`)
    expect(r.stdout).to.include(`$ kubectl argo-doctor rollback ${app} -n argocd --to ${goodId}`)
    const j = await jsonOut((await run(S, ['explain', app, '--json'])).stdout)
    const degraded = j.findings.find((f: any) => f.id === 'resource-degraded')
    expect(degraded, JSON.stringify(j.findings.map((f: any) => f.id))).to.not.equal(undefined)
    expect(degraded.title).to.equal(`Deployment.apps ${ns}/web is Degraded: container "web" of pod ${pod} cannot pull image "${bad}" (ImagePullBackOff): Back-off pulling image "${bad}"`)
    const paths = degraded.evidence.map((e: any) => e.path)
    expect(paths).to.include.members([`Deployment ${ns}/web status.conditions[Progressing]`, `Pod ${ns}/${pod} web state.waiting.reason`, `Event Pod/${pod} Failed`])
    expect(j.findings.map((f: any) => f.id)).to.include('degraded-after-deploy')
  })

  it('`rollback --yes` (the command explain names): the controller syncs the good revision back; Healthy', async () => {
    const rollback = run(S, ['rollback', app, '--to', String(goodId), '--yes', '--timeout', '120s'], {ARGO_DOCTOR_BACKUP_DIR: tempDir('s15-backups-')})
    // The deployment controller and kubelet again: once the good template is back, its Pod runs and the rollout completes.
    const deadline = Date.now() + 90_000
    for (;;) {
      const d = JSON.parse(await kubectl(['get', 'deployment', 'web', '-n', ns, '-o', 'json']))
      if (d.spec.template.spec.containers[0].image === 'registry.invalid/e2e/web:1') break
      if (Date.now() > deadline) throw new Error('the rollback never restored the good image')
      await new Promise((res) => setTimeout(res, 400))
    }

    await makeDeploymentAvailable(ns, 'web')
    await kubectl(['delete', 'pod', pod, '-n', ns, '--wait=false'])
    const r = await rollback
    // A reconcile after the sync may still read the Deployment as this test left it (Degraded since before the
    // sync): rollback waits for a health reached after the sync started, so it reports Healthy, exit 0.
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout, r.stdout + r.stderr).to.include(`Applied: Roll ${app} back to history ID ${goodId}`).and.match(/✔ Sync Succeeded.*health Healthy/)
    const after = await waitForApp(app, 'Healthy after the rollback', (a) => a.status?.health?.status === 'Healthy' && !a.operation)
    record(S, 'after rollback', after)
    expect(after.spec.syncPolicy?.automated, 'rollback turns auto-sync off').to.equal(undefined)
    expect(after.status.operationState.syncResult.revision, 'the rollback synced the good revision').to.equal(after.status.history.find((h: any) => h.id === goodId).revision)
    expect((await getApp(app)).status.health.status).to.equal('Healthy')
  })
})
