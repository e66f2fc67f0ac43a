import {readdirSync, writeFileSync} from 'node:fs'
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
    expect(lines(r.stdout)).to.deep.equal(['apply', 'approve-prune', 'completion', 'explain', 'force-presync', 'hard-refresh', 'help', 'ignore-status', 'mcp', 'pause-sync', 'resume-sync', 'retry-sync', 'rollback', 'runbook', 'unblock-delete', 'undo', 'unstick', ':4'])
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

  describe('hostile Application names never run as shell code (bash, zsh and fish, driven for real)', () => {
    // Names a hostile or compromised API server can list (it need not validate them): each would
    // create a file in the shell's directory if a completion script expanded it.
    const HOSTILE = ['`touch${IFS}pwned-bt`', '$(touch${IFS}pwned-ds)', '$(id>pwned-id)', 'x;touch${IFS}pwned-sc', "q'$(touch${IFS}pwned-q)'", 'pwn-`id>pwned-id2`']
    let hostileConfig: string
    let hostile: FakeApiServer
    before(async () => {
      hostile = await startFakeApiServer()
      hostileConfig = hostile.writeKubeconfig(tempDir())
      for (const name of ['prod-api', 'prod-web.v2', ...HOSTILE]) {
        const app = seedApp('auth-service-prod')
        app.metadata.name = name
        hostile.put(app)
      }
    })
    after(() => hostile.stop())

    async function tab(shell: 'bash' | 'zsh' | 'fish', typed: string, path = PATH): Promise<{offered: string[]; created: string[]}> {
      const cwd = tempDir('argo-doctor-completion-')
      const script = (await runCli(['completion', shell])).stdout
      const words = ['argo-doctor', 'explain', '--kubeconfig', hostileConfig, typed]
      const run = {
        // The function `complete -p` names, called the way readline calls it.
        bash: () => execa('bash', ['-c', `${script}\nfn=$(complete -p argo-doctor); fn=\${fn#*-F }; fn=\${fn%% *}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=4; COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}\n"$fn"; printf '%s\\n' "\${COMPREPLY[@]}"`], {cwd, env: {...process.env, PATH: path}}),
        // compinit's compdef for real; compadd only works inside a completion widget, so it prints.
        zsh: () => execa('zsh', ['-f', '-c', `autoload -Uz compinit; compinit -u -D\n${script}\ncompadd() { [[ $1 == -- ]] && shift; print -rl -- "$@" }\nwords=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=5\n$_comps[argo-doctor]`], {cwd, env: {...process.env, PATH: path}}),
        // fish's own completion engine: complete -C completes a command line.
        fish: () => execa('fish', ['--no-config', '-c', `${script}\ncomplete -C ${JSON.stringify(`${words.slice(0, -1).join(' ')} ${typed}`)}`], {cwd, env: {...process.env, PATH: path}}),
      }[shell]
      const r = await run()
      return {offered: lines(r.stdout).map((l) => l.split('\t')[0]), created: readdirSync(cwd)}
    }

    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      it(`${shell}: TAB offers the valid names only, quoted, and creates no file`, async () => {
        const all = await tab(shell, '')
        expect(all.created, 'files created by completion').to.deep.equal([])
        expect(all.offered).to.deep.equal(['prod-api', 'prod-web.v2'])
        const some = await tab(shell, 'prod-w')
        expect(some.created).to.deep.equal([])
        expect(some.offered).to.deep.equal(['prod-web.v2'])
      })
    }

    it('the scripts themselves take each candidate literally (an argo-doctor on PATH that answers hostile names)', async () => {
      const stub = tempDir()
      writeFileSync(join(stub, 'argo-doctor'), `#!/bin/sh\ncat <<'EOF'\n${HOSTILE.join('\n')}\n:4\nEOF\n`, {mode: 0o755})
      for (const shell of ['bash', 'zsh', 'fish'] as const) {
        const r = await tab(shell, '', `${stub}${delimiter}${process.env.PATH}`)
        expect(r.created, shell).to.deep.equal([])
        expect(r.offered, shell).to.have.length(HOSTILE.length)
      }
    })

    it('__complete (also what kubectl asks) lists only DNS-1123 names', async () => {
      const r = await runCli(['__complete', 'explain', '--kubeconfig', hostileConfig, ''])
      expect(lines(r.stdout)).to.deep.equal(['prod-api', 'prod-web.v2', ':4'])
    })
  })
})
