/**
 * The Argo CD API backend, end to end through the built `argocd-doctor` binary (what `argocd doctor`
 * runs) against an in-process HTTP server speaking argocd-server v3.6.2's REST API
 * (test/support/fake-argocd.ts): the session from the argocd CLI's config file and environment,
 * the backend line on stderr, reads, each kind of write made with the API's own call, the refusal of
 * what the API cannot do, Argo CD RBAC's 403, an expired token — and no output ever shows the token.
 */
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {stringify} from 'yaml'
import {ROOT, tempDir} from '../support/cli.js'
import {fakeJwt, startFakeArgoCd, type FakeArgoCd} from '../support/fake-argocd.js'
import {healthyApp, hookStuckApp, NOW} from '../fixtures/apps.js'
import {BAD_DEPLOY_NOW, badDeployApp} from '../fixtures/deploys.js'
import {argocdSource} from '../../src/lib/argocd/source.js'
import {chooseBackend} from '../../src/lib/argocd/session.js'
import {buildPausePlan} from '../../src/lib/recipes/pause-sync.js'

const PLUGIN = join(ROOT, 'bin', 'argocd-doctor')
const future = () => Math.floor(Date.now() / 1000) + 3600

interface Run {
  exitCode: number
  stdout: string
  stderr: string
}

/** `argocd doctor ARGS` as the argocd CLI runs it: the caller's environment only, here with no kubeconfig at all. */
async function argocdDoctor(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const home = tempDir('argocd-home-')
  const r = await execa('node', [PLUGIN, ...args], {
    reject: false, stdin: 'ignore', timeout: 60_000, extendEnv: false,
    env: {PATH: process.env.PATH, HOME: home, NO_COLOR: '1', KUBECONFIG: join(home, 'no-such-kubeconfig'), ARGO_DOCTOR_BACKUP_DIR: tempDir('argocd-backups-'), ...env},
  })
  return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
}

/** The argocd CLI's config file after `argocd login ADDR --plaintext` (localconfig.LocalConfig, mode 0600). */
function loginConfig(server: string, token: string, extra: {refreshToken?: string; core?: boolean} = {}): string {
  const dir = tempDir('argocd-config-')
  const config = {
    contexts: [{name: server, server, user: server}],
    'current-context': server,
    'prompts-enabled': false,
    servers: [{'grpc-web-root-path': '', 'plain-text': true, server, ...(extra.core ? {core: true} : {})}],
    users: [{'auth-token': token, name: server, ...(extra.refreshToken ? {'refresh-token': extra.refreshToken} : {})}],
  }
  writeFileSync(join(dir, 'config'), stringify(config), {mode: 0o600})
  return dir
}

