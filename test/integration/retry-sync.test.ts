import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {BAD_DEPLOY_NOW, jobImmutableApp} from '../fixtures/deploys.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const NAME = 'shop-jobs'

describe('retry-sync (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const stored = () => server.get(...APP, NAME)
  const writes = () => server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined)
  const cli = (args: string[]) => runCli([...args, '--kubeconfig', kubeconfig], {env: {ARGO_DOCTOR_NOW: BAD_DEPLOY_NOW.toISOString()}})

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(jobImmutableApp())
  })
  afterEach(async () => server.stop())

  it('explain names the exact command; the dry run shows the selective sync with Replace=true on the operation only', async () => {
    const explain = await cli(['explain', NAME, '--json'])
    const finding = (await jsonOut(explain.stdout)).findings.find((f: {id: string}) => f.id === 'sync-failed-immutable-field')
    expect(finding.fix.command).to.equal(`argo-doctor retry-sync shop-jobs -n argocd --force --kubeconfig ${kubeconfig}`)
    const before = stored()
    const r = await cli(['retry-sync', NAME, '--dry-run'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/Retry the failed sync of shop-jobs for the 1 failed resource with Replace=true and force\./)
    expect(r.stdout).to.match(/Note: Retried: batch\/Job shop\/db-migrate — an immutable field changed/)
    expect(r.stdout).to.match(/^\+ {4}resources:$/m)
    expect(r.stdout).to.match(/^\+ {6}- Replace=true$/m)
    expect(r.stdout).to.not.match(/^[+-] {2}syncPolicy/m)
    expect(stored()).to.deep.equal(before)
    expect(writes()).to.have.length(0)
  })

  it('--yes: writes the operation, follows it to Succeeded and a settled health (exit 0); the spec is untouched', async () => {
    let step = 0
    const timer = setInterval(() => {
      const app = stored()
      if (step === 0 && app.operation && !app.status.operationState) {
        step = 1
        server.mutate(...APP, NAME, (o) => {
          o.status.operationState = {operation: o.operation, phase: 'Succeeded', message: 'successfully synced (all tasks run)', startedAt: '2026-12-07T04:45:05Z', finishedAt: '2026-12-07T04:45:08Z',
            syncResult: {revision: 'x', resources: [{group: 'batch', version: 'v1', kind: 'Job', namespace: 'shop', name: 'db-migrate', status: 'Synced', message: 'job.batch/db-migrate replaced', syncPhase: 'Sync'}]}}
          delete o.operation
          o.status.sync.status = 'Synced'
          o.status.reconciledAt = '2026-12-07T04:45:10Z'
        })
      }
    }, 100)
    const r = await cli(['retry-sync', NAME, '--yes', '--timeout', '20s', '--json']).finally(() => clearInterval(timer))
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const out = await jsonOut(r.stdout)
    expect(out.steps[0].verify).to.include({status: 'ok', syncStatus: 'Synced', healthStatus: 'Healthy'})
    expect(stored().spec.syncPolicy).to.deep.equal(jobImmutableApp().spec.syncPolicy)
    expect(writes()).to.have.length(1)
  })
})
