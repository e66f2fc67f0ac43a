import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir} from '../support/cli.js'
import {healthyApp, NOW} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}

/**
 * A full disk, for real: the backup directory is a small tmpfs (CI runs as root). Every file
 * argo-doctor could not finish is removed, and the message says the disk is full — not chmod 700.
 */
describe('backups on a full disk (a real 64–160 KiB tmpfs; built CLI against the test API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const mounts: string[] = []

  function smallDisk(size: string): string {
    const dir = join(tempDir(), 'backups')
    mkdirSync(dir)
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=700`, 'tmpfs', dir])
    mounts.push(dir)
    return dir
  }

  /** An app whose backup is about `kib` KiB. */
  function put(name: string, kib: number): void {
    const app = healthyApp()
    app.metadata.name = name
    app.metadata.annotations = {'example.com/blob': 'x'.repeat(kib * 1024)}
    server.put(app)
  }

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run it as root (CI does)')
  })
  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
  })
  afterEach(async () => {
    await server.stop()
    for (const dir of mounts.splice(0)) execFileSync('umount', [dir])
  })

  it('one app: no 0-byte or partial backup is left, the error says the disk is full, nothing is written (exit 14)', async () => {
    put('big', 200)
    const backups = smallDisk('64k')
    const r = await runCli(['hard-refresh', 'big', '--kubeconfig', kubeconfig, '--yes', '--no-wait'], {env: {...env, ARGO_DOCTOR_BACKUP_DIR: backups}})
    expect(r.exitCode, r.stderr).to.equal(14)
    expect(r.stderr).to.match(/disk is full/)
    expect(r.stderr).not.to.match(/chmod 700/)
    expect(readdirSync(backups)).to.deep.equal([])
    expect(server.get(...APP, 'big').metadata.annotations['argocd.argoproj.io/refresh']).to.equal(undefined)
  })

  it('a batch whose backup does not fit: no partial file is left, the error says the disk is full, nothing is written (exit 14)', async () => {
    for (const name of ['a', 'b', 'c']) put(name, 30)
    const backups = smallDisk('64k')
    const r = await runCli(['hard-refresh', 'a', 'b', 'c', '--kubeconfig', kubeconfig, '--yes', '--no-wait'], {env: {...env, ARGO_DOCTOR_BACKUP_DIR: backups}})
    expect(r.exitCode, r.stderr).to.equal(14)
    expect(r.stderr).to.match(/disk is full/)
    expect(readdirSync(backups)).to.deep.equal([])
    for (const name of ['a', 'b', 'c']) expect(server.get(...APP, name).metadata.annotations['argocd.argoproj.io/refresh']).to.equal(undefined)
  })

  it('a batch whose records cannot be appended to (the disk filled up during the writes): the changes are applied, the warning says the disk is full, the objects file is whole', async () => {
    for (const name of ['a', 'b', 'c']) put(name, 30)
    const backups = smallDisk('160k')
    // The first write: the backup is named and its records written; now something else fills the disk.
    let filled = false
    server.onBeforePatch = () => {
      if (filled) return
      filled = true
      try {
        for (;;) writeFileSync(join(backups, 'filler'), Buffer.alloc(4096), {flag: 'a'})
      } catch {
        // ENOSPC: the disk is full now.
      }
    }

    const r = await runCli(['hard-refresh', 'a', 'b', 'c', '--kubeconfig', kubeconfig, '--yes', '--no-wait'], {env: {...env, ARGO_DOCTOR_BACKUP_DIR: backups}})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stderr).to.match(/records .* could not be updated \(the disk is full/)
    for (const name of ['a', 'b', 'c']) expect(server.get(...APP, name).metadata.annotations['argocd.argoproj.io/refresh']).to.equal('hard')
    const [file] = readdirSync(backups).filter((f) => f.endsWith('.json'))
    expect(JSON.parse(readFileSync(join(backups, file), 'utf8')).items.map((a: {metadata: {name: string}}) => a.metadata.name).sort()).to.deep.equal(['a', 'b', 'c'])
    expect(statSync(join(backups, file)).size).to.be.above(90 * 1024)
  })
})
