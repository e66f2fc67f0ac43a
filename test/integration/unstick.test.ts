import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {hookStuckApp, healthyApp, NOW, selfWaitApp} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}

describe('unstick (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  const stored = (name = 'wealist-apps-prod') => server.get(...APP, name)
  const args = (...extra: string[]) => ['unstick', 'wealist-apps-prod', '--kubeconfig', kubeconfig, ...extra]

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(selfWaitApp())
  })
  afterEach(async () => server.stop())

  it('--dry-run shows the server-side preview diff and the kubectl command, and changes nothing', async () => {
    const before = stored()
    const r = await runCli(args('--dry-run'), {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Diff (server dry-run):')
    expect(r.stdout).to.match(/^- {2}operationState:/m)
    expect(r.stdout).to.match(/^\+ {4}argocd.argoproj.io\/refresh: hard/m)
    expect(r.stdout).to.include("kubectl patch applications.argoproj.io wealist-apps-prod -n argocd --kubeconfig")
    expect(r.stdout).to.include('Dry run: nothing was changed.')
    expect(stored()).to.deep.equal(before)
    const patches = server.requests.filter((q) => q.method === 'PATCH')
    expect(patches).to.have.length(1)
    expect(patches[0].query.dryRun).to.equal('All')
    expect(patches[0].contentType).to.match(/json-patch\+json/)
  })

  it('elides Helm values, valuesObject and parameters from the diff and the --json diff, and says so', async () => {
    const app = selfWaitApp()
    const helm = {values: 'db:\n  password: hunter2-values\n', valuesObject: {db: {password: 'hunter2-object'}}, parameters: [{name: 'db.password', value: 'hunter2-param'}]}
    const source = {repoURL: 'https://charts.example.com', chart: 'api', targetRevision: '1.2.3', helm}
    app.status!.operationState!.operation = {sync: {revision: '1.2.3', source}, initiatedBy: {automated: true}}
    ;(app.status!.operationState as Record<string, unknown>).syncResult = {revision: '1.2.3', source: structuredClone(source), resources: []}
    server.put(app)
    for (const extra of [['--dry-run'], ['--dry-run', '--json']]) {
      const r = await runCli(args(...extra), {env})
      expect(r.exitCode, r.stderr).to.equal(0)
      expect(r.stdout + r.stderr).to.not.include('hunter2')
      expect(r.stdout).to.include('<elided by argo-doctor, may hold secrets>')
      expect(r.stdout).to.include('Elided (may hold secrets): helm.values, helm.valuesObject, helm.parameters[].value of status.operationState.operation.sync.source, status.operationState.syncResult.source.')
      if (extra.includes('--json')) {
        const diff = (await jsonOut(r.stdout)).steps[0].diff as string
        expect(diff).to.match(/^- {10}values: <elided by argo-doctor, may hold secrets>$/m)
        expect(diff).to.not.match(/hunter2/)
      }
    }
  })

  it('refuses without a terminal and without --yes, naming --yes and --dry-run, and changes nothing', async () => {
    const before = stored()
    const r = await runCli(args(), {env})
    expect(r.exitCode).to.equal(11)
    expect(r.stderr).to.match(/no interactive terminal/)
    expect(r.stderr).to.include('--yes').and.include('--dry-run')
    expect(stored()).to.deep.equal(before)
  })

  it('--yes backs up, applies the guarded patch and waits for the controller (played by the test)', async () => {
    const backups = tempDir()
    const controller = setInterval(() => {
      const app = stored()
      if (app?.metadata.annotations?.['argocd.argoproj.io/refresh']) {
        server.mutate(...APP, 'wealist-apps-prod', (o) => {
          delete o.metadata.annotations['argocd.argoproj.io/refresh']
          o.status.reconciledAt = '2026-01-02T00:12:30Z'
          o.status.sync.status = 'Synced'
        })
      }
    }, 50)
    const r = await runCli(args('--yes', '--timeout', '20s'), {env: {...env, ARGO_DOCTOR_BACKUP_DIR: backups}}).finally(() => clearInterval(controller))
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const after = stored()
    expect(after.status.operationState).to.equal(undefined)
    expect(after.operation).to.equal(undefined)
    expect(after.metadata.annotations['argocd.argoproj.io/refresh-timestamp']).to.equal(NOW.toISOString())
    expect(r.stdout).to.match(/Refreshed at 2026-01-02T00:12:30Z: sync Synced/)
    const files = readdirSync(backups).filter((f) => !f.endsWith('.change.json'))
    expect(files).to.have.length(1)
    expect(readdirSync(backups)).to.have.length(2)
    const backup = JSON.parse(readFileSync(join(backups, files[0]), 'utf8'))
    expect(backup.status.operationState.phase).to.equal('Running')
    expect(r.stderr).to.include(`Backup of the live object: ${join(backups, files[0])}`)
  })

  it('reports a timeout (exit 10) when no controller removes the refresh annotation', async () => {
    const r = await runCli(args('--yes', '--timeout', '2s'), {env})
    expect(r.exitCode).to.equal(10)
    expect(r.stderr).to.match(/Timed out after 2s waiting for the controller/)
    expect(stored().status.operationState).to.equal(undefined)
  })

  it('does not clobber an object changed between preview and apply (exit 8 under --yes)', async () => {
    server.onBeforePatch = () => {
      server.onBeforePatch = undefined
      server.mutate(...APP, 'wealist-apps-prod', (o) => {
        o.status.operationState.message = 'changed by the controller'
      })
    }

    const r = await runCli(args('--yes', '--json'), {env})
    expect(r.exitCode).to.equal(8)
    const out = (await jsonOut(r.stdout))
    expect(out.error.code).to.equal('CONFLICT')
    expect(stored().status.operationState.message).to.equal('changed by the controller')
  })

  it('under --yes, an unrelated write between preview and apply (the controller\'s status update) is re-read and the same change applied', async () => {
    server.onBeforePatch = () => {
      server.onBeforePatch = undefined
      server.mutate(...APP, 'wealist-apps-prod', (o) => {
        o.status.reconciledAt = '2026-01-02T00:11:59Z'
      })
    }

    const r = await runCli(args('--yes', '--no-wait'), {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stderr).to.match(/changed after the preview \(nothing was written\); re-reading/)
    expect(r.stderr).to.match(/the change is the same, applying it/)
    const after = stored()
    expect(after.status.reconciledAt).to.equal('2026-01-02T00:11:59Z')
    expect(after.status.operationState).to.equal(undefined)
  })

  it('--json counts the re-plans (replans: 1 after one write lost to the controller)', async () => {
    server.onBeforePatch = () => {
      server.onBeforePatch = undefined
      server.mutate(...APP, 'wealist-apps-prod', (o) => {
        o.status.reconciledAt = '2026-01-02T00:11:59Z'
      })
    }

    const r = await runCli(args('--yes', '--no-wait', '--json'), {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    const replanned = await jsonOut(r.stdout)
    expect(replanned.steps.map((s: {replans?: number}) => s.replans)).to.deep.equal([1])
  })

  it('--json prints one document with the plan, the patch and the verify result', async () => {
    const r = await runCli(args('--dry-run', '--json'), {env})
    expect(r.exitCode).to.equal(0)
    const out = (await jsonOut(r.stdout))
    expect(out).to.include({command: 'unstick', status: 'previewed', exitCode: 0})
    expect(out.steps[0].action).to.equal('clear-operation')
    expect(out.steps[0].patch[0]).to.deep.equal({op: 'test', path: '/metadata/resourceVersion', value: stored().metadata.resourceVersion})
    expect(r.stderr).to.equal('')
  })

  it('says "nothing to do" (exit 13) on a healthy app and writes nothing', async () => {
    server.put(healthyApp())
    const r = await runCli(['unstick', 'auth-service-prod', '--kubeconfig', kubeconfig], {env})
    expect(r.exitCode).to.equal(13)
    expect(r.stdout).to.match(/nothing to do: No sync operation is in progress/)
    expect(server.requests.filter((q) => q.method === 'PATCH')).to.have.length(0)
  })

  it('terminates first when the controller is alive, then falls back to clearing when it does not finish', async () => {
    server.put(hookStuckApp())
    const r = await runCli(['unstick', 'payments', '--kubeconfig', kubeconfig, '--yes', '--terminate-timeout', '1s', '--timeout', '1s', '--json'], {env})
    const out = (await jsonOut(r.stdout))
    expect(out.steps.map((s: {action: string}) => s.action)).to.deep.equal(['terminate', 'clear-operation'])
    expect(out.steps[0].verify.status).to.equal('timeout')
    expect(r.exitCode).to.equal(10) // the final hard refresh is not acknowledged either: no controller here
    const after = server.get(...APP, 'payments')
    expect(after.operation).to.equal(undefined)
    expect(after.status.operationState).to.equal(undefined)
  })

  describe('errors: one clear sentence, a distinct exit code, nothing changed', () => {
    const cases: Array<[string, () => string[], number, RegExp]> = [
      ['unknown app', () => ['unstick', 'nope', '--kubeconfig', kubeconfig], 3, /Application "nope" not found in namespace "argocd"/],
      ['wrong namespace', () => ['unstick', 'wealist-apps-prod', '-n', 'prod', '--kubeconfig', kubeconfig], 3, /not found in namespace "prod"/],
      ['forbidden user', () => args('--yes', '--context', 'readonly'), 5, /Forbidden: you may not patch applications.argoproj.io in namespace "argocd"/],
      ['bad token', () => args('--context', 'badtoken'), 4, /rejected your credentials \(401 Unauthorized\)/],
      ['unknown context', () => args('--context', 'prod-eu'), 6, /Context "prod-eu" is not in the kubeconfig/],
      ['missing kubeconfig', () => ['unstick', 'x', '--kubeconfig', '/nonexistent/kubeconfig'], 6, /does not exist/],
      ['bad duration', () => args('--timeout', 'soon'), 2, /not a duration/],
    ]
    for (const [name, argv, code, message] of cases) {
      it(name, async () => {
        const before = stored()
        const r = await runCli(argv(), {env})
        expect(r.exitCode, r.stderr).to.equal(code)
        expect(r.stderr).to.match(message)
        expect(r.stderr).not.to.match(/\n\s+at /) // no stack trace
        expect(stored()).to.deep.equal(before)
      })
    }

    it('a kubeconfig whose credential plugin is missing: a config error (6), not a crash', async () => {
      const {writeFileSync} = await import('node:fs')
      const {join} = await import('node:path')
      const file = join(tempDir(), 'kubeconfig')
      writeFileSync(file, JSON.stringify({
        apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
        clusters: [{name: 'c', cluster: {server: server.url, 'insecure-skip-tls-verify': true}}],
        users: [{name: 'u', user: {exec: {apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'argo-doctor-test-no-such-plugin'}}}],
        contexts: [{name: 'x', context: {cluster: 'c', user: 'u'}}],
      }))
      const r = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', file], {env})
      expect(r.exitCode).to.equal(6)
      expect(r.stderr).to.match(/credential plugin failed .*argo-doctor-test-no-such-plugin/)
    })

    it('unreachable server', async () => {
      const dir = tempDir()
      await server.stop()
      const r = await runCli(args('--request-timeout', '5s'), {env})
      expect(r.exitCode).to.equal(7)
      expect(r.stderr).to.match(/Cannot reach the API server at http:\/\/127\.0\.0\.1:\d+/)
      server = await startFakeApiServer() // for afterEach
      kubeconfig = server.writeKubeconfig(dir)
    })

    it('422 from the server is shown with its reason', async () => {
      server.failNext({method: 'PATCH', dryRun: false}, 422, 'Invalid', 'Application.argoproj.io "wealist-apps-prod" is invalid: spec.destination: Required value')
      const r = await runCli(args('--yes', '--json'), {env})
      expect(r.exitCode).to.equal(9)
      expect((await jsonOut(r.stdout)).error.message).to.include('spec.destination: Required value')
    })

    it('a server that does not answer in time', async () => {
      server.delay(3000)
      const r = await runCli(args('--request-timeout', '1s'), {env})
      expect(r.exitCode).to.equal(7)
      expect(r.stderr).to.match(/did not answer in time/)
    })
  })
})
