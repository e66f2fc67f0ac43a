/**
 * A deletion held by a finalizer on a managed resource, not on the app: the app (cascading delete,
 * resources-finalizer …/background) is deleted; the real controller deletes its ConfigMap, which
 * another controller's finalizer keeps (here: a finalizer nothing will ever remove, as when the
 * controller that owns it was uninstalled). The app stays, without any error. `explain` calls the
 * deletion stuck and names `unblock-delete`, which refuses to touch the app, names the ConfigMap
 * and its finalizer, and prints the guarded kubectl command; run, it lets the real controller
 * finish the deletion by itself.
 */
import {expect} from 'chai'
import {appExists, apply, appManifest, configMap, getApp, gitPut, heading, kubectl, NS, record, recordText, requireArgocd, run, sleep, uniq, waitForApp, waitForObject} from './support.js'

const S = 'S16 resource-finalizer'
const APP_FINALIZER = 'resources-finalizer.argocd.argoproj.io/background'
const FOREIGN = 'e2e.argo-doctor.invalid/backup'

describe('argocd tier S16: a deletion held by a finalizer on a managed resource, explained and unblocked by the command `unblock-delete` prints', () => {
  const ns = uniq('s16-fin')
  const app = `${ns}-app`
  let deletedAt: string
  let printed: string

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(async () => {
    await kubectl(['patch', 'configmap', 'settings', '-n', ns, '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']).catch(() => undefined)
    await kubectl(['patch', 'applications.argoproj.io', app, '-n', NS, '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']).catch(() => undefined)
  })

  it('reproduces it: the app is deleted, its ConfigMap is Terminating under a finalizer of its own, the app stays', async () => {
    const sha = await gitPut(`apps/${ns}`, {'settings.yaml': configMap('settings', {level: 'info'})})
    const manifest = appManifest(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true']}}) as any
    manifest.metadata.finalizers = [APP_FINALIZER]
    await apply(manifest)
    await waitForApp(app, 'synced', (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.status === 'Synced')
    // Another controller's finalizer on the live object (a backup operator, say), which it removes once its cleanup is done.
    await kubectl(['patch', 'configmap', 'settings', '-n', ns, '--type', 'json', '-p', JSON.stringify([{op: 'add', path: '/metadata/finalizers', value: [FOREIGN]}])])
    await kubectl(['delete', 'applications.argoproj.io', app, '-n', NS, '--wait=false'])
    const cm = await waitForObject(['configmap', 'settings', '-n', ns])
    const deadline = Date.now() + 60_000
    while (!(await waitForObject(['configmap', 'settings', '-n', ns])).metadata.deletionTimestamp) {
      if (Date.now() > deadline) throw new Error(`the controller never deleted the ConfigMap: ${JSON.stringify(cm.metadata)}`)
      await sleep(400)
    }

    await sleep(12_000) // a resync or two: nothing moves
    const stuck = await getApp(app)
    record(S, 'before (deleting)', stuck)
    deletedAt = stuck.metadata.deletionTimestamp
    expect(stuck.metadata.finalizers).to.deep.equal([APP_FINALIZER])
    expect((stuck.status.conditions ?? []).map((c: {type: string}) => c.type)).to.not.include('DeletionError')
  })

  it('`explain` (6 minutes on): the deletion is stuck and `unblock-delete` is the command; `unblock-delete` names the ConfigMap and prints the guarded command', async () => {
    const later = {ARGO_DOCTOR_NOW: new Date(Date.parse(deletedAt) + 6 * 60_000).toISOString()}
    const r = await run(S, ['explain', app], later)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include('(deletion-stuck-finalizer)')
    expect(r.stdout).to.include(`$ kubectl argo-doctor unblock-delete ${app} -n argocd`)
    const u = await run(S, ['unblock-delete', app, '--yes'], later)
    expect(u.stdout).to.include('refused').and.include(`ConfigMap ${ns}/settings [${FOREIGN}]`)
    const m = /kubectl patch configmap settings -n \S+ --type json -p '[^']+'/.exec(u.stdout)
    expect(m, u.stdout).to.not.equal(null)
    printed = m![0]
    expect(printed).to.include(`"value":"${FOREIGN}"`)
    expect((await getApp(app)).metadata.finalizers, 'unblock-delete refused: the app keeps its finalizer').to.deep.equal([APP_FINALIZER])
  })

  it('the printed command (once the finalizer\'s owner is known to be gone) lets the real controller finish the deletion', async () => {
    const args = printed.replace(/^kubectl /, '').match(/'[^']*'|\S+/g)!.map((a) => a.replace(/^'(.*)'$/, '$1'))
    await kubectl(args)
    const deadline = Date.now() + 60_000
    while (await appExists(app)) {
      if (Date.now() > deadline) throw new Error(`${app} still exists 60s after the ConfigMap's finalizer was removed`)
      await sleep(400)
    }

    recordText(S, 'after', `Application ${app} is gone; ConfigMap ${ns}/settings: ${(await kubectl(['get', 'configmap', 'settings', '-n', ns, '--ignore-not-found', '-o', 'name'])) || 'gone'}`)
    expect(await kubectl(['get', 'configmap', 'settings', '-n', ns, '--ignore-not-found', '-o', 'name'])).to.equal('')
  })
})
