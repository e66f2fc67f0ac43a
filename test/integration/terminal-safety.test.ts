/**
 * Cluster text is untrusted: hostile messages, names and annotations (test/fixtures/hostile.ts)
 * through every renderer of the built CLI, against the test API server and offline. No control
 * character, escape sequence or bidi override may reach the terminal (only our own colour codes
 * when colour is forced); --json keeps the exact values; every command line we print, pasted into
 * a shell, means exactly the argv it was built from and runs nothing else.
 */
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, type CliResult, jsonOut} from '../support/cli.js'
import {NOW} from '../fixtures/apps.js'
import {EVIL, hostileOfflineApp, hostileStuckApp, hostileSyncedApp, INJECT_MARKER, injectName, unsafeChars} from '../fixtures/hostile.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}

/** Everything a human would see, with no control character in it. */
function expectSafe(r: CliResult): void {
  expect(unsafeChars(r.stdout), `stdout:\n${r.stdout}`).to.deep.equal([])
  expect(unsafeChars(r.stderr), `stderr:\n${r.stderr}`).to.deep.equal([])
}

/** The hostile text is shown, escaped (so the user sees that something odd is there). */
function expectShownEscaped(text: string): void {
  expect(text).to.match(/\\(x1b|u001b|e)\]0;pwned\\(x07|u0007|a)/)
}

/** What a POSIX shell makes of a line we printed: the argv each program would get (programs stubbed). */
async function shellArgv(line: string): Promise<string[]> {
  const stubs = ['argo-doctor', 'kubectl', 'argocd'].map((p) => `${p}() { printf '%s\\0' ${p === 'argo-doctor' ? '' : `'${p}' `}"$@"; }`).join('; ')
  const r = await execa('bash', ['-c', `${stubs}; ${line}`], {reject: false, stripFinalNewline: false})
  expect(r.exitCode, r.stderr).to.equal(0)
  return String(r.stdout).split('\0').slice(0, -1)
}

