/**
 * Sync windows on the real controller.
 * (a) A deny window that is open now holds a manual sync: the operation stays Running with "Sync
 *     operation blocked by sync window". `explain` names the window and says to allow manual syncs
 *     in it; doing that (what `argocd proj windows enable-manual-sync` writes) lets the held sync
 *     finish by itself.
 * (b) A deny window that starts while a sync is running (a PreSync hook still busy): without
 *     `syncOverrun` the rest of the sync is held once the hook finishes; with `syncOverrun: true`
 *     (Argo CD 3.5+) it runs on. `explain` on the held one names syncOverrun, and setting it lets the
 *     held sync finish. Argo CD before 3.5 has no such field (its CRD drops it): both are held.
 */
import {expect} from 'chai'
import {
  abridged, apply, argocdAtLeast, ARGOCD_VERSION, completeJob, configMap, createApp, deleteApps, getApp, gitPut, heading, kubectl, NS, project, record,
  recordText, reproduceHangingHook, requestSync, requireArgocd, run, sleep, uniq, waitForApp,
} from './support.js'

const S = 'S10 sync-window'
const BLOCKED = 'Sync operation blocked by sync window'

async function deleteProjects(...names: string[]): Promise<void> {
  for (const name of names) await kubectl(['delete', 'appprojects.argoproj.io', name, '-n', NS, '--ignore-not-found', '--wait=false']).catch(() => undefined)
}

describe('argocd tier S10: a sync window holds a sync; fixed by what `explain` names (manual syncs, syncOverrun)', () => {
  const ns = uniq('s10-window')
  const held = `${ns}-held`
  const proj = `${ns}-deny`

  before(requireArgocd)
  before(() => heading(S, `app ${held}, project ${proj}, namespace ${ns} (Argo CD ${ARGOCD_VERSION})`))
  after(async () => {
    await deleteApps(held)
    await deleteProjects(proj)
  })

  it('reproduces (a): a deny window open now holds a manual sync ("blocked by sync window")', async () => {
    await apply(project(proj, [{kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['*'], timeZone: 'UTC'}]))
    const sha = await gitPut(`apps/${ns}`, {'config.yaml': configMap('settings')})
    await createApp(held, {project: proj, path: `apps/${ns}`, revision: sha, namespace: ns})
    await waitForApp(held, 'first reconcile (OutOfSync)', (a) => a.status?.sync?.status === 'OutOfSync')
    await requestSync(held, sha, ['CreateNamespace=true'])
    const stuck = await waitForApp(held, BLOCKED, (a) => a.status?.operationState?.phase === 'Running' && a.status.operationState.message === BLOCKED)
    record(S, 'before (held by the window)', stuck)
    await sleep(12_000) // a periodic pass later it is still held
    expect(abridged(await getApp(held))).to.include({phase: 'Running', message: BLOCKED, operation: true})
  })

  it('`explain` names the window and says to allow manual syncs in it (or wait)', async () => {
    const r = await run(S, ['explain', held])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include('(sync-window-blocked)')
    expect(r.stdout).to.include(`AppProject ${proj} spec.syncWindows[0]`).and.include('open now')
    expect(r.stdout).to.include(`argocd proj windows list ${proj}`)
    expect(r.stdout).to.include(`argocd proj windows enable-manual-sync ${proj} <id>`)
  })

  it('allowing manual syncs in the window (what enable-manual-sync writes) lets the held sync finish', async () => {
    await kubectl(['patch', 'appprojects.argoproj.io', proj, '-n', NS, '--type', 'json', '-p', JSON.stringify([{op: 'add', path: '/spec/syncWindows/0/manualSync', value: true}])])
    // The sync status follows the operation's end by a reconcile: wait for both.
    const after = await waitForApp(held, 'sync finished', (a) => a.status?.operationState?.phase === 'Succeeded' && !a.operation && a.status.sync?.status === 'Synced')
    record(S, 'after manualSync: true', after)
    expect(abridged(after)).to.include({phase: 'Succeeded', operation: false, sync: 'Synced'})
    const r = await run(S, ['explain', held])
    expect(r.stdout).not.to.include('(sync-window-blocked)')
  })
})

