/**
 * After a bad deploy, on the real controller:
 * S14a: a sync that made the app Degraded (an image that does not exist; the test plays the
 *       deployment controller: the new rollout exceeds its progress deadline), then `rollback` to the
 *       previous history entry: Healthy again, auto-sync off; `undo` turns it back on.
 * S14b: a plain Job whose pod template changed in Git: the auto-sync fails "field is immutable";
 *       `retry-sync` (Replace=true with force, chosen from the message) re-creates it: Synced.
 * S14c: self-heal reverts a live hotfix; `pause-sync --self-heal-only` lets the hotfix stay;
 *       `resume-sync` puts self-heal back and Argo CD reverts it again.
 * Only Argo CD behaviour common to 3.2 and 3.6 is relied on (history entries after successful
 * syncs, "field is immutable" as the resource message, selfHeal).
 */
import {expect} from 'chai'
import {tempDir} from '../support/cli.js'
import {completeJob, createApp, deleteApps, failRollout, getApp, gitPut, heading, kubectl, makeDeploymentAvailable, NS, record, requireArgocd, run, uniq, waitForApp, waitForObject, withImage} from './support.js'

describe('argocd tier S14a: Degraded after a deploy, fixed by `rollback`; `undo` turns auto-sync back on', () => {
  const S = 'S14a rollback'
  const ns = uniq('s10a-shop')
  const app = `${ns}-app`
  let shaGood: string
  let goodId: number
  const env = {ARGO_DOCTOR_BACKUP_DIR: tempDir('s10a-backups-')}

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(() => deleteApps(app))

  it('reproduces it: auto-synced at a good commit (Healthy), then a commit with an image that does not exist (Synced, Degraded)', async () => {
    shaGood = await gitPut(`apps/${ns}`, {'api.yaml': withImage('api', 'registry.invalid/e2e/api:1')}, 'api 1')
    await createApp(app, {path: `apps/${ns}`, revision: shaGood, namespace: ns, syncPolicy: {automated: {selfHeal: true}, syncOptions: ['CreateNamespace=true']}})
    await waitForApp(app, 'auto-sync at the good commit', (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.revision === shaGood)
    await waitForObject(['deployment', 'api', '-n', ns])
    await makeDeploymentAvailable(ns, 'api')
    const healthy = await waitForApp(app, 'Healthy at the good commit', (a) => a.status?.health?.status === 'Healthy')
    goodId = healthy.status.history.find((h: any) => h.revision === shaGood).id

    const shaBad = await gitPut(`apps/${ns}`, {'api.yaml': withImage('api', 'registry.invalid/e2e/api:2-does-not-exist')}, 'api 2')
    await kubectl(['patch', 'applications.argoproj.io', app, '-n', NS, '--type', 'merge', '-p', JSON.stringify({spec: {source: {targetRevision: shaBad}}})])
    await waitForApp(app, 'auto-sync at the bad commit', (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.syncResult?.revision === shaBad && !a.operation)
    await failRollout(ns, 'api')
    const degraded = await waitForApp(app, 'Degraded', (a) => a.status?.health?.status === 'Degraded')
    record(S, 'before (Degraded)', degraded)
    expect(degraded.status.history.length).to.be.at.least(2)
  })

  it('`explain` names the bad deploy and the exact rollback command', async () => {
    const r = await run(S, ['explain', app])
    expect(r.stdout).to.match(/\(degraded-after-deploy\)/)
    expect(r.stdout).to.include(`$ kubectl argo-doctor rollback ${app} -n argocd --to ${goodId}`)
  })

  it('`rollback --yes`: one write turns auto-sync off and syncs back; Healthy again', async () => {
    const rollback = run(S, ['rollback', app, '--to', String(goodId), '--yes', '--timeout', '120s'], env)
    // Play the deployment controller for the rolled-back template.
    const deadline = Date.now() + 90_000
    for (;;) {
      const d = JSON.parse(await kubectl(['get', 'deployment', 'api', '-n', ns, '-o', 'json']))
      if (d.spec.template.spec.containers[0].image === 'registry.invalid/e2e/api:1') break
      if (Date.now() > deadline) throw new Error('the rollback never applied the old template')
      await new Promise((r) => setTimeout(r, 500))
    }

    await makeDeploymentAvailable(ns, 'api')
    const r = await rollback
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/✔ Sync Succeeded.*health Healthy/)
    const after = await getApp(app)
    record(S, 'after rollback', after)
    expect(after.spec.syncPolicy.automated).to.equal(undefined)
    expect(after.status.health.status).to.equal('Healthy')
    expect(after.status.operationState.syncResult.revision).to.equal(shaGood)
    expect(after.status.operationState.operation.sync.syncStrategy).to.have.property('apply')
  })

  it('`undo --yes` turns auto-sync back on exactly as it was', async () => {
    const r = await run(S, ['undo', app, '--yes', '--no-wait'], env)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const after = await getApp(app)
    expect(after.spec.syncPolicy.automated).to.deep.equal({selfHeal: true})
    expect(after.metadata.annotations?.['argo-doctor/sync-paused']).to.equal(undefined)
  })
})

describe('argocd tier S14b: a Job whose template changed (immutable), fixed by `retry-sync`', () => {
  const S = 'S14b retry-sync'
  const ns = uniq('s10b-jobs')
  const app = `${ns}-app`
  const job = (image: string) => ({apiVersion: 'batch/v1', kind: 'Job', metadata: {name: 'migrate'}, spec: {backoffLimit: 0, template: {spec: {restartPolicy: 'Never', containers: [{name: 'migrate', image}]}}}})

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(() => deleteApps(app))

  it('reproduces it: the auto-sync of the changed template fails with "field is immutable"', async () => {
    const shaA = await gitPut(`apps/${ns}`, {'job.yaml': job('registry.invalid/e2e/migrate:1')}, 'migrate 1')
    await createApp(app, {path: `apps/${ns}`, revision: shaA, namespace: ns, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true'], retry: {limit: 1, backoff: {duration: '1s', factor: 1, maxDuration: '1s'}}}})
    await waitForApp(app, 'auto-sync at A', (a) => a.status?.operationState?.phase === 'Succeeded' && !a.operation)
    await waitForObject(['job', 'migrate', '-n', ns])
    await completeJob(ns, 'migrate')
    const shaB = await gitPut(`apps/${ns}`, {'job.yaml': job('registry.invalid/e2e/migrate:2')}, 'migrate 2')
    await kubectl(['patch', 'applications.argoproj.io', app, '-n', NS, '--type', 'merge', '-p', JSON.stringify({spec: {source: {targetRevision: shaB}}})])
    const failed = await waitForApp(app, 'auto-sync at B failed', (a) => ['Failed', 'Error'].includes(a.status?.operationState?.phase) && !a.operation)
    record(S, 'before (sync Failed)', failed)
    const jobResult = failed.status.operationState.syncResult.resources.find((r: any) => r.kind === 'Job')
    expect(jobResult.message).to.match(/field is immutable/)
  })

  it('`explain` names retry-sync; `retry-sync --yes` re-creates the Job: Synced', async () => {
    const explain = await run(S, ['explain', app])
    expect(explain.stdout).to.include(`$ kubectl argo-doctor retry-sync ${app} -n argocd --force`)
    const oldUid = JSON.parse(await kubectl(['get', 'job', 'migrate', '-n', ns, '-o', 'json'])).metadata.uid
    const retry = run(S, ['retry-sync', app, '--yes', '--timeout', '120s'])
    // The job controller: the re-created Job runs to completion. (v3.2 calls a Job without status Progressing, so
    // retry-sync, which follows the sync until the app is healthy, would wait for ever without it.)
    const deadline = Date.now() + 90_000
    while ((await waitForObject(['job', 'migrate', '-n', ns])).metadata.uid === oldUid) {
      if (Date.now() > deadline) throw new Error('retry-sync never re-created the Job')
      await new Promise((res) => setTimeout(res, 400))
    }

    await completeJob(ns, 'migrate')
    const r = await retry
    expect(r.stdout).to.match(/Retried: batch\/Job .*migrate — an immutable field changed/)
    expect(r.stdout).to.match(/✔ Sync Succeeded/)
    const after = await waitForApp(app, 'Synced', (a) => a.status?.sync?.status === 'Synced')
    record(S, 'after retry-sync', after)
    const op = after.status.operationState.operation.sync
    expect(op.syncOptions).to.include('Replace=true')
    expect(op.resources).to.deep.equal([{group: 'batch', kind: 'Job', name: 'migrate', namespace: ns}])
    expect(after.spec.syncPolicy.syncOptions).to.deep.equal(['CreateNamespace=true'])
    const live = JSON.parse(await kubectl(['get', 'job', 'migrate', '-n', ns, '-o', 'json']))
    expect(live.spec.template.spec.containers[0].image).to.equal('registry.invalid/e2e/migrate:2')
  })
})

describe('argocd tier S14c: `pause-sync --self-heal-only` while self-heal would revert a live hotfix', () => {
  const S = 'S14c pause-sync'
  const ns = uniq('s10c-hotfix')
  const app = `${ns}-app`
  const cm = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'flags'}, data: {checkout: 'enabled'}}
  const live = async () => JSON.parse(await kubectl(['get', 'configmap', 'flags', '-n', ns, '-o', 'json'])).data.checkout
  const hotfix = () => kubectl(['patch', 'configmap', 'flags', '-n', ns, '--type', 'merge', '-p', '{"data":{"checkout":"disabled"}}'])

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(() => deleteApps(app))

  it('self-heal reverts a live hotfix', async () => {
    const sha = await gitPut(`apps/${ns}`, {'flags.yaml': cm}, 'flags')
    await createApp(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {automated: {selfHeal: true}, syncOptions: ['CreateNamespace=true']}})
    await waitForApp(app, 'Synced', (a) => a.status?.sync?.status === 'Synced' && a.status?.operationState?.phase === 'Succeeded')
    await hotfix()
    await waitForApp(app, 'self-heal reverted the hotfix', (a) => a.status?.sync?.status === 'Synced' && a.status?.operationState?.phase === 'Succeeded' && Boolean(a.status?.operationState?.operation?.sync?.autoHealAttemptsCount ?? a.status?.operationState?.operation?.sync?.resources))
    // The app's status can say Synced a moment before the ConfigMap read here shows the revert.
    const deadline = Date.now() + 30_000
    while (await live() !== 'enabled' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500))
    expect(await live()).to.equal('enabled')
  })

  it('`pause-sync --self-heal-only --yes`: the hotfix stays (OutOfSync); explain says who paused it', async () => {
    const r = await run(S, ['pause-sync', app, '--self-heal-only', '--yes', '--reason', 'checkout disabled during incident'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect((await getApp(app)).spec.syncPolicy.automated).to.deep.equal({selfHeal: false})
    await hotfix()
    const drifted = await waitForApp(app, 'OutOfSync with the hotfix', (a) => a.status?.sync?.status === 'OutOfSync')
    await new Promise((r) => setTimeout(r, 12_000))
    record(S, 'hotfix kept', await getApp(app))
    expect(await live()).to.equal('disabled')
    expect(drifted.status.sync.status).to.equal('OutOfSync')
    const explain = await run(S, ['explain', app])
    expect(explain.stdout).to.match(/Self-heal paused by argo-doctor/)
    expect(explain.stdout).to.include(`resume-sync ${app} -n argocd`)
  })

  it('`resume-sync --yes` puts self-heal back; Argo CD reverts the hotfix', async () => {
    const r = await run(S, ['resume-sync', app, '--yes', '--timeout', '60s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect((await getApp(app)).spec.syncPolicy.automated).to.deep.equal({selfHeal: true})
    await waitForApp(app, 'self-heal synced it back', (a) => a.status?.sync?.status === 'Synced')
    expect(await live()).to.equal('enabled')
  })
})
