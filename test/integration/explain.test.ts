import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {stringify} from 'yaml'
import {apiServerPerTest} from '../support/api-per-test.js'
import {ROOT, runCli, tempDir, jsonOut} from '../support/cli.js'
import {validate} from '../support/json-schema.js'
import {EXAMPLE_NOW, example, issueApp, seedApp} from '../fixtures/examples.js'

const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'explain.schema.json'), 'utf8'))
const env = {ARGO_DOCTOR_NOW: EXAMPLE_NOW.toISOString()}
const ex = (file: string) => join(ROOT, 'examples', file)
const APP = ['argoproj.io/v1alpha1', 'Application'] as const

function writeTemp(name: string, text: string): string {
  const path = join(tempDir(), name)
  writeFileSync(path, text)
  return path
}

describe('explain (built CLI)', function () {
  this.timeout(60_000)

  describe('offline, -f', () => {
    it('one object: the findings, the exact fix, exit 20', async () => {
      const r = await runCli(['explain', '-f', ex('wealist-apps-prod-stuck.yaml')], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      expect(r.stdout).to.match(/^argocd\/wealist-apps-prod — OutOfSync, Progressing · operation Running for 9h8m · reconciled 2m ago$/m)
      expect(r.stdout).to.include('CRITICAL App-of-Apps waits for its own health')
      expect(r.stdout).to.include('$ argo-doctor unstick wealist-apps-prod -n argocd')
      expect(r.stderr).to.equal('')
    })

    it('a List: the table of apps with findings, then details; --json {"apps": …} matches the schema', async () => {
      const r = await runCli(['explain', '-f', ex('wealist-prod.yaml')], {env})
      expect(r.exitCode).to.equal(20)
      expect(r.stdout).to.match(/^APP +SYNC +HEALTH +OPERATION +SEVERITY +FINDINGS$/m)
      expect(r.stdout).to.match(/^argocd\/wealist-apps-prod +OutOfSync +Progressing +Running 9h8m +critical +self-wait$/m)
      expect(r.stdout).not.to.match(/^argocd\/auth-service-prod /m)
      const j = await runCli(['explain', '-f', ex('wealist-prod.yaml'), '--json'], {env})
      expect(j.exitCode).to.equal(20)
      const doc = (await jsonOut(j.stdout))
      expect(validate(schema, doc)).to.deep.equal([])
      expect(doc.apps.map((a: {name: string}) => a.name)).to.have.length(8)
      expect(doc.apps.find((a: {name: string}) => a.name === 'auth-service-prod').findings).to.deep.equal([])
    })

    it('a multi-document file, and APP picks one app out of it: --json {"findings": …}', async () => {
      const all = await runCli(['explain', '-f', ex('argocd-issues.yaml'), '--json'], {env})
      expect((await jsonOut(all.stdout)).apps).to.have.length(9)
      const r = await runCli(['explain', 'staging-gitops', '-f', ex('argocd-issues.yaml'), '--json'], {env})
      expect(r.exitCode).to.equal(20)
      const doc = (await jsonOut(r.stdout))
      expect(validate(schema, doc)).to.deep.equal([])
      expect(doc.app).to.deep.equal({name: 'staging-gitops', namespace: 'argocd'})
      expect(doc.findings.map((f: {id: string}) => f.id)).to.deep.equal(['sync-window-blocked'])
      expect(doc.findings[0].fix.command).to.equal(null)
    })

    it('a healthy app: exit 0; info-only findings count as healthy', async () => {
      const healthy = writeTemp('auth.yaml', stringify(seedApp('auth-service-prod')))
      const r = await runCli(['explain', '-f', healthy], {env})
      expect(r.exitCode).to.equal(0)
      expect(r.stdout).to.include('✔ No problems found.')
      const info = await runCli(['explain', 'db-init-prod', '-f', ex('wealist-prod.yaml')], {env})
      expect(info.exitCode).to.equal(0)
      expect(info.stdout).to.include('1 finding: 1 info (nothing needs fixing)')
    })

    it('reads standard input with -f -', async () => {
      const r = await runCli(['explain', '-f', '-', '--json'], {env, input: stringify(issueApp('billing')), stdin: 'pipe'})
      expect(r.exitCode, r.stderr).to.equal(20)
      expect((await jsonOut(r.stdout)).findings[0].id).to.equal('operation-stuck-no-operation')
    })

    it('bad files → exit 2 with one clear line', async () => {
      const cases: Array<[string, RegExp]> = [
        [writeTemp('broken.yaml', 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x\n'), /is not valid YAML or JSON/],
        [writeTemp('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n'), /holds no Argo CD Application/],
        [join(tempDir(), 'missing.yaml'), /Cannot read .*missing\.yaml: no such file/],
      ]
      for (const [file, message] of cases) {
        const r = await runCli(['explain', '-f', file], {env})
        expect(r.exitCode, `${file}: ${r.stderr}`).to.equal(2)
        expect(r.stdout).to.equal('')
        const lines = r.stderr.trim().split('\n')
        expect(lines[0]).to.match(/^Error: /).and.match(message)
        expect(lines.length).to.be.at.most(2) // the error and one hint
      }

      const json = await runCli(['explain', '-f', cases[1][0], '--json'], {env})
      expect(json.exitCode).to.equal(2)
      expect((await jsonOut(json.stdout)).error.code).to.equal('USAGE')
    })

    it('an app that is not in the file → exit 3, naming what the file holds', async () => {
      const r = await runCli(['explain', 'nope', '-f', ex('wealist-prod.yaml')], {env})
      expect(r.exitCode).to.equal(3)
      expect(r.stderr).to.match(/Application "nope" is not in/).and.match(/argocd\/wealist-apps-prod/)
    })
  })

  describe('against an API server', () => {
    const api = apiServerPerTest()

    const put = (app: any) => api.server.put(app, {validate: false})

    it('explain APP reads the app and the few related objects; a 403 on one becomes a note', async () => {
      put(issueApp('payments'))
      api.server.put({apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: {name: 'payments', namespace: 'argocd'}, spec: {sourceRepos: ['*'], destinations: [{namespace: '*', server: '*'}]}}, {validate: false})
      api.server.failNext({method: 'GET', pathIncludes: '/appprojects/payments'}, 403, 'Forbidden', 'appprojects.argoproj.io "payments" is forbidden: User "oncall" cannot get resource "appprojects" in API group "argoproj.io" in the namespace "argocd"')
      const r = await runCli(['explain', 'payments', '--kubeconfig', api.kubeconfig], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      expect(r.stdout).to.include('Job payments/db-migrate: NotFound')
      expect(r.stdout).to.match(/Note: Could not read AppProject argocd\/payments \(forbidden by RBAC\); the diagnosis does without it\./)
      expect(r.stdout).to.include(`$ argo-doctor unstick payments -n argocd --kubeconfig ${api.kubeconfig}`)
      const gets = api.server.requests.filter((q) => q.method === 'GET').map((q) => q.path)
      expect(gets).to.include('/apis/batch/v1/namespaces/payments/jobs/db-migrate')
      expect(gets.some((p) => p.includes('/secrets/'))).to.equal(false) // payments does not manage the argocd namespace
    })

    it('explain APP: argocd-secret existence only, and the controller version from its pod', async () => {
      const app = issueApp('orders-api')
      put(app)
      api.server.put({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'argocd-application-controller-0', namespace: 'argocd', labels: {'app.kubernetes.io/name': 'argocd-application-controller'}},
        spec: {containers: [{name: 'argocd-application-controller', image: 'quay.io/argoproj/argocd:v3.5.3'}]},
        status: {phase: 'Running', containerStatuses: [{name: 'argocd-application-controller', ready: true, restartCount: 0, image: 'quay.io/argoproj/argocd:v3.5.3', imageID: '', started: true, state: {running: {}}}]}}, {validate: false})
      const r = await runCli(['explain', 'orders-api', '--kubeconfig', api.kubeconfig, '--json'], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      const doc = (await jsonOut(r.stdout))
      expect(validate(schema, doc)).to.deep.equal([])
      expect(doc.findings.map((f: {id: string}) => f.id)).to.deep.equal(['controller-cannot-clear-operation-v353'])

      const config = seedApp('argocd-config')
      put(config)
      const s = await runCli(['explain', 'argocd-config', '--kubeconfig', api.kubeconfig], {env})
      expect(s.stdout).to.include('argocd-secret is missing in argocd: argocd-config prunes it')
      expect(s.stdout).to.include('Secret argocd/argocd-secret: NotFound  (read from the cluster (existence only, no data))')
    })

    it('--no-related reads only the Application', async () => {
      put(issueApp('payments'))
      await runCli(['explain', 'payments', '--kubeconfig', api.kubeconfig, '--no-related'], {env})
      expect(api.server.requests.map((q) => q.path)).to.deep.equal(['/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/payments'])
    })

    it('--all: one unpaginated LIST, no per-app reads; -l filters; -A covers every namespace', async () => {
      for (const file of ['wealist-prod.yaml', 'argocd-issues.yaml']) {
        for (const name of (await import('../fixtures/examples.js')).examplesIn(file).map((a) => a.metadata.name)) put(example(file, name))
      }

      const r = await runCli(['explain', '--all', '--kubeconfig', api.kubeconfig, '--json'], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      const doc = (await jsonOut(r.stdout))
      expect(validate(schema, doc)).to.deep.equal([])
      expect(doc.summary.apps).to.equal(16) // notifications lives in team-a
      const requests = api.server.requests.map((q) => `${q.method} ${q.path}`)
      expect(requests).to.deep.equal(['GET /apis/argoproj.io/v1alpha1/namespaces/argocd/applications'])
      // No limit: the watch cache answers it (explain-stream.test.ts covers the fallback to pages of 100).
      expect(api.server.requests[0].query).to.deep.equal({})

      const a = await runCli(['explain', '-A', '--kubeconfig', api.kubeconfig], {env})
      expect(a.stdout).to.match(/^team-a\/notifications +Synced +Healthy +Succeeded +warning +controller-stale$/m)

      api.server.mutate(...APP, 'argocd', 'board-service-prod', (o) => {
        o.metadata.labels = {...o.metadata.labels, team: 'boards'}
      })
      const l = await runCli(['explain', '-l', 'team=boards', '--kubeconfig', api.kubeconfig, '--json'], {env})
      expect((await jsonOut(l.stdout)).apps.map((x: {name: string}) => x.name)).to.deep.equal(['board-service-prod'])
    })

    it('--all on a healthy namespace exits 0; an unknown app exits 3', async () => {
      put(seedApp('auth-service-prod'))
      const r = await runCli(['explain', '--all', '--kubeconfig', api.kubeconfig], {env})
      expect(r.exitCode).to.equal(0)
      expect(r.stdout).to.include('✔ The only application looks healthy.')
      const missing = await runCli(['explain', 'nope', '--kubeconfig', api.kubeconfig], {env})
      expect(missing.exitCode).to.equal(3)
    })

    it('a 403 on the Application itself is an error (exit 5), not a note', async () => {
      put(issueApp('billing'))
      const r = await runCli(['explain', 'billing', '--kubeconfig', api.kubeconfig, '--context', 'anonymous'], {env})
      expect(r.exitCode).to.equal(5)
      expect(r.stderr).to.match(/^Error: Forbidden/)
    })

    it('runbook (and argo-doctor with no arguments) without a terminal prints what it would offer and exits like explain', async () => {
      put(issueApp('billing'))
      put(seedApp('auth-service-prod'))
      const r = await runCli(['runbook', '--kubeconfig', api.kubeconfig], {env})
      expect(r.exitCode, r.stderr).to.equal(20)
      expect(r.stdout).to.include('Runbook: no interactive terminal, so nothing is run.')
      expect(r.stdout).to.include('critical operation-stuck-no-operation: $ argo-doctor unstick billing -n argocd --kubeconfig')
      expect(api.server.requests.filter((q) => q.method !== 'GET')).to.deep.equal([])
      const bare = await runCli([], {env: {...env, KUBECONFIG: api.kubeconfig}})
      expect(bare.exitCode).to.equal(20)
      expect(bare.stdout).to.include('Runbook: no interactive terminal')
      const json = await runCli(['runbook', '--kubeconfig', api.kubeconfig, '--json'], {env})
      expect(validate(schema, (await jsonOut(json.stdout)))).to.deep.equal([])
    })

    it('runbook in a terminal: pick the app, run unstick through its preview and confirmation, see it explained again', async function () {
      const {cliInPty} = await import('../support/pty.js')
      put(issueApp('billing'))
      const controller = setInterval(() => {
        const app = api.server.get(...APP, 'argocd', 'billing')
        if (app?.metadata.annotations?.['argocd.argoproj.io/refresh']) {
          api.server.mutate(...APP, 'argocd', 'billing', (o) => {
            delete o.metadata.annotations['argocd.argoproj.io/refresh']
            o.status.reconciledAt = '2026-01-02T00:12:30Z'
          })
        }
      }, 50)
      const pty = cliInPty(['runbook', '--kubeconfig', api.kubeconfig], env)
      try {
        await pty.waitFor(/need attention\. Which one\?/)
        pty.type('\r') // argocd/billing
        await pty.waitFor(/Run a fix\?/)
        pty.type('\r') // argo-doctor unstick billing -n argocd …
        await pty.waitFor(/Apply this change to argocd\/billing\?/)
        pty.type('y\r')
        await pty.waitFor(/fix finished with exit code 0/)
        await pty.waitFor(/argocd\/billing needs nothing more\./)
        await pty.waitFor(/What next\?/)
        pty.type('\u001B[A\r') // up: Quit is the last entry
        expect(await pty.exited).to.equal(0)
      } finally {
        clearInterval(controller)
        pty.kill()
      }

      const after = api.server.get(...APP, 'argocd', 'billing')
      expect(after.status.operationState).to.equal(undefined)
    })
  })
})