describe('argocd tier S10b: a deny window starts during a sync, with and without `syncOverrun`', () => {
  const ns = uniq('s10-overrun')
  const plain = `${ns}-plain`
  const overrun = `${ns}-overrun`
  const HOOK = 'db-migrate'
  let window: Record<string, unknown>

  before(requireArgocd)
  before(() => heading(S, `apps ${plain}, ${overrun}; namespaces ${ns}-p, ${ns}-o (Argo CD ${ARGOCD_VERSION})`))
  after(async () => {
    await deleteApps(plain, overrun)
    await deleteProjects(plain, overrun)
  })

  it('reproduces (b): both syncs wait on a PreSync hook; then a deny window starts (one with syncOverrun on 3.5+)', async function () {
    this.timeout(240_000)
    await apply(project(plain))
    await apply(project(overrun))
    await reproduceHangingHook(plain, `${ns}-p`, HOOK, plain)
    await reproduceHangingHook(overrun, `${ns}-o`, HOOK, overrun)
    // A daily deny window starting at the next full minute (UTC): closed when the syncs started, open from then on.
    const start = new Date(Math.ceil((Date.now() + 1000) / 60_000) * 60_000)
    window = {kind: 'deny', schedule: `${start.getUTCMinutes()} ${start.getUTCHours()} * * *`, duration: '1h', applications: ['*'], timeZone: 'UTC'}
    await kubectl(['patch', 'appprojects.argoproj.io', plain, '-n', NS, '--type', 'merge', '-p', JSON.stringify({spec: {syncWindows: [window]}})])
    const withOverrun = ['patch', 'appprojects.argoproj.io', overrun, '-n', NS, '--type', 'merge', '-p', JSON.stringify({spec: {syncWindows: [{...window, syncOverrun: true}]}})]
    if (argocdAtLeast(5)) {
      await kubectl(withOverrun)
    } else {
      // The CRD before 3.5 has no such field: the API server drops it (structural schema pruning).
      await kubectl(withOverrun)
      const stored = JSON.parse(await kubectl(['get', 'appprojects.argoproj.io', overrun, '-n', NS, '-o', 'json'])).spec.syncWindows[0]
      recordText(S, 'syncOverrun before 3.5', `stored window: ${JSON.stringify(stored)}`)
      expect(stored).not.to.have.property('syncOverrun')
    }

    while (Date.now() < start.getTime() + 2000) await sleep(500)
    await completeJob(`${ns}-p`, HOOK)
    await completeJob(`${ns}-o`, HOOK)
  })

  it(`with syncOverrun the sync runs on into the window (3.5+); without it the rest of the sync is held`, async () => {
    const held = await waitForApp(plain, BLOCKED, (a) => a.status?.operationState?.phase === 'Running' && a.status.operationState.message === BLOCKED)
    record(S, 'without syncOverrun', held)
    if (argocdAtLeast(5)) {
      const ran = await waitForApp(overrun, 'sync finished', (a) => a.status?.operationState?.phase === 'Succeeded')
      record(S, 'with syncOverrun', ran)
      expect(abridged(ran)).to.include({phase: 'Succeeded', operation: false})
    } else {
      const also = await waitForApp(overrun, BLOCKED, (a) => a.status?.operationState?.message === BLOCKED)
      record(S, 'no syncOverrun before 3.5', also)
    }
  })

  it('`explain` on the held sync names the window and syncOverrun', async () => {
    const r = await run(S, ['explain', plain])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include('(sync-window-blocked)')
    // The controller's version is read live, so the step says what this release does (syncOverrun exists from v3.5).
    expect(r.stdout.replace(/\s+/g, ' ')).to.include(argocdAtLeast(5)
      ? `This controller runs Argo CD ${ARGOCD_VERSION}: so that syncs already running when a deny window starts can finish instead of being held, set syncOverrun: true on the window (argo-cd#25510).`
      : `This controller runs Argo CD ${ARGOCD_VERSION}: a sync already running when a deny window starts is always held; the window's syncOverrun: true, which lets it finish, needs Argo CD v3.5+ (argo-cd#25510).`)
  })

  it('setting syncOverrun: true on the window (3.5+) lets the held sync finish', async function () {
    if (!argocdAtLeast(5)) {
      recordText(S, 'syncOverrun fix', `not available on Argo CD ${ARGOCD_VERSION}`)
      return
    }

    await kubectl(['patch', 'appprojects.argoproj.io', plain, '-n', NS, '--type', 'json', '-p', JSON.stringify([{op: 'add', path: '/spec/syncWindows/0/syncOverrun', value: true}])])
    const after = await waitForApp(plain, 'sync finished', (a) => a.status?.operationState?.phase === 'Succeeded')
    record(S, 'after syncOverrun: true', after)
    expect(abridged(after)).to.include({phase: 'Succeeded', operation: false})
  })
})
