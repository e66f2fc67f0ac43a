import {chownSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {apiServerPerTest} from '../support/api-per-test.js'
import {runCli, tempDir} from '../support/cli.js'
import {NOW, selfWaitApp} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}

/** Properties an adversarial pass found holding, kept as guards (built CLI against the test API server). */
describe('what held under attack, kept holding', function () {
  this.timeout(60_000)
  const api = apiServerPerTest((server) => server.put(selfWaitApp()))

  it('three runs of unstick on one app at once: exactly one write, the others write nothing', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', api.kubeconfig, '--yes', '--no-wait'], {env})))
    const writes = api.server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined && q.status !== undefined && q.status < 300)
    expect(writes, runs.map((r) => `${r.exitCode}: ${r.stderr}`).join('\n')).to.have.length(1)
    expect(runs.filter((r) => r.exitCode === 0).length).to.be.at.least(1)
    expect(api.server.get(...APP, 'wealist-apps-prod').status.operationState).to.equal(undefined)
  })

  it('a backup directory owned by another user is refused (exit 14), nothing written', async function () {
    if (process.getuid?.() !== 0) this.skip() // only root can hand a directory to someone else
    const dir = join(tempDir(), 'foreign')
    mkdirSync(dir, {mode: 0o700})
    chownSync(dir, 4242, 4242)
    const r = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', api.kubeconfig, '--yes', '--no-wait'], {env: {...env, ARGO_DOCTOR_BACKUP_DIR: dir}})
    expect(r.exitCode, r.stderr).to.equal(14)
    expect(r.stderr).to.include('is owned by uid 4242, not by you')
    expect(api.server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined)).to.deep.equal([])
  })
})
