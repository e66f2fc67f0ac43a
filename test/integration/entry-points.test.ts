import {delimiter, join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {ROOT} from '../support/cli.js'

const plain = {...process.env, NO_COLOR: '1', COLUMNS: '80'}

describe('entry points: argo-doctor, kubectl argo-doctor, argocd doctor', function () {
  this.timeout(30_000)

  it('kubectl finds the plugin on PATH and help reads "kubectl argo-doctor"', async () => {
    const r = await execa('kubectl', ['argo-doctor', 'unstick', '--help'], {env: {...plain, PATH: `${join(ROOT, 'bin')}${delimiter}${process.env.PATH}`}})
    expect(r.stdout).to.include('$ kubectl argo-doctor unstick [APP]')
    expect(r.stdout).to.include('$ kubectl argo-doctor unstick my-app --dry-run')
  })

  it('argocd-doctor help reads "argocd doctor"', async () => {
    const r = await execa('node', [join(ROOT, 'bin', 'argocd-doctor'), '--help'], {env: plain})
    expect(r.stdout).to.include('$ argocd doctor [COMMAND]')
  })

  for (const [bin, args] of [['argo-doctor', ['--help']], ['kubectl-argo_doctor', ['explain', '--help']], ['argocd-doctor', ['help', 'force-presync']], ['argo-doctor', ['--version']]] as const) {
    it(`the start-up fast path prints exactly what oclif prints: ${bin} ${args.join(' ')}`, async () => {
      const fast = await execa('node', [join(ROOT, 'bin', bin), ...args], {env: plain})
      const full = await execa('node', [join(ROOT, 'bin', bin), ...args], {env: {...plain, ARGO_DOCTOR_NO_FAST_PATH: '1'}})
      expect(fast.stdout).to.equal(full.stdout)
    })
  }

  it('an unknown command falls through to oclif and fails with a usage error', async () => {
    const r = await execa('node', [join(ROOT, 'bin', 'argo-doctor'), 'frobnicate'], {env: plain, reject: false})
    expect(r.exitCode).to.not.equal(0)
    expect(r.stderr).to.match(/frobnicate/)
  })
})
