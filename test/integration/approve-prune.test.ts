import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {EXAMPLE_NOW, issueApp} from '../fixtures/examples.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: EXAMPLE_NOW.toISOString()}
const KEY = 'argocd.argoproj.io/deletion-approved'
const cronJob = (name: string, created: string, annotations?: Record<string, string>) => ({
  apiVersion: 'batch/v1', kind: 'CronJob',
  metadata: {name, namespace: 'batch', creationTimestamp: created, ...(annotations ? {annotations} : {})},
  spec: {schedule: '0 3 * * *', jobTemplate: {spec: {template: {spec: {restartPolicy: 'Never', containers: [{name, image: 'registry.invalid/report:1'}]}}}}},
})

describe('approve-prune (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const stored = () => server.get(...APP, 'legacy-crons')
  const args = (...extra: string[]) => ['approve-prune', 'legacy-crons', '--kubeconfig', kubeconfig, ...extra]

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'batch'}})
    server.put(cronJob('nightly-report', '2025-06-02T13:45:00Z'))
    server.put(cronJob('quarterly-export', '2025-12-31T00:12:00Z', {'argocd.argoproj.io/sync-options': 'Prune=confirm'}))
    server.put(issueApp('legacy-crons'))
  })
  afterEach(async () => server.stop())

  it('--dry-run lists what will be deleted, read live with its age, previews the annotation server-side, and changes nothing', async () => {
    const before = stored()
    const r = await runCli(args('--dry-run'), {env})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include('Argo CD will delete:')
    expect(r.stdout).to.match(/- batch\/CronJob batch\/nightly-report, live, age 21[34]d/)
    expect(r.stdout).to.match(/- batch\/CronJob batch\/quarterly-export, live, age 2d/)
    expect(r.stdout).to.match(/^\+ {4}argocd.argoproj.io\/deletion-approved: 2026-01-02T00:12:00Z/m)
    expect(r.stdout).to.include('Dry run: nothing was changed.')
    expect(stored()).to.deep.equal(before)
    const patches = server.requests.filter((q) => q.method === 'PATCH')
    expect(patches.map((p) => p.query.dryRun)).to.deep.equal(['All'])
    const reads = server.requests.filter((q) => q.method === 'GET' && q.path.includes('/cronjobs/'))
    expect(reads.map((q) => q.path).sort()).to.deep.equal(['/apis/batch/v1/namespaces/batch/cronjobs/nightly-report', '/apis/batch/v1/namespaces/batch/cronjobs/quarterly-export'])
  })

  it('an operation whose startedAt is in 2099: refused (exit 14), no deletion-approved written', async () => {
    server.mutate(...APP, 'legacy-crons', (o) => {
      o.status.operationState.startedAt = '2099-01-01T00:00:00Z'
    })
    const r = await runCli(args('--yes', '--timeout', '5s'), {env: {...env, ARGO_DOCTOR_BACKUP_DIR: tempDir()}})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(14)
    expect(r.stdout).to.match(/says it started at 2099-01-01T00:00:00Z/)
    expect(server.requests.filter((q) => q.method === 'PATCH')).to.have.length(0)
    expect(stored().metadata.annotations?.[KEY]).to.equal(undefined)
  })

  it('--yes writes the approval and waits until the controller (played here) pruned them and finished the sync', async () => {
    const controller = setInterval(() => {
      const app = stored()
      const approved = app?.metadata.annotations?.[KEY]
      if (approved && approved >= app.status.operationState.startedAt && app.operation) {
        server.mutate(...APP, 'legacy-crons', (o) => {
          o.status.resources = o.status.resources.filter((x: {requiresPruning?: boolean}) => !x.requiresPruning)
          o.status.operationState.phase = 'Succeeded'
          o.status.operationState.message = 'successfully synced (all tasks run)'
          o.status.operationState.finishedAt = '2026-01-02T00:12:05Z'
          delete o.operation
        })
      }
    }, 50)
    const r = await runCli(args('--yes', '--timeout', '20s'), {env: {...env, ARGO_DOCTOR_BACKUP_DIR: tempDir()}}).finally(() => clearInterval(controller))
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(stored().metadata.annotations[KEY]).to.equal('2026-01-02T00:12:00Z')
    expect(r.stdout).to.include('✔ Pruned 2 resources; sync Succeeded: successfully synced (all tasks run)')
  })

  it('--yes reports a timeout (exit 10) when no controller acts on the approval', async () => {
    const r = await runCli(args('--yes', '--timeout', '2s'), {env: {...env, ARGO_DOCTOR_BACKUP_DIR: tempDir()}})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(10)
    expect(stored().metadata.annotations[KEY]).to.equal('2026-01-02T00:12:00Z')
  })

  it('nothing to do (exit 13) once the approval covers the operation, and no write', async () => {
    server.mutate(...APP, 'legacy-crons', (o) => {
      o.metadata.annotations = {[KEY]: '2026-01-01T21:31:00Z'}
    })
    const r = await runCli(args('--yes', '--json'), {env})
    expect(r.exitCode).to.equal(13)
    const doc = (await jsonOut(r.stdout))
    expect(doc).to.deep.include({command: 'approve-prune', status: 'nothing-to-do', exitCode: 13})
    expect(server.requests.filter((q) => q.method === 'PATCH')).to.have.length(0)
  })

  it('--json --dry-run: the plan, its guarded patch and the live reads in one document', async () => {
    const r = await runCli(args('--dry-run', '--json'), {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    const doc = (await jsonOut(r.stdout))
    expect(doc.status).to.equal('previewed')
    expect(doc.steps[0].patch[0]).to.deep.equal({op: 'test', path: '/metadata/resourceVersion', value: stored().metadata.resourceVersion})
    expect(doc.live.map((l: {name: string; state: string}) => `${l.name}:${l.state}`)).to.deep.equal(['nightly-report:found', 'quarterly-export:found'])
  })

  it('-f works offline (implies --dry-run) on the saved app', async () => {
    const r = await runCli(['approve-prune', '-f', 'examples/argocd-issues.yaml', 'legacy-crons'], {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Diff (applied locally to the file)').and.include('Dry run: nothing was changed.')
  })
})
