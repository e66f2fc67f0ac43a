import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {hookStuckApp} from '../fixtures/apps.js'
import {dbInitSyncedApp, SEED002_NOW} from '../fixtures/seed002.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: SEED002_NOW.toISOString()}
const NAME = 'db-init-prod'

const defaultProject = (syncWindows: unknown[] = []) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: {name: 'default', namespace: 'argocd'},
  spec: {sourceRepos: ['*'], destinations: [{server: '*', namespace: '*'}], ...(syncWindows.length > 0 ? {syncWindows} : {})},
})

const hook = (hookPhase: string, message: string) => ({
  group: 'batch', version: 'v1', kind: 'Job', namespace: 'wealist-prod', name: 'db-init-prod',
  hookType: 'PreSync', hookPhase, syncPhase: 'PreSync', status: hookPhase === 'Succeeded' ? 'Synced' : '', message,
})

describe('force-presync (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const stored = (name = NAME) => server.get(...APP, name)
  const patches = () => server.requests.filter((q) => q.method === 'PATCH')
  const args = (...extra: string[]) => ['force-presync', NAME, '--kubeconfig', kubeconfig, ...extra]

  /** Plays the application-controller: picks up the operation, runs the PreSync hook, then finishes with `final`. */
  const playController = (final: {phase: string; message: string; hookPhase: string; hookMessage: string}) => {
    let step = 0
    const timer = setInterval(() => {
      const app = stored()
      if (!app) return
      if (step === 0 && app.operation && !app.status.operationState) {
        step = 1
        server.mutate(...APP, NAME, (o) => {
          o.status.operationState = {
            operation: o.operation, phase: 'Running', message: 'waiting for completion of hook batch/Job/db-init-prod', startedAt: '2025-12-31T06:00:05Z',
            syncResult: {revision: '9b1e4c70d2a35f86e1c4b7a90d3e5f21c8a64b07', resources: [hook('Running', 'job.batch/db-init-prod created')]},
          }
        })
      } else if (step === 1) {
        step = 2
        server.mutate(...APP, NAME, (o) => {
          delete o.operation
          o.status.operationState.phase = final.phase
          o.status.operationState.message = final.message
          o.status.operationState.finishedAt = '2025-12-31T06:00:50Z'
          o.status.operationState.syncResult.resources = [hook(final.hookPhase, final.hookMessage)]
        })
      }
    }, 100)
    return () => clearInterval(timer)
  }

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(dbInitSyncedApp())
    server.put(defaultProject())
  })
  afterEach(async () => server.stop())

  it('--dry-run previews the operation through the server and changes nothing', async () => {
    const before = stored()
    const r = await runCli(args('--dry-run'), {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Diff (server dry-run):')
    expect(r.stdout).to.match(/^- {2}operationState:/m)
    expect(r.stdout).to.match(/^\+operation:/m)
    expect(r.stdout).to.match(/^\+ {4}username: admin \(via argo-doctor\)/m)
    expect(r.stdout).to.match(/^\+ {6}hook: \{\}/m)
    expect(r.stdout).to.include('Dry run: nothing was changed.')
    expect(stored()).to.deep.equal(before)
    expect(patches()).to.have.length(1)
    expect(patches()[0].query.dryRun).to.equal('All')
    expect(patches()[0].contentType).to.match(/json-patch\+json/)
    expect(server.requests.some((q) => q.method === 'GET' && q.path === '/apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects/default')).to.equal(true)
  })

  it('--yes writes the operation, follows the PreSync hook and reports Succeeded (exit 0)', async () => {
    const stop = playController({phase: 'Succeeded', message: 'successfully synced (all tasks run)', hookPhase: 'Succeeded', hookMessage: 'Reached expected number of succeeded pods'})
    const r = await runCli(args('--yes', '--reason', 'db-init Job never ran', '--timeout', '20s'), {env}).finally(stop)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const written = patches().find((q) => q.query.dryRun === undefined)!.body
    expect(written.at(-1)).to.deep.equal({op: 'add', path: '/operation', value: {
      initiatedBy: {username: 'admin (via argo-doctor)'},
      info: [{name: 'Reason', value: 'db-init Job never ran'}, {name: 'Initiated by', value: 'argo-doctor force-presync'}],
      retry: {limit: 5, backoff: {duration: '5s', factor: 2, maxDuration: '3m0s'}},
      sync: {syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'], syncStrategy: {hook: {}}},
    }})
    expect(r.stdout).to.match(/✔ Sync Succeeded: successfully synced \(all tasks run\)/)
    expect(r.stdout).to.match(/^PreSync\s+Job\/db-init-prod\s+Succeeded\s+Reached expected number of succeeded pods$/m)
    expect(r.stderr).to.match(/PreSync Job\/db-init-prod: Running/)
    expect(stored().status.operationState.phase).to.equal('Succeeded')
  })

  it('reports a Failed sync with its message and exit 15', async () => {
    const stop = playController({phase: 'Failed', message: 'one or more synchronization tasks completed unsuccessfully', hookPhase: 'Failed', hookMessage: 'Job has reached the specified backoff limit'})
    const r = await runCli(args('--yes', '--timeout', '20s', '--json'), {env}).finally(stop)
    expect(r.exitCode).to.equal(15)
    const out = (await jsonOut(r.stdout))
    expect(out.steps[0].verify).to.include({status: 'failed', phase: 'Failed', message: 'Sync Failed: one or more synchronization tasks completed unsuccessfully'})
    expect(out.steps[0].verify.hooks[0]).to.include({hookType: 'PreSync', hookPhase: 'Failed', message: 'Job has reached the specified backoff limit'})
  })

  it('--no-wait returns right after the write', async () => {
    const r = await runCli(args('--yes', '--no-wait'), {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/Not waiting \(--no-wait\)/)
    expect(stored().operation.sync.syncStrategy).to.deep.equal({hook: {}})
    expect(stored().status.operationState).to.equal(undefined)
  })

  it('times out (exit 10) when no controller picks the operation up, and says how to follow or cancel it', async () => {
    const r = await runCli(args('--yes', '--timeout', '2s'), {env})
    expect(r.exitCode).to.equal(10)
    expect(r.stdout).to.match(/argo-doctor unstick db-init-prod -n argocd/)
    expect(stored().operation).to.not.equal(undefined)
  })

  it('refuses (exit 14) when another operation is in progress, pointing at unstick, and writes nothing', async () => {
    server.put(hookStuckApp())
    const before = stored('payments')
    const r = await runCli(['force-presync', 'payments', '--kubeconfig', kubeconfig, '--yes'], {env})
    expect(r.exitCode).to.equal(14)
    expect(r.stdout).to.match(/refused: Another operation is already in progress on payments/)
    expect(r.stdout).to.include('argo-doctor unstick payments -n argocd')
    expect(patches()).to.have.length(0)
    expect(stored('payments')).to.deep.equal(before)
  })

  it('warns when a deny sync window of the AppProject blocks the sync', async () => {
    server.put(defaultProject([{kind: 'deny', schedule: '0 0 * * *', duration: '24h', applications: ['*-prod'], description: 'year-end freeze'}]))
    const r = await runCli(args('--dry-run'), {env})
    expect(r.exitCode).to.equal(0)
    expect(r.stdout).to.match(/Warning: A sync window of project "default" blocks this sync now: a deny window is open: deny window "0 0 \* \* \*" for 24h on applications \*-prod — year-end freeze/)
  })

  it('notes, without failing, that the project could not be read', async () => {
    server.remove('argoproj.io/v1alpha1', 'AppProject', 'argocd', 'default')
    const r = await runCli(args('--dry-run'), {env})
    expect(r.exitCode).to.equal(0)
    expect(r.stdout).to.match(/Note: Sync windows were not checked: could not read AppProject "default" in namespace "argocd"/)
  })

  it('403 for a read-only user: clear message, exit 5, nothing changed', async () => {
    const before = stored()
    const r = await runCli(args('--yes', '--context', 'readonly'), {env})
    expect(r.exitCode).to.equal(5)
    expect(r.stderr).to.match(/Forbidden: you may not patch applications\.argoproj\.io in namespace "argocd"/)
    expect(stored()).to.deep.equal(before)
  })

  it('unknown app: exit 3', async () => {
    const r = await runCli(['force-presync', 'nope', '--kubeconfig', kubeconfig, '--dry-run'], {env})
    expect(r.exitCode).to.equal(3)
    expect(r.stderr).to.match(/Application "nope" not found/)
  })

  it('reads the app once: the read that gathers the sync windows is the one the plan is made from', async () => {
    const r = await runCli(args('--dry-run'), {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(server.requests.filter((q) => q.method === 'GET' && q.path.endsWith(`/applications/${NAME}`))).to.have.length(1)
  })

  it('works offline on the example file (-f implies --dry-run)', async () => {
    const r = await runCli(['force-presync', '-f', 'examples/db-init-prod-synced.yaml'], {env: {...env, USER: 'alice'}})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Diff (applied locally to the file):')
    expect(r.stdout).to.match(/^\+ {4}username: alice \(via argo-doctor\)/m)
    expect(r.stdout).to.match(/Sync windows were not checked: offline/)
  })
})
