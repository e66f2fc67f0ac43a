import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {apiServerPerTest} from '../support/api-per-test.js'
import {jsonOut, runCli, tempDir} from '../support/cli.js'
import {healthyApp, NOW} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'wealist-prod.yaml')

/**
 * A user without a home directory: HOME unset and a uid with no passwd entry (a container run with
 * an arbitrary uid and a clean environment). There os.homedir() throws libuv's ENOENT; the preload
 * below makes it throw the same way for the built CLI, which before this started by dying with a
 * system error and a line of its bundle (clean-stack, loaded by oclif's errors, asked at load).
 */
function withoutHome(): Record<string, string | undefined> {
  const preload = join(tempDir('no-home-'), 'no-home.cjs')
  writeFileSync(preload, `const os = require('node:os')
// As libuv: $HOME when set, else the passwd entry, and there is none.
os.homedir = () => { if (process.env.HOME) return process.env.HOME; throw Object.assign(new Error('A system error occurred: uv_os_homedir returned ENOENT (no such file or directory)'), {code: 'ERR_SYSTEM_ERROR'}) }
require('node:module').syncBuiltinESMExports()
`)
  return {NODE_OPTIONS: `--require=${preload}`, HOME: undefined, XDG_STATE_HOME: undefined, XDG_CONFIG_HOME: undefined, XDG_CACHE_HOME: undefined, KUBECONFIG: undefined, ARGO_DOCTOR_NOW: NOW.toISOString()}
}

describe('no home directory (HOME unset, no passwd entry): every command runs, and says what it lacks', function () {
  this.timeout(60_000)
  const api = apiServerPerTest((server) => server.put(healthyApp('a')))

  it('the preload really takes the home directory away (a control: node alone)', async () => {
    const {execa} = await import('execa')
    const r = await execa('node', ['-e', 'require("node:os").homedir()'], {reject: false, env: {...process.env, ...withoutHome()}, extendEnv: false})
    expect(r.exitCode).to.equal(1)
    expect(String(r.stderr)).to.include('uv_os_homedir returned ENOENT')
  })

  it('explain -f works offline', async () => {
    const r = await runCli(['explain', '-f', EXAMPLE, '--json'], {env: withoutHome()})
    expect(r.exitCode, r.stderr).to.equal(20)
    expect((await jsonOut(r.stdout)).apps.length).to.be.greaterThan(3)
  })

  it('oclif\'s own path (an unknown command) says so (exit 2) instead of dying', async () => {
    const r = await runCli(['nosuchcmd'], {env: withoutHome()})
    expect(r.exitCode, r.stderr).to.equal(2)
    expect(r.stderr).to.include('command nosuchcmd not found')
  })

  it('a live explain with --kubeconfig works; without one it is the usual "No kubeconfig found" (exit 6)', async () => {
    const live = await runCli(['explain', 'a', '--kubeconfig', api.kubeconfig, '--no-related', '--json'], {env: withoutHome()})
    expect(live.exitCode, live.stderr).to.be.oneOf([0, 20])
    expect((await jsonOut(live.stdout)).app).to.deep.include({name: 'a', namespace: 'argocd'})
    const none = await runCli(['explain', 'a'], {env: withoutHome()})
    expect(none.exitCode, none.stderr).to.equal(6)
    expect(none.stderr).to.include('No kubeconfig found')
  })

  it('a change with nowhere to keep its backup is refused before anything is written (exit 14); with ARGO_DOCTOR_BACKUP_DIR it is applied', async () => {
    const before = api.server.get(...APP, 'a')
    const refused = await runCli(['hard-refresh', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--no-wait'], {env: {...withoutHome(), ARGO_DOCTOR_BACKUP_DIR: undefined}})
    expect(refused.exitCode, refused.stderr).to.equal(14)
    expect(refused.stderr).to.include('There is no directory for backups: HOME is unset and this user has no home directory')
    expect(refused.stderr).to.include('ARGO_DOCTOR_BACKUP_DIR')
    expect(api.server.get(...APP, 'a')).to.deep.equal(before)
    expect(api.server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined)).to.have.length(0)
    const applied = await runCli(['hard-refresh', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--no-wait'], {env: {...withoutHome(), ARGO_DOCTOR_BACKUP_DIR: tempDir('backups-')}})
    expect(applied.exitCode, applied.stderr).to.equal(0)
    expect(api.server.get(...APP, 'a')!.metadata.annotations?.['argocd.argoproj.io/refresh']).to.equal('hard')
  })
})
