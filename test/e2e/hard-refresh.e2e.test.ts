import {expect} from 'chai'
import {createApp, doctor, getApp, playRefreshController, requireCluster} from './support.js'

describe('e2e: hard-refresh through `kubectl argo-doctor` against a real kube-apiserver', () => {
  before(requireCluster)
  beforeEach(async () => {
    await createApp('hr-a', {labels: {team: 'payments'}})
    await createApp('hr-b', {labels: {team: 'payments'}})
  })

  it('sets the annotation and reports success when the controller (played by the test) removes it', async () => {
    const controller = playRefreshController('hr-a')
    const r = await doctor(['hard-refresh', 'hr-a', '--yes', '--timeout', '30s']).finally(() => controller.stop())
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/✔ Refreshed/)
  })

  it('-l with no controller: both written, both time out cleanly (exit 10), table printed', async () => {
    const r = await doctor(['hard-refresh', '-l', 'team=payments', '--yes', '--timeout', '2s'])
    expect(r.exitCode).to.equal(10)
    expect(r.stdout).to.match(/argocd\/hr-a\s+timeout/)
    expect(r.stdout).to.match(/argocd\/hr-b\s+timeout/)
    for (const name of ['hr-a', 'hr-b']) expect((await getApp(name)).metadata.annotations['argocd.argoproj.io/refresh']).to.equal('hard')
  })

  it('--dry-run changes nothing', async () => {
    const before = await getApp('hr-a')
    const r = await doctor(['hard-refresh', 'hr-a', '--dry-run'])
    expect(r.exitCode).to.equal(0)
    expect((await getApp('hr-a')).metadata.resourceVersion).to.equal(before.metadata.resourceVersion)
  })
})
