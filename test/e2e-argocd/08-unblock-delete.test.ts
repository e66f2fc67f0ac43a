/**
 * Stuck deletions on the real controller.
 * (a) The destination cluster is unreachable (its cluster Secret still points at it): every
 *     deletion attempt fails with a DeletionError; `unblock-delete` removes the resources finalizer.
 * (b) The cluster Secret is removed as well: Argo CD v3.2 then drops its finalizers itself
 *     ("Resource entries removed from undefined cluster") — the real behaviour unblock-delete's
 *     advice follows.
 * (c) A hook resource that kept `argocd.argoproj.io/hook-finalizer` (argo-cd #29464, played here by
 *     putting the finalizer back): the cascading delete waits for ever without any error;
 *     `unblock-delete` refuses to touch the app and prints the guarded kubectl command for the hook,
 *     which finishes the deletion.
 */
import {expect} from 'chai'
import {apply, appExists, configMap, createApp, deleteApps, getApp, gitPut, heading, kubectl, NS, record, recordText, REPO, requireArgocd, run, sleep, uniq, waitForApp, waitForObject} from './support.js'

const S = 'S8 unblock-delete'
const FINALIZER = 'resources-finalizer.argocd.argoproj.io'

async function waitGone(name: string, timeoutMs = 90_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!(await appExists(name))) return true
    await sleep(500)
  }

  return false
}

