/**
 * App-level `Prune=confirm` (spec.syncPolicy.syncOptions, Argo CD 3.4+): every prune of the app waits
 * for approval, not only resources annotated one by one. A ConfigMap removed from Git: the auto-sync
 * stops at "waiting for pruning confirmation of …"; `explain` names `approve-prune` (with the
 * app-level option as evidence); `approve-prune --yes` lets the same sync prune it. Before 3.4 the
 * app-level option is ignored and the ConfigMap is pruned at once.
 */
import {expect} from 'chai'
import {abridged, argocdAtLeast, ARGOCD_VERSION, configMap, createApp, deleteApps, gitPut, heading, kubectl, record, recordText, requireArgocd, run, uniq, waitForApp, waitForObject} from './support.js'

const S = 'S13 app Prune=confirm'

describe('argocd tier S13: app-level Prune=confirm (3.4+) waits for approval, fixed by `approve-prune`', () => {
  const ns = uniq('s13-confirm')
  const app = `${ns}-app`
  const waiting = /waiting for pruning confirmation of (?:v1)?\/ConfigMap\/old-report/i

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns} (Argo CD ${ARGOCD_VERSION})`))
  after(async () => deleteApps(app))

  it('reproduces it: a ConfigMap removed from Git (3.4+: the auto-sync waits; before 3.4: pruned at once)', async () => {
    const c1 = await gitPut(`apps/${ns}`, {'keep.yaml': configMap('settings'), 'old.yaml': configMap('old-report')})
    await createApp(app, {path: `apps/${ns}`, revision: c1, namespace: ns, syncPolicy: {automated: {prune: true}, syncOptions: ['CreateNamespace=true', 'Prune=confirm']}})
    await waitForObject(['configmap', 'old-report', '-n', ns])
    await waitForApp(app, 'Synced at the first commit', (a) => a.status?.sync?.status === 'Synced' && a.status?.operationState?.phase === 'Succeeded')
    const c2 = await gitPut(`apps/${ns}`, {'keep.yaml': configMap('settings')}, 'e2e: old-report removed')
    await kubectl(['patch', 'applications.argoproj.io', app, '-n', 'argocd', '--type', 'merge', '-p', JSON.stringify({spec: {source: {targetRevision: c2}}})])
    if (!argocdAtLeast(4)) {
      const done = await waitForApp(app, 'pruned without asking', (a) => a.status?.sync?.revision === c2 && a.status?.operationState?.phase === 'Succeeded')
      record(S, 'before 3.4: pruned at once', done)
      return
    }

    const stuck = await waitForApp(app, String(waiting), (a) => a.status?.operationState?.phase === 'Running' && waiting.test(a.status.operationState.message ?? ''))
    record(S, 'before (waits for approval)', stuck)
    expect(JSON.parse(await kubectl(['get', 'configmap', 'old-report', '-n', ns, '-o', 'json'])).metadata.name).to.equal('old-report')
  })

  it('`explain` names approve-prune with the app-level option as evidence (3.4+)', async () => {
    const r = await run(S, ['explain', app])
    if (!argocdAtLeast(4)) {
      expect(r.stdout).not.to.include('(prune-awaiting-confirmation)')
      return
    }

    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include('(prune-awaiting-confirmation)').and.include('Prune=confirm')
    expect(r.stdout).to.include(`$ kubectl argo-doctor approve-prune ${app} -n argocd`)
  })

  it('`approve-prune --yes`: the same sync prunes the ConfigMap and succeeds (3.4+)', async () => {
    if (argocdAtLeast(4)) {
      const r = await run(S, ['approve-prune', app, '--yes', '--timeout', '90s'])
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
      expect(r.stdout).to.match(/✔ Pruned 1 resource; sync Succeeded/)
    }

    const after = await waitForApp(app, 'sync finished', (a) => a.status?.operationState?.phase === 'Succeeded' && !a.operation && a.status.sync?.status === 'Synced')
    record(S, 'after', after)
    expect(abridged(after)).to.include({phase: 'Succeeded', operation: false, sync: 'Synced'})
    const gone = await kubectl(['get', 'configmap', 'old-report', '-n', ns, '--ignore-not-found', '-o', 'name'])
    expect(gone.trim(), 'Argo CD pruned the ConfigMap').to.equal('')
    recordText(S, 'ConfigMap old-report', 'deleted by the controller')
  })
})
