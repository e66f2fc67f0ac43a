import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir} from '../support/cli.js'
import {healthyApp, NOW} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}
/** The name the backup of auth-service-prod gets at NOW. */
const PREDICTED = (rv: string) => `argocd_auth-service-prod_2026-01-02T001200.000Z_rv${rv}.json`

describe('backups (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const stored = () => server.get(...APP, 'auth-service-prod')
  const refresh = (backups: string, ...extra: string[]) =>
    runCli(['hard-refresh', 'auth-service-prod', '--kubeconfig', kubeconfig, '--yes', '--no-wait', ...extra], {env: {...env, ARGO_DOCTOR_BACKUP_DIR: backups}})

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    const app = healthyApp()
    // YAML 1.1 booleans: a YAML backup of these breaks kubectl ("cannot unmarshal bool").
    app.metadata.annotations = {'example.com/enabled': 'no', 'example.com/mode': 'on', 'example.com/ok': 'y', 'example.com/n': '012'}
    server.put(app)
  })
  afterEach(async () => server.stop())

  it('writes the object as read in JSON that kubectl reads back identically, plus a change record', async function () {
    const kubectl = await execa('kubectl', ['version', '--client'], {reject: false})
    if (kubectl.exitCode !== 0) this.skip()
    const before = stored()
    const backups = tempDir()
    const r = await refresh(backups)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const file = join(backups, PREDICTED(before.metadata.resourceVersion))
    expect(r.stderr).to.include(`Backup of the live object: ${file}`)
    const back = await execa('kubectl', ['patch', '--local', '-f', file, '--type', 'merge', '-p', '{}', '-o', 'json', '--show-managed-fields'], {reject: false, env: {KUBECONFIG: '/dev/null'}})
    expect(back.exitCode, back.stderr).to.equal(0)
    const written = JSON.parse(readFileSync(file, 'utf8'))
    expect(JSON.parse(back.stdout)).to.deep.equal(written)
    expect(written.metadata.annotations).to.deep.equal({'example.com/enabled': 'no', 'example.com/mode': 'on', 'example.com/ok': 'y', 'example.com/n': '012'})
    expect(written).to.deep.equal(before)

    const record = JSON.parse(readFileSync(file.replace(/\.json$/, '.change.json'), 'utf8'))
    expect(record).to.deep.include({kind: 'ArgoDoctorChangeRecord', version: 1, state: 'applied', recipe: 'hard-refresh', object: PREDICTED(before.metadata.resourceVersion)})
    expect(record.app).to.deep.equal({namespace: 'argocd', name: 'auth-service-prod'})
    expect(record.resourceVersion).to.deep.equal({before: before.metadata.resourceVersion, after: stored().metadata.resourceVersion})
    expect(record.patch[0]).to.deep.equal({op: 'test', path: '/metadata/resourceVersion', value: before.metadata.resourceVersion})
    expect(record.touched).to.deep.equal([
      {path: '/metadata/annotations/argocd.argoproj.io~1refresh', after: 'hard'},
      {path: '/metadata/annotations/argocd.argoproj.io~1refresh-timestamp', after: NOW.toISOString()},
    ])
    expect(record.time).to.equal(NOW.toISOString())
    expect(record.user).to.be.a('string').and.not.equal('')
    expect(record.context).to.equal('admin')
  })

  it('refuses a backup directory writable by group or others, and writes nothing (exit 14)', async () => {
    for (const mode of [0o777, 0o770]) {
      const backups = tempDir()
      chmodSync(backups, mode)
      const before = stored()
      const r = await refresh(backups)
      expect(r.exitCode, r.stdout + r.stderr).to.equal(14)
      expect(r.stderr).to.match(new RegExp(`The backup directory ${backups} is writable by (everyone|its group) \\(mode ${mode.toString(8)}\\); argo-doctor does not write backups there, so nothing was changed`))
      expect(r.stderr).to.include('chmod 700')
      expect(stored()).to.deep.equal(before)
      expect(readdirSync(backups)).to.deep.equal([])
    }
  })

  it('refuses a backup directory that is a symbolic link', async () => {
    const real = tempDir()
    const link = join(tempDir(), 'backups')
    symlinkSync(real, link)
    const before = stored()
    const r = await refresh(link)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(14)
    expect(r.stderr).to.include(`The backup directory ${link} is a symbolic link`)
    expect(stored()).to.deep.equal(before)
    expect(readdirSync(real)).to.deep.equal([])
  })

  it('creates a missing backup directory with mode 700', async () => {
    const backups = join(tempDir(), 'deep', 'backups')
    const r = await refresh(backups)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const {statSync} = await import('node:fs')
    expect(statSync(backups).mode & 0o777).to.equal(0o700)
    expect(readdirSync(backups)).to.have.length(2)
  })

  it('never writes through, nor reports, a file planted at the predicted name', async () => {
    const backups = tempDir()
    const elsewhere = join(tempDir(), 'target')
    const rv = stored().metadata.resourceVersion
    symlinkSync(elsewhere, join(backups, PREDICTED(rv)))
    writeFileSync(join(backups, PREDICTED(rv).replace(/\.json$/, '-1.json')), 'planted\n')
    const r = await refresh(backups)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(existsSync(elsewhere)).to.equal(false)
    expect(readFileSync(join(backups, PREDICTED(rv).replace(/\.json$/, '-1.json')), 'utf8')).to.equal('planted\n')
    const ours = join(backups, PREDICTED(rv).replace(/\.json$/, '-2.json'))
    expect(r.stderr).to.include(`Backup of the live object: ${ours}`)
    expect(JSON.parse(readFileSync(ours, 'utf8')).metadata.resourceVersion).to.equal(rv)
  })

  it('marks the record not-applied when the guard fails (the object changed), so undo never uses it', async () => {
    const backups = tempDir()
    mkdirSync(backups, {recursive: true})
    server.onBeforePatch = () => {
      server.mutate(...APP, 'auth-service-prod', (o) => {
        o.metadata.labels = {changed: 'yes'}
      })
      server.onBeforePatch = undefined
    }

    const r = await refresh(backups)
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const records = readdirSync(backups).filter((f) => f.endsWith('.change.json')).sort().map((f) => JSON.parse(readFileSync(join(backups, f), 'utf8')).state)
    expect(records).to.deep.equal(['not-applied', 'applied'])
  })
})
