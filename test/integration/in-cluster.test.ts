import {copyFileSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {jsonOut, runCli, tempDir} from '../support/cli.js'
import {NOW, selfWaitApp} from '../fixtures/apps.js'

/**
 * In a pod with no kubeconfig: the service account's token and CA (the in-cluster config), and
 * kubectl's precedence around it. The kubelet's mount is a directory made by the test
 * (ARGO_DOCTOR_SERVICE_ACCOUNT_DIR); the API server is the test one over TLS, so the CA is really checked.
 * The real kube-apiserver with a real ServiceAccount token: test/e2e/in-cluster.e2e.test.ts.
 */
describe('in-cluster config (built CLI against a real HTTPS API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let saDir: string
  let home: string

  /** A pod's environment: no $KUBECONFIG, an empty HOME, KUBERNETES_SERVICE_HOST/PORT. */
  const pod = (extra: Record<string, string | undefined> = {}) => {
    const {hostname, port} = new URL(server.url)
    return {env: {
      ARGO_DOCTOR_NOW: NOW.toISOString(), KUBECONFIG: undefined, ARGOCD_NAMESPACE: undefined, POD_NAMESPACE: undefined, HOME: home,
      KUBERNETES_SERVICE_HOST: hostname, KUBERNETES_SERVICE_PORT: port, ARGO_DOCTOR_SERVICE_ACCOUNT_DIR: saDir, ...extra,
    }}
  }

  const appReads = () => server.requests.filter((q) => q.path.includes('/applications'))

  before(async () => {
    server = await startFakeApiServer({tls: true})
    server.put(selfWaitApp())
    server.put({...selfWaitApp(), metadata: {...selfWaitApp().metadata, namespace: 'team-a', uid: undefined}})
  })
  after(() => server.stop())
  beforeEach(() => {
    saDir = join(tempDir('sa-'), 'serviceaccount')
    mkdirSync(saDir)
    writeFileSync(join(saDir, 'token'), 'admin-token')
    writeFileSync(join(saDir, 'ca.crt'), server.caPem!)
    writeFileSync(join(saDir, 'namespace'), 'argocd\n')
    home = tempDir('home-')
  })

  it('no kubeconfig anywhere: the token and CA from the service account directory (TLS verified), context "in-cluster", and a note saying so', async () => {
    const n = appReads().length
    const r = await runCli(['explain', 'wealist-apps-prod', '--no-related', '--json'], pod())
    expect(r.exitCode, r.stderr).to.equal(20)
    const j = await jsonOut(r.stdout)
    expect(j.app).to.deep.equal({name: 'wealist-apps-prod', namespace: 'argocd'})
    // Not a JWT: no subject to name.
    expect(j.notes[0]).to.equal(`In-cluster config: acting as the pod's service account (its token: ${join(saDir, 'token')}), API server ${server.url}.`)
    const reads = appReads().slice(n)
    expect(reads.length).to.be.greaterThan(0)
    for (const q of reads) expect([q.user, q.headers.authorization]).to.deep.equal(['admin', 'Bearer admin-token'])
  })

  it('the context is "in-cluster" in errors; other commands say on stderr that they use the service account', async () => {
    const missing = await runCli(['explain', 'nope', '--no-related'], pod())
    expect(missing.exitCode).to.equal(3)
    expect(missing.stderr).to.include('(context "in-cluster")')
    const r = await runCli(['hard-refresh', 'wealist-apps-prod', '--dry-run'], pod())
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stderr.split('\n')[0]).to.equal(`In-cluster config: acting as the pod's service account (its token: ${join(saDir, 'token')}), API server ${server.url}.`)
  })

  it('a token that is a service account JWT names its subject (display only: the server decides)', async () => {
    const claims = Buffer.from(JSON.stringify({sub: 'system:serviceaccount:argocd:argo-doctor-scan'})).toString('base64url')
    writeFileSync(join(saDir, 'token'), `eyJhbGciOiJSUzI1NiJ9.${claims}.c2ln`)
    const r = await runCli(['explain', 'wealist-apps-prod', '--no-related', '--json'], pod())
    expect(r.exitCode).to.equal(4) // the test server does not know this token: 401
    expect(JSON.parse(r.stdout).error.message).to.include('(context "in-cluster")')
    expect(server.requests.at(-1)!.headers.authorization).to.equal(`Bearer eyJhbGciOiJSUzI1NiJ9.${claims}.c2ln`)
    const text = await runCli(['hard-refresh', 'wealist-apps-prod', '--dry-run'], pod())
    expect(text.stderr.split('\n')[0]).to.equal(`In-cluster config: acting as system:serviceaccount:argocd:argo-doctor-scan (its token: ${join(saDir, 'token')}), API server ${server.url}.`)
  })

  it('the default namespace: the service account\'s, then $POD_NAMESPACE over it, $ARGOCD_NAMESPACE and -n over both', async () => {
    const ns = async (args: string[], extra: Record<string, string | undefined> = {}) => {
      const r = await runCli(['explain', 'wealist-apps-prod', '--no-related', '--json', ...args], pod(extra))
      expect(r.exitCode, r.stderr).to.equal(20)
      return (await jsonOut(r.stdout)).app.namespace
    }

    writeFileSync(join(saDir, 'namespace'), 'team-a')
    expect(await ns([])).to.equal('team-a')
    writeFileSync(join(saDir, 'namespace'), 'argocd')
    expect(await ns([], {POD_NAMESPACE: 'team-a'})).to.equal('team-a')
    expect(await ns([], {POD_NAMESPACE: 'team-a', ARGOCD_NAMESPACE: 'argocd'})).to.equal('argocd')
    expect(await ns(['-n', 'argocd'], {POD_NAMESPACE: 'team-a'})).to.equal('argocd')
    rmSync(join(saDir, 'namespace'))
    expect(await ns([])).to.equal('argocd') // no namespace file, no $POD_NAMESPACE: argo-doctor's own default
  })

  it('a kubeconfig wins: ~/.kube/config, $KUBECONFIG or --kubeconfig, and -s/--server; then $POD_NAMESPACE is not used', async () => {
    const kubeconfig = server.writeKubeconfig(tempDir())
    const viaKubeconfig = async (extra: Record<string, string>) => {
      const r = await runCli(['explain', 'wealist-apps-prod', '--no-related', '--json', '--context', 'readonly'], pod({...extra, POD_NAMESPACE: 'team-a'}))
      expect(r.exitCode, r.stderr).to.equal(20)
      const j = await jsonOut(r.stdout)
      expect(j.app.namespace).to.equal('argocd')
      expect(j.notes.join('\n')).to.not.include('In-cluster config')
      expect(server.requests.at(-1)!.user).to.equal('readonly')
    }

    await viaKubeconfig({KUBECONFIG: kubeconfig})
    mkdirSync(join(home, '.kube'))
    copyFileSync(kubeconfig, join(home, '.kube', 'config'))
    await viaKubeconfig({})

    const flag = await runCli(['explain', 'wealist-apps-prod', '--no-related', '--json', '--kubeconfig', kubeconfig, '--context', 'readonly'], pod())
    expect(flag.exitCode, flag.stderr).to.equal(20)
    expect(server.requests.at(-1)!.user).to.equal('readonly')
    const s = await runCli(['explain', 'wealist-apps-prod', '--no-related', '--json', '-s', server.url, '--token', 'readonly-token', '--insecure-skip-tls-verify'], pod())
    expect(s.exitCode, s.stderr).to.equal(20)
    expect((await jsonOut(s.stdout)).notes.join('\n')).to.not.include('In-cluster config')
    expect(server.requests.at(-1)!.user).to.equal('readonly')
  })

  it('kubectl\'s override flags apply on top of the in-cluster config (--token)', async () => {
    const r = await runCli(['explain', 'wealist-apps-prod', '--no-related', '--json', '--token', 'readonly-token'], pod())
    expect(r.exitCode, r.stderr).to.equal(20)
    expect(server.requests.at(-1)!.user).to.equal('readonly')
  })

  it('the CA is checked: another CA in ca.crt is refused (exit 7), nothing is read', async () => {
    const {execFileSync} = await import('node:child_process')
    const d = tempDir('wrong-ca-')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(d, 'k.pem'), '-out', join(saDir, 'ca.crt'), '-days', '1', '-subj', '/CN=wrong'], {stdio: 'ignore'})
    const n = appReads().length
    const r = await runCli(['explain', 'wealist-apps-prod', '--no-related'], pod())
    expect(r.exitCode).to.equal(7)
    expect(r.stderr).to.match(/\(context "in-cluster"\): .*certificate/)
    expect(appReads().length).to.equal(n)
  })

  it('no token, no CA, or only half of KUBERNETES_SERVICE_*: a config error (6) that says what is missing', async () => {
    rmSync(join(saDir, 'ca.crt'))
    const noCa = await runCli(['explain', 'wealist-apps-prod'], pod())
    expect(noCa.exitCode).to.equal(6)
    expect(noCa.stderr).to.include(`The service account's CA certificate ${join(saDir, 'ca.crt')} does not exist`)
    rmSync(join(saDir, 'token'))
    const noToken = await runCli(['explain', 'wealist-apps-prod'], pod())
    expect(noToken.exitCode).to.equal(6)
    expect(noToken.stderr).to.include(`No kubeconfig found, and no service account token at ${join(saDir, 'token')} (KUBERNETES_SERVICE_HOST is set, so this looks like a pod).`)
    expect(noToken.stderr).to.include('automountServiceAccountToken: true')
    const half = await runCli(['explain', 'wealist-apps-prod'], pod({KUBERNETES_SERVICE_PORT: undefined}))
    expect(half.exitCode).to.equal(6)
    expect(half.stderr).to.include('No kubeconfig found ($KUBECONFIG is unset and ~/.kube/config does not exist).')
  })

  it('--exit-zero: findings exit 0 (status "ok", the findings still in the output); errors keep their codes', async () => {
    const r = await runCli(['explain', '--all', '--json', '--exit-zero'], pod())
    expect(r.exitCode, r.stderr).to.equal(0)
    const envelope = JSON.parse(r.stdout)
    expect(envelope).to.include({status: 'ok', exitCode: 0})
    expect((await jsonOut(r.stdout)).summary.critical).to.equal(1)
    const missing = await runCli(['explain', 'nope', '--exit-zero'], pod())
    expect(missing.exitCode).to.equal(3)
    const text = await runCli(['explain', 'wealist-apps-prod', '--no-related', '--exit-zero'], pod())
    expect(text.exitCode).to.equal(0)
    expect(text.stdout).to.include('self-wait')
  })
})
