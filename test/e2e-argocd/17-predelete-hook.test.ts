/**
 * A PreDelete hook that never completes (Argo CD v3.3+, argo-cd#22288): an app whose Git holds a
 * Job annotated argocd.argoproj.io/hook: PreDelete gets the finalizer
 * pre-delete-finalizer.argocd.argoproj.io; when the app is deleted the real controller creates the
 * hook Job and waits for it before deleting anything, silently (no condition). The Job's pod hangs
 * (nothing runs pods here; the test plays the job controller: the Job is active and never
 * finishes). `explain` names the hook and `unblock-delete`, which removes only the pre-delete
 * finalizer (the PreDelete hooks are skipped, the cascading delete goes on); the real controller
 * then deletes the app's resources and the app. v3.2 has no PreDelete hooks: skipped there.
 */
import {expect} from 'chai'
import {appExists, apply, appManifest, argocdAtLeast, configMap, getApp, gitPut, heading, hookJob, kubectl, NS, record, recordText, requireArgocd, run, sleep, startJob, uniq, waitForApp, waitForObject} from './support.js'

const S = 'S17 predelete'
/** Past the 10-minute hook threshold since the deletion, while the controller's last reconcile (every 10s here) is still recent. */
let tenMinutesOn: () => Record<string, string>
const PRE_DELETE = 'pre-delete-finalizer.argocd.argoproj.io'
const CASCADE = 'resources-finalizer.argocd.argoproj.io/background'
const HOOK = 'drain'

describe('argocd tier S17: a PreDelete hook that never completes (3.3+), explained and unblocked by `unblock-delete`', () => {
  const ns = uniq('s17-pre')
  const app = `${ns}-app`
  let deletedAt: string

  before(function () {
    requireArgocd()
    if (!argocdAtLeast(3)) this.skip() // PreDelete hooks arrived in v3.3
  })
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(async () => {
    await kubectl(['patch', 'applications.argoproj.io', app, '-n', NS, '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']).catch(() => undefined)
  })

  it('reproduces it: the app is deleted; the controller runs the PreDelete Job, which never finishes, and deletes nothing', async () => {
    const hook = hookJob(HOOK, 'PreDelete') as any
    delete hook.metadata.annotations['argocd.argoproj.io/hook-delete-policy']
    const sha = await gitPut(`apps/${ns}`, {'settings.yaml': configMap('settings'), 'drain.yaml': hook})
    const manifest = appManifest(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true']}}) as any
    manifest.metadata.finalizers = [CASCADE]
    await apply(manifest)
    const synced = await waitForApp(app, 'synced, with the pre-delete finalizer', (a) => a.status?.operationState?.phase === 'Succeeded' && (a.metadata.finalizers ?? []).includes(PRE_DELETE))
    record(S, 'synced', synced)
    await kubectl(['delete', 'applications.argoproj.io', app, '-n', NS, '--wait=false'])
    await waitForObject(['job', HOOK, '-n', ns], 60_000)
    await startJob(ns, HOOK)
    // The controller goes on reconciling the deleting app (the hook is still running, so nothing else
    // happens); "10 minutes on" below must find that reconcile recent, as on a live cluster where the
    // controller keeps reconciling: wait for one well after the deletion (the periodic resync comes
    // every 10s here but not always within a fixed sleep; a refresh request asks for one now).
    await sleep(6000)
    await kubectl(['annotate', 'applications.argoproj.io', app, '-n', NS, 'argocd.argoproj.io/refresh=normal', '--overwrite'])
    const stuck = await waitForApp(app, 'reconciled during the deletion', (a) => Date.parse(a.status?.reconciledAt ?? '') >= Date.parse(a.metadata.deletionTimestamp) + 5000)
    record(S, 'before (deleting)', stuck)
    deletedAt = stuck.metadata.deletionTimestamp
    tenMinutesOn = () => ({ARGO_DOCTOR_NOW: new Date(Date.parse(deletedAt) + 605_000).toISOString()})
    expect(stuck.metadata.finalizers).to.include(PRE_DELETE)
    expect(await kubectl(['get', 'configmap', 'settings', '-n', ns, '-o', 'name'])).to.equal('configmap/settings')
  })

  it('`explain` (10 minutes on): the deletion waits for the PreDelete hook Job; the fix is `unblock-delete`', async () => {
    const later = tenMinutesOn()
    const r = await run(S, ['explain', app], later)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include('(deletion-stuck-finalizer)')
    expect(r.stdout).to.include('PreDelete hooks must complete')
    expect(r.stdout).to.include(`$ kubectl argo-doctor unblock-delete ${app} -n argocd`)
    expect(r.stdout, 'the running hook Job is not a resource to prune').to.not.include('waiting to be pruned')
  })

  it('`unblock-delete --yes`: removes only the pre-delete finalizer; the real controller then deletes the resources and the app', async () => {
    const later = tenMinutesOn()
    const r = await run(S, ['unblock-delete', app, '--yes'], later)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include(`Remove finalizers ${PRE_DELETE}, ${PRE_DELETE}/cleanup from ${app}`)
    expect(r.stdout).to.not.match(/Remove finalizers? [^\n]*resources-finalizer/)
    const deadline = Date.now() + 60_000
    while (await appExists(app)) {
      if (Date.now() > deadline) throw new Error(`${app} still exists 60s after unblock-delete: ${JSON.stringify((await getApp(app)).metadata.finalizers)}`)
      await sleep(400)
    }

    recordText(S, 'after', `Application ${app} is gone`)
    expect(await kubectl(['get', 'configmap', 'settings', '-n', ns, '--ignore-not-found', '-o', 'name']), 'the cascading delete ran').to.equal('')
  })
})
