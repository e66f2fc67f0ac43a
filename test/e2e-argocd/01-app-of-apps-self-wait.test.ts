/**
 * Seeds 000/001 on the real controller: an App-of-Apps whose directory holds its own Application
 * manifest. The root app (wave 0, auto-sync like the seed) syncs itself, a child Application
 * (wave 0) and a Deployment in wave 1. Every sync applies wave 0 and then waits for the root to be
 * healthy; the root leaves its own manifest out of its health, so its health is that of the rest —
 * and the rest includes the wave-1 Deployment, which only a finished wave 0 would update.
 *
 * How the deadlock starts differs (upstream argo-cd#25962, Argo CD v3.4):
 * - v3.2: a missing Deployment (it has a health check) makes the root Missing, so the very first
 *   sync waits "for healthy state of argoproj.io/Application/<root>" for ever.
 * - v3.4+: missing resources no longer count, so the first sync finishes (the Deployment is created
 *   in wave 1 and stays Progressing: nothing here runs its pods). The next commit's auto-sync then
 *   waits for the root, which is Progressing because of that Deployment: the same deadlock.
 */
import {expect} from 'chai'
import {jsonOut} from '../support/cli.js'
import {
  abridged, apply, appExists, appManifest, argocdAtLeast, configMap, deleteApps, deployment, getApp, gitPut, heading, kubectl,
  makeDeploymentAvailable, NS, record, recordText, requireArgocd, run, sleep, uniq, waitForApp, waitForObject, type Run,
} from './support.js'

const S = 'S1 self-wait'
const W0 = {'argocd.argoproj.io/sync-wave': '0'}
const W1 = {'argocd.argoproj.io/sync-wave': '1'}
const selfWaitMessage = (root: string) => `waiting for healthy state of argoproj.io/Application/${root}`

