import {readdirSync} from 'node:fs'
import Module from 'node:module'
import {delimiter, join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {ROOT, tempDir} from '../support/cli.js'

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

  it('Node\'s module compile cache (Node ≥ 22.1) is kept in the user\'s cache directory, never in the shared temporary one', async function () {
    if (!('enableCompileCache' in Module)) this.skip() // Node 20: no such cache (npm run test:node24 runs this)
    const [tmp, cache] = [tempDir(), tempDir()]
    for (const bin of ['argo-doctor', 'kubectl-argo_doctor', 'argocd-doctor']) {
      await execa('node', [join(ROOT, 'bin', bin), 'explain', '-f', join(ROOT, 'examples', 'wealist-prod.yaml'), '--json'], {reject: false, env: {...plain, TMPDIR: tmp, XDG_CACHE_HOME: cache, NODE_COMPILE_CACHE: ''}})
    }
    expect(readdirSync(tmp), 'the temporary directory').to.deep.equal([])
    expect(readdirSync(join(cache, 'argo-doctor', 'node-compile-cache')).length, 'the compile cache in XDG_CACHE_HOME').to.be.greaterThan(0)
  })

  it('an unknown command falls through to oclif and fails with a usage error', async () => {
    const r = await execa('node', [join(ROOT, 'bin', 'argo-doctor'), 'frobnicate'], {env: plain, reject: false})
    expect(r.exitCode).to.not.equal(0)
    expect(r.stderr).to.match(/frobnicate/)
  })
})
