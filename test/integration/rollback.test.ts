import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {BAD_DEPLOY_NOW, badDeployApp} from '../fixtures/deploys.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const NAME = 'shop-api'
const GOOD = 'b7e0d3f9a24c6815e3f72a0c9d4b1e6f8a3c5d27'

describe('rollback (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  let backups: string
  const stored = () => server.get(...APP, NAME)
  const patches = () => server.requests.filter((q) => q.method === 'PATCH')
  const writes = () => patches().filter((q) => q.query.dryRun === undefined)
  const cli = (args: string[]) => runCli([...args, '--kubeconfig', kubeconfig], {env: {ARGO_DOCTOR_NOW: BAD_DEPLOY_NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: backups}})

  /** Plays the application-controller: runs the rollback sync, then reports health `health` in a later reconcile. */
  const playController = (health: string) => {
    let step = 0
    const timer = setInterval(() => {
      const app = stored()
      if (!app) return
      if (step === 0 && app.operation && !app.status.operationState) {
        step = 1
        server.mutate(...APP, NAME, (o) => {
          o.status.operationState = {operation: o.operation, phase: 'Running', message: 'one or more tasks are running', startedAt: '2026-12-07T04:45:05Z', syncResult: {revision: GOOD}}
        })
      } else if (step === 1) {
        step = 2
        server.mutate(...APP, NAME, (o) => {
          delete o.operation
          Object.assign(o.status.operationState, {phase: 'Succeeded', message: 'successfully synced (all tasks run)', finishedAt: '2026-12-07T04:45:09Z'})
          o.status.health = {status: 'Progressing', lastTransitionTime: '2026-12-07T04:45:09Z'}
          o.status.sync = {status: 'OutOfSync', revision: '4d2e9a1c7b3f50e8a6d21c94f0b7e3a5d8c16f02'}
          o.status.reconciledAt = '2026-12-07T04:45:09Z'
        })
      } else if (step === 2) {
        step = 3
        server.mutate(...APP, NAME, (o) => {
          // As the controller does: lastTransitionTime moves whenever the health changes.
          o.status.health = {status: health, lastTransitionTime: '2026-12-07T04:45:20Z'}
          o.status.reconciledAt = '2026-12-07T04:45:20Z'
        })
      }
    }, 100)
    return () => clearInterval(timer)
  }

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    backups = tempDir('argo-doctor-backups-')
    server.put(badDeployApp())
    server.put({apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: {name: 'default', namespace: 'argocd'}, spec: {sourceRepos: ['*'], destinations: [{server: '*', namespace: '*'}]}})
  })
  afterEach(async () => server.stop())

  it('--dry-run shows the history and a server dry-run diff of both changes (auto-sync off, the rollback operation); nothing changes', async () => {
    const before = stored()
    const r = await cli(['rollback', NAME, '--dry-run'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^ID {3}REVISION {3}SOURCE/m)
    expect(r.stdout).to.match(/^6 {4}b7e0d3f {4}https:\/\/github\.com\/example\/shop-deploy\.git apps\/shop-api {3}2026-12-04T15:40:06Z {3}maria@example\.com$/m)
    expect(r.stdout).to.match(/^7 .* current$/m)
    expect(r.stdout).to.include('Diff (server dry-run):')
    expect(r.stdout).to.match(/^- {4}automated:$/m)
    expect(r.stdout).to.match(/^\+ {4}revision: b7e0d3f9a24c6815e3f72a0c9d4b1e6f8a3c5d27$/m)
    expect(r.stdout).to.match(/^\+ {6}apply: \{\}$/m)
    expect(r.stdout).to.match(/Warning: Auto-sync stays OFF after the rollback/)
    expect(stored()).to.deep.equal(before)
    expect(writes()).to.have.length(0)
    expect(patches()[0].query.dryRun).to.equal('All')
  })

  it('--yes: one guarded write, follows the sync to a settled health (Healthy, exit 0), records an Event; undo turns auto-sync back on exactly', async () => {
    const stop = playController('Healthy')
    const r = await cli(['rollback', NAME, '--to', '6', '--yes', '--timeout', '20s', '--json']).finally(stop)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const out = await jsonOut(r.stdout)
    expect(out.history.map((h: {id: number}) => h.id)).to.deep.equal([5, 6, 7])
    expect(out.steps[0].verify).to.include({status: 'ok', healthStatus: 'Healthy', phase: 'Succeeded'})
    expect(out.steps[0].verify.message).to.match(/^Sync Succeeded: successfully synced \(all tasks run\); health Healthy/)
    expect(writes()).to.have.length(1)
    const app = stored()
    expect(app.spec.syncPolicy).to.deep.equal({syncOptions: ['CreateNamespace=true']})
    expect(JSON.parse(app.metadata.annotations['argo-doctor/sync-paused'])).to.include({what: 'automated', by: 'admin', via: 'rollback to history ID 6'})
    expect(app.status.operationState.operation.sync).to.include({revision: GOOD})
    const events = server.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/events'))
    expect(events.map((q) => q.body.reason)).to.deep.equal(['ArgoDoctorRollback'])

    const undo = await cli(['undo', NAME, '--yes', '--no-wait'])
    expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(0)
    expect(undo.stdout).to.match(/restore spec\.syncPolicy\.automated/)
    expect(undo.stdout).to.match(/Left alone: operation/)
    expect(stored().spec.syncPolicy).to.deep.equal({automated: {prune: true, selfHeal: true}, syncOptions: ['CreateNamespace=true']})
    expect(stored().metadata.annotations).to.equal(undefined)
    expect(undo.stdout).to.match(/Warning: This turns auto-sync settings back to what they were/)
  })

  it('a rollback that leaves the app Degraded fails (exit 15) and says so', async () => {
    const stop = playController('Degraded')
    const r = await cli(['rollback', NAME, '--yes', '--timeout', '20s']).finally(stop)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(15)
    expect(r.stdout).to.match(/✖ Sync Succeeded: successfully synced \(all tasks run\); health Degraded/)
    expect(r.stdout).to.not.match(/No hook ran/)
  })

  it('without a terminal and without --yes: refuses to apply (exit naming --yes/--dry-run), nothing written', async () => {
    const r = await cli(['rollback', NAME])
    expect(r.exitCode).to.not.equal(0)
    expect(r.stderr).to.match(/--yes/)
    expect(writes()).to.have.length(0)
  })

  it('--to the current revision or an unknown ID: refuses with the IDs, nothing written', async () => {
    const current = await cli(['rollback', NAME, '--to', '7', '--yes'])
    expect(current.exitCode).to.equal(14)
    expect(current.stdout).to.match(/refused: History ID 7 is the revision deployed now/)
    const unknown = await cli(['rollback', NAME, '--to', '9', '--yes'])
    expect(unknown.exitCode).to.equal(2)
    expect(unknown.stderr).to.match(/--to 9: shop-api has no deployment with that history ID \(IDs: 5, 6, 7\)/)
    expect(writes()).to.have.length(0)
  })

  it('an operation in progress: refuses naming unstick', async () => {
    server.mutate(...APP, NAME, (o) => {
      o.operation = {sync: {revision: 'main'}}
      o.status.operationState = {operation: o.operation, phase: 'Running', message: 'waiting for healthy state of apps/Deployment/shop-api', startedAt: '2026-12-07T04:40:00Z'}
    })
    const r = await cli(['rollback', NAME, '--yes'])
    expect(r.exitCode).to.equal(14)
    expect(r.stdout).to.include('argo-doctor unstick shop-api -n argocd')
    expect(writes()).to.have.length(0)
  })

  it('escapes control characters from history entries', async () => {
    server.mutate(...APP, NAME, (o) => {
      o.status.history[1].initiatedBy = {username: 'mallory\u001b[2J\u0007'}
    })
    const r = await cli(['rollback', NAME, '--dry-run'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.not.include('\u001b')
    expect(r.stdout).to.include('mallory\\x1b[2J\\x07')
  })

  it('works offline on the example file', async () => {
    const r = await runCli(['rollback', '-f', 'examples/bad-deploy-degraded.yaml'], {env: {USER: 'alice'}})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Diff (applied locally to the file):')
    expect(r.stdout).to.match(/Roll shop-api back to history ID 6/)
  })
})

describe('rollback in a real terminal: pick the history entry', function () {
  this.timeout(60_000)
  it('offers the newest entry before the current one first; arrow down picks ID 5; the preview and the write use it', async () => {
    const {cliInPty} = await import('../support/pty.js')
    const server = await startFakeApiServer()
    try {
      const kubeconfig = server.writeKubeconfig(tempDir())
      server.put(badDeployApp())
      const pty = cliInPty(['rollback', NAME, '--kubeconfig', kubeconfig, '--no-wait'], {ARGO_DOCTOR_NOW: BAD_DEPLOY_NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: tempDir()})
      await pty.waitFor(/Roll back to which deployment\?/)
      await pty.waitFor(/❯ 6 {2}b7e0d3f/)
      pty.type('\u001b[B')
      await pty.waitFor(/❯ 5 {2}8f14c2b/)
      pty.type('\r')
      await pty.waitFor(/Apply this change to argocd\/shop-api\?/)
      expect(pty.text).to.match(/Roll shop-api back to history ID 5/)
      pty.type('y\r')
      expect(await pty.exited, pty.text).to.equal(0)
      expect(server.get(...APP, NAME).operation.sync.revision).to.equal('8f14c2be9d07a3e5c61b4f28d9a0e7c3b5162d4a')
    } finally {
      await server.stop()
    }
  })
})
