/**
 * A Job (not a hook) whose pod template changed in Git: Kubernetes refuses the apply ("field is
 * immutable") and the real controller's sync fails on every attempt. `explain` names the Job and
 * the fix: delete it once (the kubectl command it prints) or let Argo CD replace it, then
 * `force-presync`; that sync creates the Job from the new template.
 */
import {expect} from 'chai'
import {abridged, completeJob, createApp, deleteApps, gitPut, heading, kubectl, record, requestSync, requireArgocd, run, uniq, waitForApp, waitForObject} from './support.js'

const S = 'S12 immutable-job'

function job(image: string): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: {name: 'report'},
    spec: {backoffLimit: 0, template: {spec: {restartPolicy: 'Never', containers: [{name: 'report', image}]}}},
  }
}

describe('argocd tier S12: a Job whose template changed (immutable), fixed by deleting it once and `force-presync`', () => {
  const ns = uniq('s12-job')
  const app = `${ns}-app`
  let deleteLine: string | undefined

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(async () => deleteApps(app))

  it('reproduces it: the Job synced at v1; Git changes its image; the sync fails with "field is immutable"', async () => {
    const c1 = await gitPut(`apps/${ns}`, {'job.yaml': job('registry.invalid/e2e/report:1')})
    await createApp(app, {path: `apps/${ns}`, revision: c1, namespace: ns, syncPolicy: {syncOptions: ['CreateNamespace=true']}})
    await waitForApp(app, 'first reconcile', (a) => a.status?.sync?.status === 'OutOfSync')
    await requestSync(app, c1, ['CreateNamespace=true'])
    await waitForObject(['job', 'report', '-n', ns])
    await completeJob(ns, 'report')
    await waitForApp(app, 'first sync Succeeded', (a) => a.status?.operationState?.phase === 'Succeeded' && !a.operation)
    const c2 = await gitPut(`apps/${ns}`, {'job.yaml': job('registry.invalid/e2e/report:2')}, 'e2e: report v2')
    await kubectl(['patch', 'applications.argoproj.io', app, '-n', 'argocd', '--type', 'merge', '-p', JSON.stringify({spec: {source: {targetRevision: c2}}})])
    await waitForApp(app, 'OutOfSync at c2', (a) => a.status?.sync?.revision === c2 && a.status?.sync?.status === 'OutOfSync')
    await requestSync(app, c2, ['CreateNamespace=true'])
    const failed = await waitForApp(app, 'sync failed', (a) => ['Failed', 'Error'].includes(a.status?.operationState?.phase) && !a.operation)
    record(S, 'before (immutable)', failed)
    const res = (failed.status.operationState.syncResult?.resources ?? []).find((r: {kind: string}) => r.kind === 'Job')
    expect(`${failed.status.operationState.message} ${res?.message ?? ''}`).to.match(/field is immutable/)
  })

  it('`explain` names the Job, the kubectl delete that clears it and the sync to run after', async () => {
    const r = await run(S, ['explain', app])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include('(sync-failed-immutable-field)').and.include('(Job report)')
    deleteLine = r.stdout.split('\n').map((l) => l.trim()).map((l) => /kubectl delete job(?:\.batch)? report -n \S+/.exec(l)?.[0]).find(Boolean)
    expect(deleteLine, r.stdout).to.equal(`kubectl delete job.batch report -n ${ns}`)
    expect(r.stdout).to.include(`kubectl argo-doctor force-presync ${app} -n argocd`)
  })

  it('the printed `kubectl delete`, then `force-presync --yes`: the Job is created from the new template', async () => {
    await kubectl(deleteLine!.split(' ').slice(1))
    const sync = run(S, ['force-presync', app, '--yes', '--reason', 'report Job replaced', '--timeout', '90s'])
    const r = await sync
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/✔ Sync Succeeded/)
    const after = await waitForApp(app, 'Synced', (a) => a.status?.operationState?.phase === 'Succeeded' && !a.operation && a.status.sync?.status === 'Synced')
    record(S, 'after (Job recreated)', after)
    expect(abridged(after)).to.include({phase: 'Succeeded', operation: false, sync: 'Synced'})
    const live = JSON.parse(await kubectl(['get', 'job', 'report', '-n', ns, '-o', 'json']))
    expect(live.spec.template.spec.containers[0].image).to.equal('registry.invalid/e2e/report:2')
  })
})
