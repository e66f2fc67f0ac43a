import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {BAD_DEPLOY_NOW, badDeployApp} from '../fixtures/deploys.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const NAME = 'shop-api'

describe('pause-sync / resume-sync (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  let backups: string
  const stored = (name = NAME) => server.get(...APP, name)
  const writes = () => server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined)
  const cli = (args: string[]) => runCli([...args, '--kubeconfig', kubeconfig], {env: {ARGO_DOCTOR_NOW: BAD_DEPLOY_NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: backups}})

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    backups = tempDir('argo-doctor-backups-')
    server.put(badDeployApp())
  })
  afterEach(async () => server.stop())

  it('pause → explain says who paused it and when → resume restores exactly; each write records an Event', async () => {
    const before = stored().spec.syncPolicy
    const pause = await cli(['pause-sync', NAME, '--yes', '--reason', 'hotfix by hand', '--json'])
    expect(pause.exitCode, pause.stdout + pause.stderr).to.equal(0)
    expect((await jsonOut(pause.stdout)).steps[0].status).to.equal('applied')
    expect(stored().spec.syncPolicy.automated).to.equal(undefined)

    const explain = await cli(['explain', NAME, '--json'])
    const finding = (await jsonOut(explain.stdout)).findings.find((f: {id: string}) => f.id === 'auto-sync-paused')
    expect(finding.title).to.equal('Auto-sync paused by argo-doctor (admin, 2026-12-07T04:45:00Z)')
    expect(finding.explanation).to.include('"hotfix by hand"')
    expect(finding.fix.command).to.equal(`argo-doctor resume-sync shop-api -n argocd --kubeconfig ${kubeconfig}`)

    const resume = await cli(['resume-sync', NAME, '--yes', '--no-wait'])
    expect(resume.exitCode, resume.stdout + resume.stderr).to.equal(0)
    expect(resume.stdout).to.match(/Warning: With auto-sync on again, Argo CD syncs shop-api to what Git holds now/)
    expect(stored().spec.syncPolicy).to.deep.equal(before)
    expect(stored().metadata.annotations).to.equal(undefined)
    const events = server.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/events')).map((q) => q.body.reason)
    expect(events).to.deep.equal(['ArgoDoctorPauseSync', 'ArgoDoctorResumeSync'])
  })

  it('--self-heal-only, then undo reverts only our paths', async () => {
    const r = await cli(['pause-sync', NAME, '--self-heal-only', '--yes'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(stored().spec.syncPolicy.automated).to.deep.equal({prune: true, selfHeal: false})
    server.mutate(...APP, NAME, (o) => {
      o.metadata.labels = {team: 'shop'}
    })
    const undo = await cli(['undo', NAME, '--yes', '--no-wait'])
    expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(0)
    expect(stored().spec.syncPolicy.automated).to.deep.equal({prune: true, selfHeal: true})
    expect(stored().metadata.labels).to.deep.equal({team: 'shop'})
    expect(stored().metadata.annotations).to.equal(undefined)
  })

  it('resume refuses (exit 14) when someone changed the setting since the pause; nothing written', async () => {
    expect((await cli(['pause-sync', NAME, '--yes'])).exitCode).to.equal(0)
    server.mutate(...APP, NAME, (o) => {
      o.spec.syncPolicy.automated = {prune: false}
    })
    const count = writes().length
    const r = await cli(['resume-sync', NAME, '--yes'])
    expect(r.exitCode).to.equal(14)
    expect(r.stdout).to.match(/refused: spec\.syncPolicy\.automated of shop-api changed since it was paused by admin/)
    expect(writes()).to.have.length(count)
  })

  it('-l pauses many apps with one confirmation; apps with auto-sync off have nothing to do', async () => {
    for (const name of ['shop-web', 'shop-db']) {
      const app = badDeployApp()
      app.metadata.name = name
      app.metadata.labels = {team: 'shop'}
      if (name === 'shop-db') delete app.spec.syncPolicy!.automated
      server.put(app)
    }

    const r = await cli(['pause-sync', '-l', 'team=shop', '-n', 'argocd', '--yes', '--json'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const out = await jsonOut(r.stdout)
    expect(out.apps.map((a: {app: {name: string}; status: string}) => `${a.app.name} ${a.status}`).sort()).to.deep.equal(['shop-db nothing-to-do', 'shop-web applied'])
    expect(stored('shop-web').spec.syncPolicy.automated).to.equal(undefined)
    expect(stored(NAME).spec.syncPolicy.automated).to.deep.equal({prune: true, selfHeal: true})
  })

  it('resume-sync after a rollback turns auto-sync back on as it was', async () => {
    const rb = await cli(['rollback', NAME, '--to', '6', '--yes', '--no-wait'])
    expect(rb.exitCode, rb.stdout + rb.stderr).to.equal(0)
    const resume = await cli(['resume-sync', NAME, '--yes', '--no-wait'])
    expect(resume.exitCode, resume.stdout + resume.stderr).to.equal(0)
    expect(resume.stdout).to.match(/as before the pause by admin/)
    expect(stored().spec.syncPolicy.automated).to.deep.equal({prune: true, selfHeal: true})
  })
})
