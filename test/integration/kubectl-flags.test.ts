import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {parse} from 'yaml'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {ROOT, runCli, tempDir, jsonOut} from '../support/cli.js'
import {EXAMPLE_NOW, seedApp} from '../fixtures/examples.js'

const env = {ARGO_DOCTOR_NOW: EXAMPLE_NOW.toISOString()}
const ex = (file: string) => join(ROOT, 'examples', file)

/** kubectl's global flags after the plugin name, -o json|yaml, -v: against the test API server. */
describe('kubectl-style flags (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  let app: string
  before(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    const stored = server.put(seedApp('auth-service-prod'))
    app = stored.metadata.name
  })
  after(() => server.stop())
  const appRequests = () => server.requests.filter((r) => r.path.endsWith(`/applications/${app}`))
  const last = () => appRequests().at(-1)!

  it('-s/--server and --token work without any kubeconfig (--kubeconfig /dev/null)', async () => {
    const r = await runCli(['explain', app, '--kubeconfig', '/dev/null', '-s', server.url, '--token', 'admin-token', '--insecure-skip-tls-verify', '--no-related', '--json'], {env})
    expect(r.exitCode, r.stderr).to.be.oneOf([0, 20])
    expect((await jsonOut(r.stdout)).app.name).to.equal(app)
    expect(last().user).to.equal('admin')
  })

  it('--token replaces the kubeconfig user\'s token (a bad one is refused: exit 4, the server saw it)', async () => {
    const n = appRequests().length
    const r = await runCli(['explain', app, '--kubeconfig', kubeconfig, '--token', 'nope', '--no-related'], {env})
    expect(r.exitCode).to.equal(4)
    expect(r.stderr).to.match(/401 Unauthorized/)
    expect(appRequests().length).to.equal(n + 1)
    expect(last().headers.authorization).to.equal('Bearer nope')
  })

  it('--user picks another kubeconfig user; --cluster an unknown cluster is a config error (6)', async () => {
    const r = await runCli(['explain', app, '--kubeconfig', kubeconfig, '--user', 'readonly', '--no-related', '--json'], {env})
    expect(r.exitCode, r.stderr).to.be.oneOf([0, 20])
    expect(last().user).to.equal('readonly')
    const c = await runCli(['explain', app, '--kubeconfig', kubeconfig, '--cluster', 'nowhere'], {env})
    expect(c.exitCode).to.equal(6)
    expect(c.stderr).to.include('Cluster "nowhere" is not in the kubeconfig.')
    const u = await runCli(['explain', app, '--kubeconfig', kubeconfig, '--user', 'nobody'], {env})
    expect(u.exitCode).to.equal(6)
    expect(u.stderr).to.include('User "nobody" is not in the kubeconfig.')
  })

  it('--as and --as-group send the impersonation headers', async () => {
    const r = await runCli(['explain', app, '--kubeconfig', kubeconfig, '--as', 'jane', '--as-group', 'sre', '--no-related', '--json'], {env})
    expect(r.exitCode, r.stderr).to.be.oneOf([0, 20])
    expect(last().headers['impersonate-user']).to.equal('jane')
    expect(last().headers['impersonate-group']).to.equal('sre')
    const two = await runCli(['explain', app, '--kubeconfig', kubeconfig, '--as-group', 'a', '--as-group', 'b'], {env})
    expect(two.exitCode).to.equal(2)
    expect(two.stderr).to.include('Give --as-group once')
  })

  it('-s overrides the kubeconfig\'s server; --certificate-authority must exist', async () => {
    const r = await runCli(['explain', app, '--kubeconfig', kubeconfig, '-s', 'https://127.0.0.1:1', '--request-timeout', '5s'], {env})
    expect(r.exitCode).to.equal(7)
    expect(r.stderr).to.include('https://127.0.0.1:1')
    const ca = await runCli(['explain', app, '--kubeconfig', kubeconfig, '--certificate-authority', '/nonexistent/ca.pem'], {env})
    expect(ca.exitCode).to.equal(6)
    expect(ca.stderr).to.include('Certificate authority file /nonexistent/ca.pem does not exist.')
  })

  for (const empty of ['/dev/null', 'empty-file']) {
    it(`--kubeconfig ${empty}: our own message and exit 6, no JavaScript error`, async () => {
      const path = empty === '/dev/null' ? empty : join(tempDir(), 'config')
      if (path !== empty) writeFileSync(path, '# nothing\n')
      const r = await runCli(['explain', app, '--kubeconfig', path], {env})
      expect(r.exitCode).to.equal(6)
      expect(r.stderr).to.equal(`Error: Kubeconfig ${path} is empty: it names no cluster, user or context.\n  Pass a kubeconfig that has a cluster, user and context (kubectl config view shows what it holds), or --server and --token.`)
      const k = await runCli(['explain', app], {env: {...env, KUBECONFIG: path}})
      expect(k.exitCode).to.equal(6)
      expect(k.stderr).to.include('is empty')
    })
  }

  it('-o yaml prints the same document as --json, in YAML; -o json is --json', async () => {
    const j = await runCli(['explain', '-f', ex('wealist-prod.yaml'), '--json'], {env})
    const y = await runCli(['explain', '-f', ex('wealist-prod.yaml'), '-o', 'yaml'], {env})
    const o = await runCli(['explain', '-f', ex('wealist-prod.yaml'), '-ojson'], {env})
    expect([j.exitCode, y.exitCode, o.exitCode]).to.deep.equal([20, 20, 20])
    expect(y.stdout.trimStart().startsWith('{')).to.equal(false)
    expect(parse(y.stdout)).to.deep.equal(JSON.parse(j.stdout))
    expect(o.stdout).to.equal(j.stdout)
  })

  it('-o yaml errors are a YAML document too; -o xml is a usage error', async () => {
    const y = await runCli(['explain', app, '--kubeconfig', '/dev/null', '-o', 'yaml'], {env})
    expect(y.exitCode).to.equal(6)
    expect(parse(y.stdout).error.code).to.equal('CONFIG')
    const x = await runCli(['explain', '-f', ex('wealist-prod.yaml'), '-o', 'xml'], {env})
    expect(x.exitCode).to.equal(2)
  })

  it('-v is kubectl\'s verbosity, not --version: -v 6 shows what --debug shows; --version still works', async () => {
    const v = await runCli(['explain', app, '--kubeconfig', '/dev/null', '-v', '6'], {env})
    expect(v.exitCode).to.equal(6)
    expect(v.stderr).to.match(/DoctorError|at /)
    const quiet = await runCli(['explain', app, '--kubeconfig', '/dev/null', '-v', '2'], {env})
    expect(quiet.stderr).not.to.match(/\n\s+at /)
    const version = await runCli(['--version'])
    expect(version.stdout).to.match(/^argo-doctor\/\d+\.\d+\.\d+ /)
    const dashV = await runCli(['-v'])
    expect(dashV.stdout).not.to.match(/^argo-doctor\/\d/)
  })
})
