/**
 * An OutOfSync loop from a field the cluster writes: a Deployment with spec.replicas in Git and an
 * HPA (in the same app) that scales it. The test plays the HPA controller (spec.replicas 2 → 5 via
 * the scale subresource); the real controller then reports the Deployment OutOfSync for ever
 * (auto-sync does not re-sync a revision it already synced; with selfHeal it would fight the HPA).
 * `ignore-status` adds the ignoreDifferences entry + RespectIgnoreDifferences=true; the app
 * reports Synced, and a later sync leaves the HPA's replicas alone.
 */
import {expect} from 'chai'
import {abridged, createApp, deleteApps, deployment, getApp, gitPut, heading, kubectl, makeDeploymentAvailable, record, requireArgocd, run, uniq, waitForApp} from './support.js'

const S = 'S4 hpa'

describe('argocd tier S4: HPA-managed replicas keep the app OutOfSync, fixed by `ignore-status`', () => {
  const ns = uniq('s4-hpa')
  const app = `${ns}-app`
  const hpa = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {name: 'api'},
    spec: {
      scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'api'},
      minReplicas: 2, maxReplicas: 10,
      metrics: [{type: 'Resource', resource: {name: 'cpu', target: {type: 'Utilization', averageUtilization: 70}}}],
    },
  }
  /** The HPA controller: it scales the Deployment through its scale subresource and reports itself healthy. */
  const playHpa = async (n: number) => {
    if (await replicas() !== n) await kubectl(['scale', 'deployment', 'api', '-n', ns, '--replicas', String(n)])
    const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const cond = (type: string, reason: string) => ({type, status: 'True', reason, message: reason, lastTransitionTime: t})
    const status = {currentReplicas: n, desiredReplicas: n, lastScaleTime: t, conditions: [cond('AbleToScale', 'ReadyForNewScale'), cond('ScalingActive', 'ValidMetricFound'), {...cond('ScalingLimited', 'DesiredWithinRange'), status: 'False'}]}
    await kubectl(['patch', 'hpa', 'api', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({status})])
    await makeDeploymentAvailable(ns, 'api')
  }
  const replicas = async () => Number(await kubectl(['get', 'deployment', 'api', '-n', ns, '-o', 'jsonpath={.spec.replicas}']))

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(async () => deleteApps(app))

  it('reproduces it: synced at 2 replicas, the HPA scales to 5, the app is OutOfSync and stays so', async () => {
    const sha = await gitPut(`apps/${ns}`, {'api.yaml': deployment('api', 2), 'hpa.yaml': hpa})
    await createApp(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true']}})
    await waitForApp(app, 'auto-sync Succeeded', (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.status === 'Synced')
    await playHpa(2)
    record(S, 'synced (2 replicas)', await waitForApp(app, 'Synced, Healthy', (a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy'))
    await playHpa(5) // load went up
    await waitForApp(app, 'OutOfSync', (a) => a.status?.sync?.status === 'OutOfSync')
    await new Promise((r) => setTimeout(r, 12_000)) // two resyncs: nothing changes by itself
    const drifting = await getApp(app)
    record(S, 'before (HPA scaled to 5)', drifting)
    expect(abridged(drifting)).to.include({sync: 'OutOfSync', health: 'Healthy', phase: 'Succeeded', operation: false})
    const api = drifting.status.resources.find((r: {kind: string; name: string}) => r.kind === 'Deployment' && r.name === 'api')
    expect(api).to.include({status: 'OutOfSync'})
    expect(await replicas()).to.equal(5)
  })

  it('`explain` names it: hpa-replicas-drift, fix `ignore-status`', async () => {
    const r = await run(S, ['explain', app])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.match(/OutOfSync loop: replicas managed by a HorizontalPodAutoscaler \(api\)\s+\(hpa-replicas-drift\)/)
    expect(r.stdout).to.match(new RegExp(`HorizontalPodAutoscaler ${ns}/api: "?scaleTargetRef Deployment/api"?\\s+\\(read from the cluster\\)`))
    expect(r.stdout).to.match(new RegExp(`\\$ kubectl argo-doctor ignore-status ${app} -n argocd`))
  })

  it('`ignore-status --yes`: ignoreDifferences + RespectIgnoreDifferences=true, and the controller reports Synced', async () => {
    const r = await run(S, ['ignore-status', app, '--yes', '--timeout', '60s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/✔ .*Synced/)
    const after = await waitForApp(app, 'Synced', (a) => a.status?.sync?.status === 'Synced', 30_000)
    record(S, 'after ignore-status', after)
    expect(abridged(after)).to.include({sync: 'Synced', health: 'Healthy'})
    expect(after.spec.ignoreDifferences).to.deep.equal([{group: 'apps', kind: 'Deployment', name: 'api', namespace: ns, jsonPointers: ['/spec/replicas']}])
    expect(after.spec.syncPolicy.syncOptions).to.include('RespectIgnoreDifferences=true').and.include('CreateNamespace=true')
    expect(await replicas(), 'the HPA\'s replicas are untouched').to.equal(5)
  })

  it('a full sync afterwards keeps the HPA\'s 5 replicas (RespectIgnoreDifferences in effect)', async () => {
    const r = await run(S, ['force-presync', app, '--yes', '--timeout', '60s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    await waitForApp(app, 'sync done', (a) => !a.operation && a.status?.operationState?.phase === 'Succeeded')
    await playHpa(5)
    const after = await waitForApp(app, 'Synced, Healthy', (a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy')
    record(S, 'after a later sync', after)
    expect(after.status.operationState.operation.sync.syncOptions).to.include('RespectIgnoreDifferences=true')
    expect(await replicas()).to.equal(5)
  })
})
