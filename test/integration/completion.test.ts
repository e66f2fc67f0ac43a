import {delimiter, join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {ROOT, runCli, tempDir} from '../support/cli.js'
import {seedApp} from '../fixtures/examples.js'

const PATH = `${join(ROOT, 'bin')}${delimiter}${process.env.PATH}`
const lines = (out: string) => out.split('\n').filter(Boolean)

describe('shell completion (built CLI; kubectl plugin completion through the real kubectl)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  before(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    for (const name of ['auth-service-prod', 'board-service-prod']) server.put(seedApp(name))
    const other = seedApp('wealist-apps-prod')
    other.metadata.namespace = 'team-a'
    server.put(other)
  })
  after(() => server.stop())

  it('commands, then the directive line (no file completion)', async () => {
    const r = await runCli(['__complete', ''])
    expect(r.exitCode).to.equal(0)
    expect(lines(r.stdout)).to.deep.equal(['apply', 'approve-prune', 'completion', 'explain', 'force-presync', 'hard-refresh', 'help', 'ignore-status', 'mcp', 'runbook', 'unblock-delete', 'undo', 'unstick', ':4'])
    expect(lines((await runCli(['__complete', 'un'])).stdout)).to.deep.equal(['unblock-delete', 'undo', 'unstick', ':4'])
  })

  it('flags of the command, values of -o, files after -f', async () => {
    const flags = lines((await runCli(['__complete', 'explain', '--'])).stdout)
    for (const f of ['--kubeconfig', '--context', '--namespace', '--output', '--as', '--as-group', '--server', '--token', '--no-related']) expect(flags).to.include(f)
    expect(lines((await runCli(['__complete', 'unstick', 'x', '--dr'])).stdout)).to.deep.equal(['--dry-run', ':4'])
    expect(lines((await runCli(['__complete', 'explain', '-o', ''])).stdout)).to.deep.equal(['json', 'yaml', ':4'])
    expect(lines((await runCli(['__complete', 'explain', '-f', ''])).stdout)).to.deep.equal([':0'])
    expect(lines((await runCli(['__complete', 'unstick', 'x', '--save-plan', ''])).stdout)).to.deep.equal([':0'])
    expect(lines((await runCli(['__complete', 'apply', ''])).stdout)).to.deep.equal([':0'])
  })

  it('Application names from the cluster, in -n (default argocd), filtered by what is typed', async () => {
    expect(lines((await runCli(['__complete', 'explain', '--kubeconfig', kubeconfig, ''])).stdout)).to.deep.equal(['auth-service-prod', 'board-service-prod', ':4'])
    expect(lines((await runCli(['__complete', 'unstick', '--kubeconfig', kubeconfig, 'bo'])).stdout)).to.deep.equal(['board-service-prod', ':4'])
    expect(lines((await runCli(['__complete', 'explain', '--kubeconfig', kubeconfig, '-n', 'team-a', ''])).stdout)).to.deep.equal(['wealist-apps-prod', ':4'])
    // After the app, nothing more to name; an unreachable cluster completes nothing, silently.
    expect(lines((await runCli(['__complete', 'explain', 'auth-service-prod', '--kubeconfig', kubeconfig, ''])).stdout)).to.deep.equal([':4'])
    const dead = await runCli(['__complete', 'explain', '--kubeconfig', kubeconfig, '-s', 'https://127.0.0.1:1', ''])
    expect([dead.stdout, dead.stderr]).to.deep.equal([':4', ''])
  })

  it('kubectl (≥ 1.26) completes `kubectl argo-doctor …` through kubectl_complete-argo_doctor', async () => {
    const r = await execa('kubectl', ['__complete', 'argo-doctor', 'explain', '--kubeconfig', kubeconfig, 'au'], {env: {...process.env, PATH}, reject: false})
    expect(lines(r.stdout)).to.include('auth-service-prod')
    expect(lines(r.stdout).at(-1)).to.equal(':4')
    const cmds = await execa('kubectl', ['__complete', 'argo-doctor', 'hard'], {env: {...process.env, PATH}, reject: false})
    expect(lines(cmds.stdout)[0]).to.equal('hard-refresh')
  })

  it('the bash script: argo-doctor ex<TAB> → explain; zsh and fish scripts are printed', async () => {
    const script = (await runCli(['completion', 'bash'])).stdout
    const r = await execa('bash', ['-c', `${script}\nCOMP_WORDS=(argo-doctor ex); COMP_CWORD=1; _argo_doctor; printf '%s\\n' "\${COMPREPLY[@]}"`], {env: {...process.env, PATH}})
    expect(r.stdout).to.equal('explain')
    const a = await execa('bash', ['-c', `${script}\nCOMP_WORDS=(argo-doctor explain --kubeconfig ${kubeconfig} b); COMP_CWORD=4; _argo_doctor; printf '%s\\n' "\${COMPREPLY[@]}"`], {env: {...process.env, PATH}})
    expect(a.stdout).to.equal('board-service-prod')
    expect((await runCli(['completion', 'zsh'])).stdout).to.match(/^#compdef argo-doctor\n/)
    expect((await runCli(['completion', 'fish'])).stdout).to.include("complete -c argo-doctor -f -a '(__")
    expect((await runCli(['completion', 'tcsh'])).exitCode).to.equal(2)
  })
})
