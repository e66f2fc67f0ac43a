/**
 * Source secrets (Helm values, parameters, plugin env …) are elided from everything argo-doctor
 * prints, including the copy of the whole spec that `kubectl apply` keeps in the
 * kubectl.kubernetes.io/last-applied-configuration annotation (apps applied by hand, child apps of
 * an App-of-Apps). Every changing verb, human and --json, preview and apply.
 */
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {hookStuckApp} from '../fixtures/apps.js'
import {EXAMPLE_NOW, example, issueApp} from '../fixtures/examples.js'
import {dbInitSyncedApp, platformHpa, platformOutOfSyncApp, SEED002_NOW} from '../fixtures/seed002.js'
import type {Application} from '../../src/lib/app.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const SECRET = 'hunter2-db-password-7f3a'
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/** The app as `kubectl apply` leaves it: the applied spec, with a password in helm.values, kept in the annotation. */
function applied(app: Application): Application {
  const spec = structuredClone(app.spec) as Record<string, any>
  spec.source = {...spec.source, helm: {values: `db:\n  password: ${SECRET}\n`, parameters: [{name: 'db.password', value: SECRET}]}}
  const config = {apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {annotations: {}, name: app.metadata.name, namespace: app.metadata.namespace}, spec}
  app.metadata.annotations = {...app.metadata.annotations, [LAST_APPLIED]: `${JSON.stringify(config)}\n`}
  return app
}

interface Case {
  verb: string
  name: string
  now: Date
  setup: (server: FakeApiServer) => void
  extra?: string[]
  /** The change is next to metadata.annotations, so the diff's context shows the annotation. */
  inContext?: boolean
}

const planted = (server: FakeApiServer, app: Application) => {
  delete app.metadata.deletionTimestamp
  server.put(app)
  server.remove(...APP, app.metadata.name)
}

const CASES: Case[] = [
  {verb: 'hard-refresh', name: 'payments', now: EXAMPLE_NOW, setup: (s) => s.put(applied(hookStuckApp())), inContext: true},
  {verb: 'unstick', name: 'payments', now: EXAMPLE_NOW, setup: (s) => s.put(applied(hookStuckApp()))},
  {verb: 'unstick', name: 'payments', now: EXAMPLE_NOW, setup: (s) => s.put(applied(hookStuckApp())), extra: ['--no-terminate'], inContext: true},
  {verb: 'force-presync', name: 'db-init-prod', now: SEED002_NOW, setup: (s) => s.put(applied(dbInitSyncedApp()))},
  {verb: 'ignore-status', name: 'wealist-platform-prod', now: SEED002_NOW, setup: (s) => {
    s.put(applied(platformOutOfSyncApp()))
    s.put(platformHpa())
  }},
  {verb: 'approve-prune', name: 'legacy-crons', now: EXAMPLE_NOW, setup: (s) => s.put(applied(issueApp('legacy-crons'))), inContext: true},
  {verb: 'unblock-delete', name: 'edge-eu-guestbook', now: EXAMPLE_NOW, setup: (s) => planted(s, applied(example('stuck-deletions.yaml', 'edge-eu-guestbook')))},
]

describe('source secrets in last-applied-configuration are elided from every diff (built CLI, test API server)', function () {
  this.timeout(120_000)
  let server: FakeApiServer
  let kubeconfig: string

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
  })
  afterEach(async () => server.stop())

  for (const c of CASES) {
    it(`${c.verb} ${c.extra?.join(' ') ?? ''}: --dry-run (human and --json) shows the annotation with the secret elided`, async () => {
      c.setup(server)
      const env = {ARGO_DOCTOR_NOW: c.now.toISOString()}
      const human = await runCli([c.verb, c.name, '--kubeconfig', kubeconfig, '--dry-run', ...(c.extra ?? [])], {env})
      expect(human.exitCode, human.stdout + human.stderr).to.equal(0)
      expect(human.stdout).to.include('Diff (server dry-run):')
      expect(human.stdout + human.stderr).not.to.include(SECRET)
      const json = await runCli([c.verb, c.name, '--kubeconfig', kubeconfig, '--dry-run', '--json', ...(c.extra ?? [])], {env})
      expect(json.exitCode, json.stderr).to.equal(0)
      expect(json.stdout + json.stderr).not.to.include(SECRET)
      const out = await jsonOut(json.stdout)
      const diffs = out.steps.map((s: {diff?: string}) => s.diff ?? '').join('\n')
      if (c.inContext) expect(diffs, 'the annotation is in the diff context').to.include(LAST_APPLIED)
      if (diffs.includes(LAST_APPLIED)) expect(diffs).to.include('<elided by argo-doctor, may hold secrets>').and.include('"repoURL"')
    })
  }

  it('unstick --yes --json (terminate, then the fallback clear, then refresh): no step\'s diff carries the secret', async () => {
    server.put(applied(hookStuckApp()))
    const r = await runCli(['unstick', 'payments', '--kubeconfig', kubeconfig, '--yes', '--terminate-timeout', '1s', '--timeout', '1s', '--json'],
      {env: {ARGO_DOCTOR_NOW: EXAMPLE_NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: tempDir()}})
    const out = await jsonOut(r.stdout)
    expect(out.steps.map((s: {action: string}) => s.action)).to.include('clear-operation')
    expect(r.stdout + r.stderr).not.to.include(SECRET)
    // the annotation itself is untouched on the server
    expect(server.get(...APP, 'payments').metadata.annotations[LAST_APPLIED]).to.include(SECRET)
  })

  it('undo --dry-run (human and --json) of an ignore-status change: elided as well', async () => {
    server.put(applied(platformOutOfSyncApp()))
    server.put(platformHpa())
    const env = {ARGO_DOCTOR_NOW: SEED002_NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: tempDir()}
    const k = ['--kubeconfig', kubeconfig]
    const change = await runCli(['ignore-status', 'wealist-platform-prod', ...k, '--yes', '--no-wait'], {env})
    expect(change.exitCode, change.stderr).to.equal(0)
    expect(change.stdout + change.stderr).not.to.include(SECRET)
    for (const extra of [[], ['--json']]) {
      const r = await runCli(['undo', 'wealist-platform-prod', ...k, '--dry-run', ...extra], {env})
      expect(r.exitCode, r.stderr).to.equal(0)
      expect(r.stdout + r.stderr).not.to.include(SECRET)
    }
  })

  it('offline (-f): the preview elides it too; an annotation that is not JSON is elided whole', async () => {
    const app = applied(hookStuckApp())
    const file = join(tempDir(), 'app.json')
    writeFileSync(file, JSON.stringify(app))
    const r = await runCli(['hard-refresh', '-f', file], {env: {ARGO_DOCTOR_NOW: EXAMPLE_NOW.toISOString()}})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).not.to.include(SECRET)
    app.metadata.annotations![LAST_APPLIED] = `{"spec": truncated ${SECRET}`
    writeFileSync(file, JSON.stringify(app))
    const broken = await runCli(['hard-refresh', '-f', file, '--json'], {env: {ARGO_DOCTOR_NOW: EXAMPLE_NOW.toISOString()}})
    expect(broken.stdout + broken.stderr).not.to.include(SECRET)
  })
})
