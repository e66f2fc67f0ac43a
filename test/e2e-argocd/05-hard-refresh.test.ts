/**
 * `hard-refresh` against the real controller: an app that tracks a branch does not see a new
 * commit on normal refreshes (the repo-server caches the branch → SHA resolution for 3 minutes);
 * a hard refresh does. The command waits for the controller to remove the refresh annotation and
 * reports the new status.reconciledAt.
 */
import {expect} from 'chai'
import {abridged, configMap, createApp, deleteApps, getApp, gitPut, heading, record, requireArgocd, run, sleep, uniq, waitForApp} from './support.js'

const S = 'S5 hard-refresh'

describe('argocd tier S5: `hard-refresh` waits for the real controller and reports the new reconciledAt', () => {
  const ns = uniq('s5-refresh')
  const app = `${ns}-app`
  const other = `${ns}-other`
  const label = {'e2e-scenario': ns}
  let c1: string
  let c2: string

  before(requireArgocd)
  before(() => heading(S, `apps ${app}, ${other}, namespace ${ns}`))
  after(async () => deleteApps(app, other))

  it('a new commit on the tracked branch is not seen by normal refreshes (revision cache)', async () => {
    c1 = await gitPut(`apps/${ns}`, {'config.yaml': configMap('settings', {level: 'info'})})
    await createApp(app, {path: `apps/${ns}`, revision: 'main', namespace: ns, labels: label, syncPolicy: {syncOptions: ['CreateNamespace=true']}})
    await waitForApp(app, `compared at ${c1.slice(0, 8)}`, (a) => a.status?.sync?.revision === c1 && !a.metadata.annotations?.['argocd.argoproj.io/refresh'])
    c2 = await gitPut(`apps/${ns}`, {'config.yaml': configMap('settings', {level: 'debug'})})
    await sleep(12_000) // a periodic refresh (every 10s here) happens, and still resolves main to c1
    const stale = await getApp(app)
    record(S, 'before (stale revision)', stale)
    if (process.env.ARGO_DOCTOR_E2E_ARGOCD_REVISION_CACHE === undefined) expect(stale.status.sync.revision, 'main still resolves to the old commit').to.equal(c1)
  })

  it('`hard-refresh --yes`: the controller regenerates manifests at the new commit; the command reports the new reconciledAt', async () => {
    const before = await getApp(app)
    await sleep(1100) // reconciledAt has a resolution of one second: a refresh in the same second as \`before\` would look unchanged
    const startedSecond = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
    const r = await run(S, ['hard-refresh', app, '--yes', '--timeout', '60s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const after = await getApp(app)
    record(S, 'after hard-refresh', after)
    expect(after.metadata.annotations['argocd.argoproj.io/refresh'], 'the controller removed the annotation').to.equal(undefined)
    expect(after.status.reconciledAt >= startedSecond, `reconciledAt ${after.status.reconciledAt} is from this refresh (started ${startedSecond})`).to.equal(true)
    expect(after.status.reconciledAt).to.not.equal(before.status.reconciledAt)
    const m = /✔ Refreshed at (\S+): sync (\S+), health (\S+)/.exec(r.stdout)
    expect(m, r.stdout).to.not.equal(null)
    expect(m![1], 'the reported reconciledAt is the one the controller wrote').to.equal(after.status.reconciledAt)
    expect(after.status.sync.revision, 'main now resolves to the new commit').to.equal(c2)
    expect(abridged(after)).to.include({sync: 'OutOfSync'}) // Git says level=debug, the live ConfigMap does not exist yet
    expect(m![2]).to.equal('OutOfSync')
  })

  it('`hard-refresh -l … --yes` refreshes every matching app and waits for each', async () => {
    await createApp(other, {path: `apps/${ns}`, revision: c2, namespace: ns, labels: label})
    await waitForApp(other, 'first reconcile', (a) => a.status?.reconciledAt !== undefined && !a.metadata.annotations?.['argocd.argoproj.io/refresh'])
    const before = {[app]: (await getApp(app)).status.reconciledAt, [other]: (await getApp(other)).status.reconciledAt}
    await sleep(1100) // reconciledAt has a resolution of one second
    const r = await run(S, ['hard-refresh', '-l', `e2e-scenario=${ns}`, '--yes', '--timeout', '60s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    for (const name of [app, other]) {
      const a = await getApp(name)
      record(S, `after -l (${name === app ? 'app' : 'other'})`, a)
      expect(a.metadata.annotations['argocd.argoproj.io/refresh']).to.equal(undefined)
      expect(a.status.reconciledAt).to.not.equal(before[name])
      expect(r.stdout).to.include(a.status.reconciledAt)
    }
  })
})
