/**
 * `Prune=confirm` on the real controller: a ConfigMap annotated
 * `argocd.argoproj.io/sync-options: Prune=confirm` is removed from Git; the auto-sync (prune on)
 * stops at "waiting for pruning confirmation of /ConfigMap/<name>" and stays Running. `explain`
 * names `approve-prune`; `approve-prune --yes` writes `argocd.argoproj.io/deletion-approved` (what
 * `argocd app confirm-deletion` writes), and the same sync prunes the ConfigMap and succeeds.
 */
import {expect} from 'chai'
import {abridged, configMap, createApp, deleteApps, getApp, gitPut, heading, kubectl, record, recordText, requireArgocd, run, uniq, waitForApp, waitForObject} from './support.js'

const S = 'S6 approve-prune'
const KEY = 'argocd.argoproj.io/deletion-approved'

describe('argocd tier S6: a Prune=confirm resource removed from Git waits for approval, fixed by `approve-prune`', () => {
  const ns = uniq('s6-prune')
  const app = `${ns}-app`
  // v3.2's gitops-engine: "Waiting for pruning confirmation of v1/ConfigMap/…"; newer: "waiting for pruning confirmation of /ConfigMap/…"
  const waiting = /waiting for pruning confirmation of (?:v1)?\/ConfigMap\/legacy-report/i

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(async () => deleteApps(app))

  it('reproduces it: the auto-sync that should prune the ConfigMap waits for confirmation', async () => {
    const c1 = await gitPut(`apps/${ns}`, {
      'keep.yaml': configMap('settings'),
      'legacy.yaml': configMap('legacy-report', {k: 'v'}, {'argocd.argoproj.io/sync-options': 'Prune=confirm'}),
    })
    await createApp(app, {path: `apps/${ns}`, revision: c1, namespace: ns, syncPolicy: {automated: {prune: true}, syncOptions: ['CreateNamespace=true']}})
    await waitForObject(['configmap', 'legacy-report', '-n', ns])
    await waitForApp(app, 'Synced at the first commit', (a) => a.status?.sync?.status === 'Synced' && a.status?.operationState?.phase === 'Succeeded')
    const c2 = await gitPut(`apps/${ns}`, {'keep.yaml': configMap('settings')}, 'e2e: legacy-report removed')
    await kubectl(['patch', 'applications.argoproj.io', app, '-n', 'argocd', '--type', 'merge', '-p', JSON.stringify({spec: {source: {targetRevision: c2}}})])
    const stuck = await waitForApp(app, String(waiting), (a) => a.status?.operationState?.phase === 'Running' && waiting.test(a.status.operationState.message ?? ''))
    record(S, 'before (waits for approval)', stuck)
    expect(stuck.status.resources.find((r: {name: string}) => r.name === 'legacy-report')).to.include({requiresPruning: true})
    expect(stuck.metadata.annotations?.[KEY]).to.equal(undefined)
    expect(JSON.parse(await kubectl(['get', 'configmap', 'legacy-report', '-n', ns, '-o', 'json'])).metadata.name).to.equal('legacy-report')
  })

  it('`explain` says it is waiting for a human, not stuck, and names approve-prune', async () => {
    const r = await run(S, ['explain', app])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include('(prune-awaiting-confirmation)')
    expect(r.stdout).to.include(`$ kubectl argo-doctor approve-prune ${app} -n argocd`)
  })

  it('`approve-prune --dry-run` lists the ConfigMap, read live with its age, and changes nothing', async () => {
    const before = await getApp(app)
    const r = await run(S, ['approve-prune', app, '--dry-run'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(new RegExp(`- ConfigMap ${ns}/legacy-report, live, age \\d+`))
    expect(r.stdout).to.match(/^\+ {4}argocd\.argoproj\.io\/deletion-approved: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m)
    expect(r.stdout).to.include('Dry run: nothing was changed.')
    const after = await getApp(app)
    expect(after.metadata.annotations?.[KEY]).to.equal(undefined)
    expect(after.status.operationState.startedAt).to.equal(before.status.operationState.startedAt)
  })

  it('`approve-prune --yes`: the same sync prunes the ConfigMap and succeeds', async () => {
    const started = (await getApp(app)).status.operationState.startedAt
    const r = await run(S, ['approve-prune', app, '--yes', '--timeout', '90s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/✔ Pruned 1 resource; sync Succeeded/)
    const after = await waitForApp(app, 'sync finished', (a) => a.status?.operationState?.phase === 'Succeeded' && !a.operation && a.status.sync?.status === 'Synced')
    record(S, 'after approve-prune', after)
    expect(abridged(after)).to.include({phase: 'Succeeded', operation: false, sync: 'Synced'})
    expect(after.status.operationState.startedAt, 'the same operation finished (not a new one)').to.equal(started)
    expect(after.metadata.annotations[KEY] >= started).to.equal(true)
    const gone = await kubectl(['get', 'configmap', 'legacy-report', '-n', ns, '--ignore-not-found', '-o', 'name'])
    expect(gone.trim(), 'Argo CD pruned the ConfigMap').to.equal('')
    recordText(S, 'ConfigMap legacy-report', 'deleted by the controller')
  })

  it('afterwards nothing waits: `approve-prune` has nothing to do (exit 13)', async () => {
    const r = await run(S, ['approve-prune', app, '--dry-run'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(13)
  })
})
