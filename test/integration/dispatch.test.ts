import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {ROOT, runCli, tempDir} from '../support/cli.js'
import {hookStuckApp, NOW} from '../fixtures/apps.js'
import {COMMANDS} from '../../src/command-table.js'
import {dispatchable} from '../../src/dispatch.js'

/**
 * A command runs straight from the table of commands (src/dispatch.ts), without oclif's full
 * configuration. It must print and exit exactly as oclif's own dispatch does: every case runs both
 * ways, the second with ARGO_DOCTOR_NO_FAST_PATH=1 (oclif's Config.load and run()).
 */
describe('start-up: a command dispatched from the table behaves as under oclif', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const example = join(ROOT, 'examples', 'wealist-prod.yaml')

  before(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(hookStuckApp())
  })
  after(async () => server.stop())

  const cases: string[][] = [
    ['explain', '-f', example],
    ['explain', '-f', example, '--json'],
    ['explain', '-f', example, '-o', 'yaml'],
    ['unstick', '-f', join(ROOT, 'examples', 'wealist-apps-prod-stuck.yaml')],
    ['explain', '--bogus-flag'],
    ['explain', '-o', 'xml', '-f', example],
    ['explain'],
    ['hard-refresh', 'Bad_Name', '--dry-run'],
    ['completion', 'bash'],
    ['completion'],
  ]
  const live: string[][] = [
    ['explain', 'payments'],
    ['explain', 'payments', '--json'],
    ['explain', 'missing-app', '-o', 'yaml'],
    ['hard-refresh', 'payments', '--dry-run'],
    ['unstick', 'payments'],
  ]

  for (const [args, cluster] of [...cases.map((a) => [a, false] as const), ...live.map((a) => [a, true] as const)]) {
    it(`${args.join(' ').replace(ROOT, '.')}${cluster ? ' (cluster)' : ''}`, async () => {
      const argv = cluster ? [...args, '--kubeconfig', kubeconfig, '-n', 'argocd'] : args
      // The clock and the hard-refresh timestamp are pinned, so both runs print the same bytes.
      const env = {ARGO_DOCTOR_NOW: NOW.toISOString(), COLUMNS: '80'}
      const fast = await runCli(argv, {env})
      const full = await runCli(argv, {env: {...env, ARGO_DOCTOR_NO_FAST_PATH: '1'}})
      expect(fast.exitCode, fast.stderr).to.equal(full.exitCode)
      expect(fast.stdout).to.equal(full.stdout)
      expect(fast.stderr).to.equal(full.stderr)
    })
  }

  for (const bin of ['kubectl-argo_doctor', 'argocd-doctor']) {
    it(`${bin}: the fixes it prints name the way it was invoked, as under oclif`, async () => {
      const run = (extra: Record<string, string>) => execa('node', [join(ROOT, 'bin', bin), 'explain', '-f', example], {reject: false, env: {...process.env, NO_COLOR: '1', ARGO_DOCTOR_NOW: NOW.toISOString(), ...extra}})
      const fast = await run({})
      const full = await run({ARGO_DOCTOR_NO_FAST_PATH: '1'})
      expect(fast.stdout).to.include(bin === 'argocd-doctor' ? '$ argocd doctor unstick' : '$ kubectl argo-doctor unstick')
      expect([fast.exitCode, fast.stdout, fast.stderr]).to.deep.equal([full.exitCode, full.stdout, full.stderr])
    })
  }

  it('covers every DoctorCommand, and leaves help, `help`, plain oclif commands and unknown commands to oclif', async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
    const {DoctorCommand} = await import('../../src/base-command.js')
    const doctor: string[] = []
    for (const id of Object.keys(manifest.commands)) {
      const {default: Cmd} = await import(`../../src/commands/${id}.js`)
      if (Cmd.prototype instanceof DoctorCommand) doctor.push(id)
    }

    expect(Object.keys(COMMANDS).sort()).to.deep.equal(doctor.sort())
    expect(doctor).to.include('explain').and.not.include('completion')
    expect(dispatchable(['completion', 'bash'])).to.equal(undefined)
    expect(dispatchable(['explain', 'x', '-n', 'argocd'])).to.deep.equal({id: 'explain', argv: ['x', '-n', 'argocd']})
    expect(dispatchable([])).to.deep.equal({id: 'runbook', argv: []})
    expect(dispatchable(['explain', 'x', '--', '--help'])).to.deep.equal({id: 'explain', argv: ['x', '--', '--help']})
    for (const argv of [['explain', '--help'], ['explain', 'x', '-h'], ['help', 'explain'], ['frobnicate'], ['constructor'], ['--version'], ['-n', 'argocd', 'explain']]) {
      expect(dispatchable(argv), argv.join(' ')).to.equal(undefined)
    }
  })
})