describe('argocd doctor through the Argo CD API (built CLI against an in-process Argo CD API server)', function () {
  this.timeout(60_000)
  let argo: FakeArgoCd
  let token: string
  let config: string
  const all: Run[] = []
  const run = async (args: string[], env: Record<string, string | undefined> = {}) => {
    const r = await argocdDoctor(args, {ARGOCD_CONFIG_DIR: config, ARGO_DOCTOR_NOW: NOW.toISOString(), ...env})
    all.push(r)
    return r
  }

  beforeEach(async () => {
    argo = await startFakeArgoCd()
    token = fakeJwt({sub: 'alice', exp: future(), iss: 'argocd'})
    argo.user(token, 'alice')
    config = loginConfig(argo.address, token)
    const app = healthyApp()
    app.metadata.name = 'web'
    argo.put(app)
    argo.putProject({metadata: {name: 'default', namespace: 'argocd'}, spec: {sourceRepos: ['*']}})
  })
  afterEach(async () => argo.stop())
  after(() => {
    // No output of any run, text or JSON, success or failure, shows a token.
    for (const r of all) for (const secret of ['.c2lnbmF0dXJl', 'not-a-jwt-secret']) expect(r.stdout + r.stderr).not.to.include(secret)
  })

  it('reads the session from the argocd config file, says the backend and the user on stderr, and explains without any kubeconfig', async () => {
    const r = await run(['explain', 'web', '-n', 'argocd'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stderr).to.include(`Backend: the Argo CD API at http://${argo.address} (server from argocd context "${argo.address}"`)
    expect(r.stderr).to.include('acting as Argo CD user "alice"')
    expect(r.stdout).to.include('argocd/web — Synced, Healthy')
    expect(argo.requests.every((q) => q.user === 'alice')).to.equal(true)
  })

  it('ARGOCD_SERVER + ARGOCD_AUTH_TOKEN without a config file; ARGOCD_OPTS --plaintext; the plain argo-doctor binary uses it with --argocd-server', async () => {
    const env = {ARGOCD_CONFIG_DIR: tempDir('empty-'), ARGOCD_SERVER: argo.address, ARGOCD_AUTH_TOKEN: `${token}\n`, ARGOCD_OPTS: '--plaintext'}
    const r = await run(['explain', 'web'], env)
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stderr).to.include('(server from $ARGOCD_SERVER)')
    const standalone = await execa('node', [join(ROOT, 'bin', 'argo-doctor'), 'explain', 'web', '--argocd-server', `http://${argo.address}`, '--json'], {
      reject: false, extendEnv: false, env: {PATH: process.env.PATH, HOME: tempDir(), ARGOCD_AUTH_TOKEN: token, ARGOCD_CONFIG_DIR: tempDir('empty-'), ARGO_DOCTOR_NOW: NOW.toISOString()},
    })
    expect(standalone.exitCode, String(standalone.stderr)).to.equal(0)
    expect(JSON.parse(String(standalone.stdout)).result.app).to.deep.include({name: 'web', namespace: 'argocd'})
  })

  it('a --core login falls back to the kubeconfig (and says so); kubectl connection flags choose the Kubernetes API', async () => {
    const core = await run(['explain', 'web'], {ARGOCD_CONFIG_DIR: loginConfig(argo.address, token, {core: true})})
    expect(core.exitCode).to.equal(6)
    expect(core.stderr).to.include(`Backend: the Kubernetes API (kubeconfig), because the argocd context "${argo.address}" is a --core login`)
    expect(core.stderr).to.include('No kubeconfig found')
    const kube = await run(['explain', 'web', '--kubeconfig', '/nowhere'])
    expect(kube.exitCode).to.equal(6)
    expect(kube.stderr).to.include('Kubeconfig file /nowhere does not exist')
    expect(argo.requests).to.have.length(0)
  })

  it('an expired token: exit 4 naming `argocd login`, or `argocd relogin` for an SSO session; an invalid one: the server\'s refusal, same exit', async () => {
    const expired = fakeJwt({sub: 'alice', exp: Math.floor(Date.now() / 1000) - 60})
    argo.user(expired, 'alice')
    const r = await run(['explain', 'web'], {ARGOCD_CONFIG_DIR: loginConfig(argo.address, expired)})
    expect(r.exitCode).to.equal(4)
    expect(r.stderr).to.match(/Error: Your Argo CD session expired at \S+ \(Argo CD server 127\.0\.0\.1:\d+, argocd context "127\.0\.0\.1:\d+"\); nothing was read or written\./)
    expect(r.stderr).to.include(`Log in again with: argocd login ${argo.address} --plaintext`)
    const sso = await run(['explain', 'web', '--json'], {ARGOCD_CONFIG_DIR: loginConfig(argo.address, expired, {refreshToken: 'not-a-jwt-secret'})})
    expect(sso.exitCode).to.equal(4)
    expect(JSON.parse(sso.stdout).error).to.include({code: 'UNAUTHORIZED'})
    expect(JSON.parse(sso.stdout).error.hint).to.include('argocd relogin')
    const invalid = await run(['explain', 'web'], {ARGOCD_CONFIG_DIR: loginConfig(argo.address, fakeJwt({sub: 'mallory', exp: future()}))})
    expect(invalid.exitCode).to.equal(4)
    expect(invalid.stderr).to.include('The Argo CD server does not accept your session token')
  })

  it('explain\'s unexplained drift points at the exact field from Argo CD\'s own diff (managed-resources), not a guess', async () => {
    const app = healthyApp()
    app.metadata.name = 'drift'
    app.status!.sync = {status: 'OutOfSync', revision: '5f2c9e1a'}
    app.status!.operationState!.syncResult = {revision: '5f2c9e1a'}
    app.status!.resources = [{version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'settings', status: 'OutOfSync', health: undefined} as never]
    argo.put(app)
    const live = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'settings', namespace: 'shop'}, data: {level: 'debug', region: 'eu'}}
    argo.putResource('drift', live, undefined, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'settings', namespace: 'shop'}, data: {level: 'info', region: 'eu'}})
    const r = await run(['explain', 'drift'])
    expect(r.exitCode, r.stderr).to.equal(20)
    expect(r.stdout).to.include('ConfigMap shop/settings managed-resources diff: /data/level')
    expect(r.stdout).to.include('--json-pointer /data/level')
    expect(argo.requests.map((q) => q.path)).to.include('/api/v1/applications/drift/managed-resources')
  })

  it('explain of a Degraded Deployment: its Pods from the resource tree and their Warning Events, through the API', async () => {
    const app = healthyApp()
    app.metadata.name = 'shop'
    app.status!.health = {status: 'Degraded'}
    app.status!.resources = [{group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web', status: 'Synced', health: {status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline'}} as never]
    argo.put(app)
    argo.putResource('shop', {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'web', namespace: 'shop', uid: 'd1'}, spec: {selector: {matchLabels: {app: 'web'}}}, status: {replicas: 1, unavailableReplicas: 1}}, {status: 'Degraded'})
    argo.putResource('shop', {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web-7d4b9-x2x', namespace: 'shop', uid: 'p1', labels: {app: 'web'}},
      status: {phase: 'Running', containerStatuses: [{name: 'web', restartCount: 7, state: {waiting: {reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container'}}, lastState: {terminated: {exitCode: 1, reason: 'Error'}}}]}}, {status: 'Degraded'})
    argo.putEvent('shop', {metadata: {name: 'web-7d4b9-x2x.1', namespace: 'shop'}, involvedObject: {kind: 'Pod', name: 'web-7d4b9-x2x', namespace: 'shop', uid: 'p1'}, type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container web', count: 12, lastTimestamp: NOW.toISOString()})
    const r = await run(['explain', 'shop'])
    expect(r.stdout).to.include('Pod shop/web-7d4b9-x2x web state.waiting.reason: CrashLoopBackOff  (7 restarts)')
    expect(r.stdout).to.include('Event Pod/web-7d4b9-x2x BackOff: "Back-off restarting failed container web"  (12 times)')
    const paths = argo.requests.map((q) => q.path)
    expect(paths).to.include('/api/v1/applications/shop/resource-tree')
    expect(paths).to.include('/api/v1/applications/shop/events')
  })

  it('a config file readable by others is refused as the argocd CLI refuses it', async () => {
    chmodSync(join(config, 'config'), 0o644)
    const r = await run(['explain', 'web'])
    expect(r.exitCode).to.equal(6)
    expect(r.stderr).to.include('has permissions 0644; the argocd CLI refuses it')
  })

  it('pause-sync is a PATCH of the app (guards included) as the user, with the same backup and undo as on the kubeconfig path', async () => {
    const backups = tempDir('argocd-backups-')
    const r = await run(['pause-sync', 'web', '--yes', '--no-wait', '--reason', 'incident'], {ARGO_DOCTOR_BACKUP_DIR: backups})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include('Diff (applied locally: the Argo CD API has no dry run for these calls):')
    expect(r.stdout).to.match(/Equivalent argocd:\n {2}argocd app patch web --app-namespace argocd --type json --patch '\[\{"op":"test","path":"\/metadata\/resourceVersion"/)
    const patch = argo.requests.find((q) => q.method === 'PATCH')!
    expect(patch.path).to.equal('/api/v1/applications/web')
    expect(patch.body).to.include({patchType: 'json', appNamespace: 'argocd'})
    expect(JSON.parse(patch.body.patch)[0]).to.deep.equal({op: 'test', path: '/metadata/resourceVersion', value: '1001'})
    expect(argo.get('argocd', 'web')!.spec.syncPolicy.automated).to.equal(undefined)
    expect(readdirSync(backups).some((f) => f.endsWith('.json'))).to.equal(true)
    const undo = await run(['undo', 'web', '--yes', '--no-wait'], {ARGO_DOCTOR_BACKUP_DIR: backups})
    expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(0)
    expect(argo.get('argocd', 'web')!.spec.syncPolicy.automated).to.deep.equal({prune: true, selfHeal: true})
  })

  it('a saved plan whose app changed since: exit 8, nothing written', async () => {
    const planDir = tempDir()
    const saved = await run(['pause-sync', 'web', '--save-plan', join(planDir, 'plan.json')])
    expect(saved.exitCode, saved.stderr).to.equal(0)
    argo.mutate('argocd', 'web', (a) => {
      a.spec.syncPolicy.automated = {prune: false}
    })
    const r = await run(['apply', join(planDir, 'plan.json'), '--no-wait'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(8)
    expect(argo.get('argocd', 'web')!.spec.syncPolicy.automated).to.deep.equal({prune: false})
    expect(argo.writes()).to.deep.equal([])
  })

  it('the PATCH carries the resourceVersion guard, which argocd-server tests on its own read: a write in between is a conflict (exit 8), nothing written', async () => {
    const backend = await chooseBackend({argocdServer: argo.address, asArgocdPlugin: false, kubeFlags: false, env: {ARGOCD_AUTH_TOKEN: token, ARGOCD_OPTS: '--plaintext', ARGOCD_CONFIG_DIR: tempDir('empty-')}})
    if (backend.kind !== 'argocd') throw new Error('expected the Argo CD API backend')
    const source = await argocdSource(backend.session, 10)
    const ref = {name: 'web', namespace: 'argocd'}
    const plan = buildPausePlan(await source.read(ref), {now: NOW, user: 'alice', selfHealOnly: false, conn: {}}) as Parameters<typeof source.apply>[2] & {patch: any}
    argo.mutate('argocd', 'web', (a) => {
      a.metadata.labels = {moved: 'on'}
    })
    const error = await source.apply(ref, plan.patch, plan).then(() => undefined, (e: unknown) => e as {code: string; message: string})
    expect(error?.code).to.equal('CONFLICT')
    expect(error?.message).to.match(/changed since it was read \(a guard failed on the Argo CD server: error applying patch: .*\/metadata\/resourceVersion/)
    expect(argo.get('argocd', 'web')!.spec.syncPolicy.automated).to.deep.equal({prune: true, selfHeal: true})
  })

  it('Argo CD RBAC without "update": the API\'s 403 said clearly, exit 5, nothing written', async () => {
    const readOnly = fakeJwt({sub: 'bob', exp: future()})
    argo.user(readOnly, 'bob', ['get', 'sync'])
    const before = argo.get('argocd', 'web')!
    const r = await run(['pause-sync', 'web', '--yes'], {ARGOCD_CONFIG_DIR: loginConfig(argo.address, readOnly)})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(5)
    expect(r.stderr).to.include('Error: Argo CD RBAC does not allow you (bob) to update Application argocd/web on default/web: permission denied. Nothing was written.')
    expect(r.stderr).to.include('p, role:NAME, applications, update, default/web, allow')
    expect(argo.get('argocd', 'web')).to.deep.equal(before)
  })

  it('unstick terminates with DELETE …/operation (the API\'s TerminateOperation), checking the guards on a fresh read first', async () => {
    argo.put(hookStuckApp())
    const timer = setInterval(() => {
      // The application-controller: it ends a Terminating operation, then finishes a requested refresh.
      const app = argo.get('argocd', 'payments')
      if (app?.status?.operationState?.phase === 'Terminating') {
        argo.mutate('argocd', 'payments', (a) => {
          delete a.operation
          a.status.operationState.phase = 'Failed'
          a.status.reconciledAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
        })
      } else if (app?.metadata.annotations?.['argocd.argoproj.io/refresh']) {
        argo.mutate('argocd', 'payments', (a) => {
          delete a.metadata.annotations['argocd.argoproj.io/refresh']
        })
      }
    }, 30)
    const r = await run(['unstick', 'payments', '--min-age', '0s', '--yes']).finally(() => clearInterval(timer))
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include('argocd app terminate-op payments --app-namespace argocd')
    const writes = argo.writes().map((q) => `${q.method} ${q.path}${q.query.refresh ? `?refresh=${q.query.refresh}` : ''}`)
    expect(writes).to.deep.equal(['DELETE /api/v1/applications/payments/operation', 'GET /api/v1/applications/payments?refresh=hard'])
  })

  it('clearing a stuck operation is refused by name (it needs Kubernetes access), exit 14, nothing written', async () => {
    argo.put(hookStuckApp())
    const r = await run(['unstick', 'payments', '--min-age', '0s', '--no-terminate', '--yes'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(14)
    expect(r.stderr).to.include('clearing a stuck operation (removing `operation` / status.operationState) needs Kubernetes access. The Argo CD API has no call for it, and argo-doctor does not emulate one; nothing was written.')
    expect(r.stderr).to.include('kubectl argo-doctor unstick payments -n argocd')
    expect(argo.writes()).to.deep.equal([])
  })

  it('force-presync is POST …/sync with the options of the plan; the operation is recorded as the API user', async () => {
    const app = healthyApp()
    app.metadata.name = 'api'
    app.spec.syncPolicy = {syncOptions: ['CreateNamespace=true'], retry: {limit: 2}}
    argo.put(app)
    const r = await run(['force-presync', 'api', '--yes', '--no-wait', '--reason', 'db-init'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const sync = argo.requests.find((q) => q.method === 'POST')!
    expect(sync.path).to.equal('/api/v1/applications/api/sync')
    expect(sync.body).to.deep.include({name: 'api', appNamespace: 'argocd', prune: false, dryRun: false, strategy: {hook: {}}, syncOptions: {items: ['CreateNamespace=true']}, retryStrategy: {limit: 2}})
    expect(sync.body.infos).to.deep.include({name: 'Reason', value: 'db-init'})
    expect(argo.get('argocd', 'api')!.operation.initiatedBy).to.deep.equal({username: 'alice'})
    expect(r.stdout).to.include('argocd app sync api --app-namespace argocd --sync-option CreateNamespace=true')
  })

  it('rollback: a PATCH turning auto-sync off (guarded), then POST …/rollback with the history ID (the API refuses a rollback while auto-sync is on)', async () => {
    argo.put(badDeployApp())
    const r = await run(['rollback', 'shop-api', '--to', '6', '--yes', '--no-wait'], {ARGO_DOCTOR_NOW: BAD_DEPLOY_NOW.toISOString()})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const writes = argo.writes()
    expect(writes.map((q) => `${q.method} ${q.path}`)).to.deep.equal(['PATCH /api/v1/applications/shop-api', 'POST /api/v1/applications/shop-api/rollback'])
    expect(JSON.parse(writes[0].body.patch).map((op: {op: string; path: string}) => `${op.op} ${op.path}`)).to.include('remove /spec/syncPolicy/automated')
    expect(writes[1].body).to.deep.include({id: 6, prune: false, dryRun: false})
    expect(r.stdout).to.match(/Equivalent argocd:\n {2}argocd app patch shop-api .* && argocd app rollback shop-api 6 --app-namespace argocd/)
    const app = argo.get('argocd', 'shop-api')!
    expect(app.spec.syncPolicy.automated).to.equal(undefined)
    expect(app.operation.sync.syncStrategy).to.deep.equal({apply: {}})
  })

  it('a token given on the command line environment never shows, even with --debug on an error', async () => {
    const secret = fakeJwt({sub: 'nobody', exp: future(), jti: 'not-a-jwt-secret'})
    argo.user(secret, 'nobody', [])
    const r = await run(['pause-sync', 'web', '--yes', '--debug'], {ARGOCD_CONFIG_DIR: tempDir('empty-'), ARGOCD_SERVER: argo.address, ARGOCD_OPTS: `--plaintext --auth-token ${secret}`})
    expect(r.exitCode).to.equal(5)
    expect(r.stdout + r.stderr).not.to.include(secret)
  })

  it('no kubeconfig is read or needed on the API path (a broken one would fail the kubeconfig path)', async () => {
    const home = tempDir()
    mkdirSync(join(home, '.kube'))
    writeFileSync(join(home, '.kube', 'config'), 'not: [valid')
    const r = await run(['explain', 'web'], {HOME: home, KUBECONFIG: join(home, '.kube', 'config')})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(existsSync(join(home, '.kube', 'config'))).to.equal(true)
    expect(readFileSync(join(home, '.kube', 'config'), 'utf8')).to.equal('not: [valid')
  })
})