describe('terminal safety and copy-paste safety (built CLI, hostile cluster text)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  let dir: string
  const k = () => ['--kubeconfig', kubeconfig]

  beforeEach(async () => {
    dir = tempDir()
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(hostileStuckApp(dir))
    server.put(hostileSyncedApp(dir))
  })
  afterEach(async () => {
    await server.stop()
    // No printed line was ever run by a shell, and nothing the CLI did ran one either.
    expect(readdirSync(dir).filter((f) => f.startsWith(INJECT_MARKER))).to.deep.equal([])
  })

  describe('no control character reaches the terminal', () => {
    it('explain APP: header, titles, explanations, evidence, fixes and notes', async () => {
      const r = await runCli(['explain', 'hostile', ...k()], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      expectSafe(r)
      expectShownEscaped(r.stdout)
      // The hook name the title quotes came from the message.
      expect(r.stdout).to.match(/CRITICAL Sync waits for .* for hook batch\/Job\/db-migrate\\x1b\]0 that never/)
    })

    it('explain --all and -A: the fleet table and every app\'s details', async () => {
      for (const flag of ['--all', '-A']) {
        const r = await runCli(['explain', flag, ...k()], {env})
        expect(r.exitCode, r.stderr).to.equal(20)
        expectSafe(r)
        expect(r.stdout).to.match(/^APP\s+SYNC\s+HEALTH/m)
        expectShownEscaped(r.stdout)
      }
    })

    it('explain -f FILE (offline) and -f - (stdin)', async () => {
      const file = join(dir, 'apps.json')
      writeFileSync(file, JSON.stringify({apiVersion: 'v1', kind: 'List', items: [hostileStuckApp(dir), hostileSyncedApp(dir)]}))
      const r = await runCli(['explain', '-f', file], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      expectSafe(r)
      expectShownEscaped(r.stdout)
      const single = await runCli(['explain', '-f', '-'], {env, stdin: 'pipe', input: JSON.stringify(hostileStuckApp(dir))})
      expect(single.exitCode, single.stderr).to.equal(20)
      expectSafe(single)
    })

    it('with colour forced, the only escape sequences are our own SGR colour codes', async () => {
      const r = await runCli(['explain', 'hostile', ...k()], {env: {...env, NO_COLOR: undefined, FORCE_COLOR: '1'}})
      expect(r.exitCode, r.stderr).to.equal(20)
      // eslint-disable-next-line no-control-regex
      const withoutOurColours = r.stdout.replaceAll(/\u001b\[\d+m/g, '')
      expect(r.stdout).to.not.equal(withoutOurColours) // colour is really on
      expect(unsafeChars(withoutOurColours)).to.deep.equal([])
      expectShownEscaped(withoutOurColours)
    })

    it('runbook without a terminal: the table and the fixes it would offer', async () => {
      const r = await runCli(['runbook', ...k()], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      expect(r.stdout).to.include('It would offer these fixes')
      expectSafe(r)
      // Offline, the name itself can be hostile (an API server would refuse it): table, headers and commands.
      const app = hostileStuckApp(dir)
      app.metadata.name = `x${EVIL}`
      const file = join(dir, 'evil-name.json')
      writeFileSync(file, JSON.stringify(app))
      const offline = await runCli(['runbook', '-f', file], {env})
      expect(offline.exitCode, offline.stderr).to.equal(20)
      expectSafe(offline)
      expect(offline.stdout).to.match(/^argocd\/x\\x1b\]0;pwned\\x07/m)
    })

    it('every mutating command\'s preview: unstick, hard-refresh, force-presync, ignore-status', async () => {
      const runs = [
        ['unstick', 'hostile', '--dry-run'],
        ['unstick', 'hostile', '--dry-run', '--no-terminate'],
        ['hard-refresh', 'hostile-synced', '--dry-run'],
        ['hard-refresh', '--all', '--dry-run'],
        ['force-presync', 'hostile-synced', '--dry-run'],
        ['force-presync', 'hostile', '--dry-run'], // refused: an operation is in progress
        ['ignore-status', 'hostile-synced', '--dry-run'],
      ]
      for (const args of runs) {
        const r = await runCli([...args, ...k()], {env})
        expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).to.be.oneOf([0, 13, 14])
        expectSafe(r)
      }

      const preview = await runCli(['unstick', 'hostile', '--dry-run', ...k()], {env})
      expect(preview.stdout).to.include('Diff (server dry-run):')
      expectShownEscaped(preview.stdout)
    })

    it('applying: progress lines, the result and the hook table quote the controller\'s messages safely', async () => {
      const timer = setInterval(() => {
        const app = server.get(...APP, 'hostile-synced')
        if (!app?.operation) return
        server.mutate(...APP, 'hostile-synced', (o) => {
          delete o.operation
          o.status.operationState = {
            operation: app.operation, phase: 'Failed', message: `one or more hooks failed ${EVIL}\nsecond line`, startedAt: '2026-01-02T00:12:01Z', finishedAt: '2026-01-02T00:12:02Z',
            syncResult: {revision: 'abc', resources: [{group: 'batch', version: 'v1', kind: 'Job', namespace: 'payments', name: `db${EVIL}`, hookType: 'PreSync', hookPhase: 'Failed', syncPhase: 'PreSync', status: '', message: `Job failed ${EVIL}\nline 2`}]},
          }
        })
      }, 50)
      const r = await runCli(['force-presync', 'hostile-synced', '--yes', '--timeout', '20s', ...k()], {env}).finally(() => clearInterval(timer))
      expect(r.exitCode, r.stdout + r.stderr).to.equal(15)
      expectSafe(r)
      // One-line fields stay on one line: the multi-line message is shown with a visible \n.
      expect(r.stdout).to.match(/✖ Sync Failed: one or more hooks failed .*\\nsecond line/)
      expect(r.stdout).to.match(/^PreSync\s+Job\/db\\x1b\]0;pwned.*Failed\s+Job failed .*\\nline 2$/m)
    })

    it('errors: an API server message with escape sequences is printed escaped, and exactly under --json', async () => {
      const message = `etcdserver: request timed out ${EVIL}`
      server.failNext({method: 'GET', pathIncludes: '/hostile'}, 500, 'InternalError', message)
      const r = await runCli(['explain', 'hostile', ...k()], {env})
      expect(r.exitCode).to.equal(7)
      expectSafe(r)
      expect(r.stderr).to.match(/^Error: The API server failed the request \(500\): etcdserver: request timed out \\x1b\]0;pwned/m)

      server.failNext({method: 'GET', pathIncludes: '/hostile'}, 500, 'InternalError', message)
      const j = await runCli(['explain', 'hostile', ...k(), '--json'], {env})
      expectSafe(j)
      expect((await jsonOut(j.stdout)).error.message).to.equal(`The API server failed the request (500): ${message}`)
    })

    it('--json keeps the exact values (and its bytes are safe too)', async () => {
      const r = await runCli(['explain', 'hostile', ...k(), '--json'], {env})
      expectSafe(r)
      const out = (await jsonOut(r.stdout))
      const quoted = out.findings.flatMap((f: any) => f.evidence).find((e: any) => e.path === 'status.operationState.message')
      expect(quoted.value).to.equal(`waiting for completion of hook batch/Job/db-migrate${EVIL}\nsecond line`)

      const preview = await runCli(['unstick', 'hostile', '--dry-run', '--json', ...k()], {env})
      expectSafe(preview)
      expect((await jsonOut(preview.stdout)).steps[0].diff).to.include('pwned')
    })
  })

  describe('every printed command line means exactly its argv', () => {
    it('the ignore-status hint for a resource named api$(touch …)', async () => {
      const r = await runCli(['ignore-status', 'hostile-synced', '--dry-run', ...k()], {env})
      expect(r.exitCode, r.stderr).to.equal(13)
      const line = /add an entry by hand: (.*) \(or --jq/.exec(r.stdout)?.[1]
      expect(line, r.stdout).to.be.a('string')
      expect(await shellArgv(line!)).to.deep.equal(['ignore-status', 'hostile-synced', '-n', 'argocd', '--group', 'apps', '--kind', 'Deployment', '--name', injectName(dir), '--resource-namespace', 'payments', '--json-pointer', '/path/to/field', '--kubeconfig', kubeconfig])
      expect(existsSync(join(dir, INJECT_MARKER))).to.equal(false)
    })

    it('explain\'s fix commands and the "Equivalent kubectl" line, for an app and namespace with quotes and $(…)', async () => {
      const app = hostileOfflineApp(dir)
      const file = join(dir, 'app.json')
      writeFileSync(file, JSON.stringify(app))
      const {name, namespace} = app.metadata as {name: string; namespace: string}

      const explain = await runCli(['explain', '-f', file, '--kubeconfig', "/tmp/my kube'config"], {env})
      expectSafe(explain)
      const fix = /^ {7}\$ (.*)$/m.exec(explain.stdout)?.[1]
      expect(fix, explain.stdout).to.be.a('string')
      const argv = ['unstick', name, '-n', namespace, '--kubeconfig', "/tmp/my kube'config"]
      expect(await shellArgv(fix!)).to.deep.equal(argv)
      const json = (await jsonOut((await runCli(['explain', '-f', file, '--kubeconfig', "/tmp/my kube'config", '--json'], {env})).stdout))
      expect(json.findings[0].fix.argv).to.deep.equal(argv)
      expect(await shellArgv(json.findings[0].fix.command)).to.deep.equal(argv)

      const unstick = await runCli(['unstick', '-f', file], {env})
      expect(unstick.exitCode, unstick.stderr).to.equal(0)
      const kubectl = /^Equivalent kubectl:\n {2}(.*)$/m.exec(unstick.stdout)?.[1]
      const kubectlArgv = await shellArgv(kubectl!)
      expect(kubectlArgv.slice(0, 6)).to.deep.equal(['kubectl', 'patch', 'applications.argoproj.io', name, '-n', namespace])
      expect(JSON.parse(kubectlArgv.at(-1)!)[0]).to.deep.equal({op: 'test', path: '/metadata/resourceVersion', value: '901'})
      expect(readdirSync(dir).filter((f) => f.startsWith(INJECT_MARKER))).to.deep.equal([])
    })
  })
})