/** Commit a root app directory (root.yaml = the root's own manifest) and bootstrap the root by hand, as the seed did; wait for the deadlock. */
async function deadlockedRoot(root: string, ns: string, syncPolicy: Record<string, unknown>, withChild: boolean): Promise<{app: any; rootManifest: Record<string, unknown>}> {
  await kubectl(['create', 'namespace', ns])
  const files: Record<string, unknown> = {}
  if (withChild) {
    const childSha = await gitPut(`apps/${ns}/child`, {'cm.yaml': configMap(`${ns}-child-config`)})
    files['child.yaml'] = appManifest(`${root}-child`, {path: `apps/${ns}/child`, revision: childSha, namespace: ns, syncPolicy: {automated: {}}, annotations: W0})
  }

  // targetRevision main, not a SHA: the manifest is its own and cannot name the commit that holds it.
  const rootManifest = appManifest(root, {path: `apps/${ns}/root`, revision: 'main', namespace: ns, syncPolicy, annotations: W0})
  files['root.yaml'] = rootManifest
  files['web.yaml'] = deployment('web', 1, W1)
  await gitPut(`apps/${ns}/root`, files)
  await apply(rootManifest)
  await kubectl(['annotate', 'applications.argoproj.io', root, '-n', NS, 'argocd.argoproj.io/refresh=hard', '--overwrite'])
  if (argocdAtLeast(4)) {
    // v3.4+: the first sync finishes and creates the wave-1 Deployment, which stays Progressing (no deployment controller).
    const first = await waitForApp(root, 'first sync Succeeded, health Progressing', (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.health?.status === 'Progressing', 90_000)
    record(S, 'first sync (v3.4+)', first)
    // The next commit (a change to the Deployment) is what the auto-sync deadlocks on.
    await gitPut(`apps/${ns}/root`, {...files, 'web.yaml': deployment('web', 2, W1)})
    await kubectl(['annotate', 'applications.argoproj.io', root, '-n', NS, 'argocd.argoproj.io/refresh=hard', '--overwrite'])
  }

  const app = await waitForApp(root, `operation Running, "${selfWaitMessage(root)}"`, (a) => a.status?.operationState?.phase === 'Running' && a.status.operationState.message === selfWaitMessage(root), 90_000)
  return {app, rootManifest}
}

describe('argocd tier S1: App-of-Apps waits for its own health (seeds 000/001), fixed by `unstick`', () => {
  const ns = uniq('s1-aoa')
  const root = `${ns}-root`
  let stuck: any
  let unstick: Run

  before(requireArgocd)
  before(() => heading(S, `literal self-reference, root ${root}, namespace ${ns}`))
  after(async () => deleteApps(root, `${root}-child`))

  it('reproduces the deadlock: auto-sync waits for the root\'s own health and stays there', async () => {
    const {app} = await deadlockedRoot(root, ns, {automated: {}}, true)
    const startedAt = app.status.operationState.startedAt
    // Not a transient wait: 20s later (two resyncs) nothing has moved.
    await sleep(20_000)
    stuck = await getApp(root)
    record(S, 'before (deadlocked)', stuck)
    expect(abridged(stuck)).to.include({phase: 'Running', message: selfWaitMessage(root), startedAt, operation: true})
    expect(stuck.operation.initiatedBy).to.deep.equal({automated: true})
    const child = await getApp(`${root}-child`)
    record(S, 'child app', child)
    expect(child.status.health.status).to.equal('Healthy')
    if (argocdAtLeast(4)) {
      // The root is Progressing because of the wave-1 Deployment, which still has the first commit's spec: wave 1 never ran again.
      expect(stuck.status.health.status).to.equal('Progressing')
      expect(JSON.parse(await kubectl(['get', 'deployment', 'web', '-n', ns, '-o', 'json'])).spec.replicas).to.equal(1)
    } else {
      expect(stuck.status.health.status).to.equal('Missing') // the wave-1 Deployment was never created
      expect(await kubectl(['get', 'deployment', '-n', ns, '-o', 'name'])).to.equal('')
    }
  })

  it('`explain` names it: self-wait, critical, fix `unstick`', async () => {
    const r = await run(S, ['explain', root])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.match(/\[1\] CRITICAL App-of-Apps waits for its own health .*\(self-wait\)/)
    expect(r.stdout).to.include(`status.operationState.message: "${selfWaitMessage(root)}"`)
    expect(r.stdout).to.match(new RegExp(`\\$ kubectl argo-doctor unstick ${root} -n argocd`))
    const json = (await jsonOut((await run(S, ['explain', root, '--json'])).stdout))
    expect(json.findings.map((f: {id: string}) => f.id)).to.include('self-wait')
  })

  it('`unstick --yes` leaves a young operation alone (exit 14) — the safety check, on a live deadlock', async () => {
    const r = await run(S, ['unstick', root, '--yes'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(14)
    expect(r.stdout).to.match(/refused: The operation on .* started \d+s ago/)
    expect(abridged(await getApp(root)).phase).to.equal('Running')
  })

  it('`unstick --yes --min-age 0s --exclude-self root.yaml`: the live controller terminates the operation itself', async () => {
    unstick = await run(S, ['unstick', root, '--yes', '--min-age', '0s', '--exclude-self', 'root.yaml', '--timeout', '60s'])
    expect(unstick.stdout).to.include('Terminate the running sync of')
    expect(unstick.stdout).to.include('✔ Operation ended: Failed (Operation terminated)')
    const after = await getApp(root)
    record(S, 'after unstick', after)
    // Either still the terminated run, or — because the exclude changed the source — already the next auto-sync.
    if (after.status.operationState.startedAt === stuck.status.operationState.startedAt) {
      expect(abridged(after)).to.include({phase: 'Failed', message: 'Operation terminated', operation: false})
    } else {
      expect(after.operation?.initiatedBy?.automated, 'a new run must be auto-sync, not the old operation').to.equal(true)
    }
  })

  // Regression (BUG-A, fixed): right after the terminate the controller writes the app again (its post-operation refresh)
  // between the follow-up's read and its dry run or write; an unattended run re-reads and applies the same change.
  it('… and then finishes its hard refresh (exit 0) despite the controller\'s own post-terminate write', async function () {
    if (!unstick) this.skip()
    expect(unstick.exitCode, `${unstick.stdout}\n${unstick.stderr}`).to.equal(0)
    expect(unstick.stdout).to.match(/✔ Refreshed at /)
  })

  // Regression (BUG-B, fixed): on the terminate path the follow-up used to omit --exclude-self.
  it('… and writes the --exclude-self it was asked for (spec.source.directory.exclude)', async () => {
    const app = await getApp(root)
    expect(app.spec.source.directory?.exclude, 'unstick --exclude-self on the terminate path dropped the exclude').to.equal('root.yaml')
  })

  it('recovers: with root.yaml excluded the next auto-sync runs wave 1 and Succeeds; the app becomes Healthy', async () => {
    let app = await getApp(root)
    expect(app.spec.source.directory?.exclude).to.equal('root.yaml')

    // The source changed, so auto-sync tries again (it skips only a revision+source it already failed on).
    app = await waitForApp(root, 'a new auto-sync reaches wave 1', (a) => a.status?.operationState?.startedAt !== stuck.status.operationState.startedAt && a.status.operationState.phase === 'Succeeded', 60_000)
    const web = await waitForObject(['deployment', 'web', '-n', ns])
    if (argocdAtLeast(4)) expect(web.spec.replicas, 'wave 1 ran at last: the second commit\'s Deployment is applied').to.equal(2)
    await makeDeploymentAvailable(ns, 'web')
    app = await waitForApp(root, 'health Healthy', (a) => a.status?.health?.status === 'Healthy', 60_000)
    record(S, 'after (recovered)', app)
    expect(abridged(app)).to.include({phase: 'Succeeded', operation: false, health: 'Healthy'})
    expect(app.status.operationState.syncResult.resources.map((r: {kind: string; name: string}) => `${r.kind}/${r.name}`)).to.include('Deployment/web')
    // Argo CD still tracks the root's own (now excluded) manifest: it lists the root as "requires pruning", so the app stays OutOfSync (see the next test).
    const self = app.status.resources.find((r: {kind: string; name: string}) => r.kind === 'Application' && r.name === root)
    expect(self).to.include({status: 'OutOfSync', requiresPruning: true})
  })
})

describe('argocd tier S1b: `unstick --exclude-self` on a root app with automated prune', () => {
  const ns = uniq('s1b-aoa')
  const root = `${ns}-root`

  before(requireArgocd)
  before(() => heading('S1b self-prune', `root ${root} with automated.prune, namespace ${ns}`))
  after(async () => deleteApps(root))

  // Regression (BUG-C, fixed): the root still tracks itself (it applied its own manifest), so once root.yaml is excluded
  // it "requires pruning", and auto-sync (the source changed) used to prune the root Application within seconds.
  // unstick now turns automated prune off in the same write (and says so).
  it('must not lead Argo CD to prune the root Application itself', async () => {
    await deadlockedRoot(root, ns, {automated: {prune: true}}, false)
    record('S1b self-prune', 'before (deadlocked)', await getApp(root))
    // --no-terminate: the clear path writes the exclude in the same patch as the clear.
    const r = await run('S1b self-prune', ['unstick', root, '--yes', '--min-age', '0s', '--no-terminate', '--exclude-self', 'root.yaml', '--timeout', '60s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    await sleep(15_000)
    const exists = await appExists(root)
    if (exists) record('S1b self-prune', 'after', await getApp(root))
    else recordText('S1b self-prune', 'after', `Application ${root} is GONE (pruned by its own auto-sync)`)
    expect(exists, `${root} pruned itself: with directory.exclude its own manifest left Git while it still tracks itself, and auto-sync (prune: true) deleted it`).to.equal(true)
    expect(r.stdout).to.match(/Auto-sync prune is turned off/)
    // false, or absent: Argo CD's Go types omit a false prune when the controller rewrites the app
    expect((await getApp(root)).spec.syncPolicy.automated.prune ?? false).to.equal(false)
  })
})