describe('argocd tier S8: stuck Application deletions, fixed by `unblock-delete`', () => {
  const ns = uniq('s8-delete')
  const server = 'https://127.0.0.1:9' // nothing listens there: the cluster is gone
  const secret = `${ns}-cluster`
  const unreachable = `${ns}-unreachable`
  const selfHealed = `${ns}-secret-gone`
  const leak = `${ns}-hook-leak`
  let sha: string

  before(requireArgocd)
  before(() => heading(S, `apps ${unreachable}, ${selfHealed}, ${leak}; namespace ${ns}`))
  after(async () => {
    await kubectl(['delete', 'secret', secret, '-n', NS, '--ignore-not-found']).catch(() => undefined)
    for (const name of [unreachable, selfHealed, leak]) {
      await kubectl(['patch', 'applications.argoproj.io', name, '-n', NS, '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']).catch(() => undefined)
    }

    await deleteApps(unreachable, selfHealed, leak)
  })

  const remoteApp = (name: string) => ({
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
    metadata: {name, namespace: NS, finalizers: [FINALIZER]},
    spec: {project: 'default', source: {repoURL: REPO, targetRevision: sha, path: `apps/${ns}`}, destination: {server, namespace: ns}},
  })

  it('reproduces (a): an app on a cluster that went away is deleted; every attempt fails with a DeletionError', async () => {
    sha = await gitPut(`apps/${ns}`, {'config.yaml': configMap('settings')})
    await apply({
      apiVersion: 'v1', kind: 'Secret',
      metadata: {name: secret, namespace: NS, labels: {'argocd.argoproj.io/secret-type': 'cluster'}},
      stringData: {name: `${ns}-edge`, server, config: JSON.stringify({bearerToken: 'e2e', tlsClientConfig: {insecure: true}})},
    })
    await apply(remoteApp(unreachable))
    await apply(remoteApp(selfHealed))
    await waitForApp(unreachable, 'first reconcile', (a) => a.status?.reconciledAt !== undefined || (a.status?.conditions ?? []).length > 0)
    await kubectl(['delete', 'applications.argoproj.io', unreachable, selfHealed, '-n', NS, '--wait=false'])
    const stuck = await waitForApp(unreachable, 'DeletionError', (a) => (a.status?.conditions ?? []).some((c: {type: string}) => c.type === 'DeletionError'))
    record(S, 'before (deleting, unreachable)', stuck)
    const error = stuck.status.conditions.find((c: {type: string}) => c.type === 'DeletionError').message
    recordText(S, 'DeletionError', error)
    expect(error).to.match(/connection refused|dial tcp|failed to sync cluster/)
    expect(stuck.metadata.finalizers).to.deep.equal([FINALIZER])
  })

  it('`explain` names unblock-delete', async () => {
    const r = await run(S, ['explain', unreachable])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include('(deletion-stuck-finalizer)').and.include(`$ kubectl argo-doctor unblock-delete ${unreachable} -n argocd`)
  })

  it('`unblock-delete --dry-run` shows the finalizer going and changes nothing; `--yes` removes it and the app is gone', async () => {
    const dry = await run(S, ['unblock-delete', unreachable, '--dry-run'])
    expect(dry.exitCode, dry.stdout + dry.stderr).to.equal(0)
    expect(dry.stdout).to.match(/cannot be reached/)
    expect(dry.stdout).to.include(`"op":"test","path":"/metadata/finalizers/0","value":"${FINALIZER}"`)
    expect((await getApp(unreachable)).metadata.finalizers).to.deep.equal([FINALIZER])
    const r = await run(S, ['unblock-delete', unreachable, '--yes', '--timeout', '30s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include('✔ The Application is gone: its deletion finished.')
    expect(await appExists(unreachable)).to.equal(false)
    recordText(S, `after unblock-delete`, `${unreachable} is gone`)
  })

  it('(b) with the cluster Secret removed too, Argo CD v3.2 drops its finalizers itself', async () => {
    await waitForApp(selfHealed, 'DeletionError', (a) => (a.status?.conditions ?? []).some((c: {type: string}) => c.type === 'DeletionError'))
    await kubectl(['delete', 'secret', secret, '-n', NS])
    const gone = await waitGone(selfHealed)
    recordText(S, 'after the Secret is removed', gone ? `${selfHealed} deleted by the controller itself` : `${selfHealed} still there`)
    expect(gone, 'the controller removes the finalizers of an app whose cluster is not configured').to.equal(true)
  })

  it('reproduces (c): a hook resource kept Argo CD\'s hook finalizer; the cascading delete waits without an error', async () => {
    const hookNs = `${ns}-hook`
    const c = await gitPut(`apps/${hookNs}`, {
      'config.yaml': configMap('settings'),
      'post.yaml': configMap('post-sync-marker', {k: 'v'}, {'argocd.argoproj.io/hook': 'PostSync'}),
    })
    await createApp(leak, {path: `apps/${hookNs}`, revision: c, namespace: hookNs, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true']}})
    await waitForObject(['configmap', 'post-sync-marker', '-n', hookNs])
    await waitForApp(leak, 'synced', (a) => a.status?.operationState?.phase === 'Succeeded')
    await kubectl(['patch', 'applications.argoproj.io', leak, '-n', NS, '--type', 'merge', '-p', JSON.stringify({metadata: {finalizers: [FINALIZER]}})])
    // The leak of #29464: the hook finalizer stays on the completed hook.
    await kubectl(['patch', 'configmap', 'post-sync-marker', '-n', hookNs, '--type', 'merge', '-p', JSON.stringify({metadata: {finalizers: ['argocd.argoproj.io/hook-finalizer']}})])
    await kubectl(['delete', 'applications.argoproj.io', leak, '-n', NS, '--wait=false'])
    await waitForObject(['configmap', 'post-sync-marker', '-n', hookNs])
    const deadline = Date.now() + 60_000
    let hook: any
    while (Date.now() < deadline) {
      hook = JSON.parse(await kubectl(['get', 'configmap', 'post-sync-marker', '-n', hookNs, '-o', 'json']))
      if (hook.metadata.deletionTimestamp) break
      await sleep(500)
    }

    expect(hook.metadata.deletionTimestamp, 'the controller deleted the hook (cascade)').to.be.a('string')
    await sleep(12_000) // a periodic pass later it is still there
    const stuck = await getApp(leak)
    record(S, 'before (hook finalizer leak)', stuck)
    expect(stuck.metadata.finalizers).to.include(FINALIZER)
  })

  it('`unblock-delete` refuses to touch the app and prints the kubectl command for the hook; running it finishes the deletion', async () => {
    const r = await run(S, ['unblock-delete', leak, '--dry-run'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(14)
    expect(r.stdout).to.include(`ConfigMap ${ns}-hook/post-sync-marker`).and.include('#29464')
    const line = r.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('kubectl patch configmap post-sync-marker'))
    expect(line, r.stdout).to.be.a('string')
    const patch = /-p '(.*)'$/.exec(line!)![1]
    await kubectl(['patch', 'configmap', 'post-sync-marker', '-n', `${ns}-hook`, '--type', 'json', '-p', patch])
    expect(await waitGone(leak), 'the controller finished the deletion').to.equal(true)
    recordText(S, 'after the printed kubectl', `${leak} is gone`)
  })
})