describe('terminal safety in a real terminal: the runbook\'s prompts', function () {
  this.timeout(60_000)

  it('app choices, explanations and fix choices show hostile text escaped (only the prompt\'s own cursor codes are sent)', async () => {
    const {cliInPty} = await import('../support/pty.js')
    const dir = tempDir()
    const file = join(dir, 'apps.json')
    writeFileSync(file, JSON.stringify({apiVersion: 'v1', kind: 'List', items: [hostileStuckApp(dir), hostileSyncedApp(dir)]}))
    const pty = cliInPty(['runbook', '-f', file], env)
    try {
      await pty.waitFor(/applications need attention\. Which one\?/)
      pty.type('\r')
      await pty.waitFor(/Run a fix\?/)
      pty.type('\u001b[A') // up from the first choice wraps around to "Quit"
      await pty.waitFor(/❯ Quit/, 10_000, pty.text.lastIndexOf('Run a fix?'))
      pty.type('\r')
      expect(await pty.exited).to.equal(0)
    } finally {
      pty.kill()
    }

    // The prompt library moves the cursor and erases lines (CSI … letter); nothing else may be there.
    // eslint-disable-next-line no-control-regex
    const withoutPromptCodes = pty.output.replaceAll(/\u001b\[[0-9;?]*[ABCDEFGHJKSTfhlmsu]/g, (m) => (m === '\u001b[2J' ? m : ''))
    expect(unsafeChars(withoutPromptCodes.replaceAll('\r\n', '\n').replaceAll('\r', '')), pty.text).to.deep.equal([])
    expectShownEscaped(pty.text)
  })
})
