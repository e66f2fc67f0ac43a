import {readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {jsonOut, runCli, tempDir} from '../support/cli.js'
import {loadSchema, validate} from '../support/json-schema.js'
import {NOW, selfWaitApp} from '../fixtures/apps.js'
import {hostileStuckApp, unsafeChars} from '../fixtures/hostile.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}

describe('--save-plan FILE and apply FILE (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  let dir: string
  const stored = (name = 'wealist-apps-prod') => server.get(...APP, name)
  const writes = () => server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined)
  const save = (file: string, ...extra: string[]) => runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', kubeconfig, '--save-plan', file, ...extra], {env})

  beforeEach(async () => {
    server = await startFakeApiServer()
    dir = tempDir()
    kubeconfig = server.writeKubeconfig(dir)
    server.put(selfWaitApp())
  })
  afterEach(async () => server.stop())

  it('--save-plan previews (server dry run), writes nothing to the cluster, and saves the plan 0600 with patch, guards, diff, kubectl, who and when', async () => {
    const file = join(dir, 'unstick.plan.json')
    const before = stored()
    const r = await save(file)
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Diff (server dry-run):')
    expect(r.stdout).to.match(/Plan plan-\S+ saved to \S+unstick\.plan\.json \(valid until .*\)\. Review it, then apply exactly it with:\n {2}argo-doctor apply \S+unstick\.plan\.json --kubeconfig /)
    expect(stored()).to.deep.equal(before)
    expect(writes()).to.have.length(0)
    expect(statSync(file).mode & 0o777).to.equal(0o600)
    const plan = JSON.parse(readFileSync(file, 'utf8'))
    expect(validate(loadSchema('plan.schema.json'), plan)).to.deep.equal([])
    expect(plan).to.include({kind: 'ArgoDoctorPlan', verb: 'unstick', action: 'clear-operation', resourceVersion: before.metadata.resourceVersion, createdBy: 'admin', patchType: 'application/json-patch+json'})
    expect(plan.target).to.include({name: 'wealist-apps-prod', namespace: 'argocd', context: 'admin', server: server.url})
    expect(plan.patch[0]).to.deep.equal({op: 'test', path: '/metadata/resourceVersion', value: before.metadata.resourceVersion})
    expect(plan.diff).to.match(/^- {2}operationState:/m)
    expect(plan.kubectl).to.match(/^kubectl patch applications\.argoproj\.io wealist-apps-prod -n argocd/)
    expect(Date.parse(plan.expiresAt) - Date.parse(plan.createdAt)).to.equal(3600_000)
    const json = await jsonOut((await save(join(dir, 'again.json'), '--json')).stdout)
    expect(json.savedPlan.file).to.equal(join(dir, 'again.json'))
  })

  it('apply FILE writes exactly the saved patch (its resourceVersion guard moved past an unrelated controller write), backs up and verifies', async () => {
    const file = join(dir, 'plan.json')
    expect((await save(file)).exitCode).to.equal(0)
    const plan = JSON.parse(readFileSync(file, 'utf8'))
    server.mutate(...APP, 'wealist-apps-prod', (o) => {
      o.status.reconciledAt = '2026-01-02T00:11:59Z'
    })
    const rv = stored().metadata.resourceVersion
    const backups = tempDir()
    const r = await runCli(['apply', file, '--kubeconfig', kubeconfig, '--no-wait', '--json'], {env: {...env, ARGO_DOCTOR_BACKUP_DIR: backups}})
    expect(r.exitCode, r.stderr).to.equal(0)
    const out = await jsonOut(r.stdout)
    expect(out).to.include({command: 'apply', plan: plan.id, status: 'applied'})
    expect(writes()).to.have.length(1)
    expect(writes()[0].body).to.deep.equal([{...plan.patch[0], value: rv}, ...plan.patch.slice(1)])
    expect(stored().status.operationState).to.equal(undefined)
    expect(out.steps[0].backup).to.match(new RegExp(`^${backups}/`))
  })

  it('apply FILE refuses with exit 8 when the app changed so that the change would differ, shows the new preview, and writes nothing', async () => {
    const file = join(dir, 'plan.json')
    expect((await save(file)).exitCode).to.equal(0)
    server.mutate(...APP, 'wealist-apps-prod', (o) => {
      o.status.operationState.message = 'changed by the controller'
    })
    const changed = stored()
    const r = await runCli(['apply', file, '--kubeconfig', kubeconfig], {env})
    expect(r.exitCode).to.equal(8)
    expect(r.stderr).to.match(/Refused: argocd\/wealist-apps-prod changed since the plan was made \(resourceVersion \d+\) and the change would now be different; nothing was written\./)
    expect(r.stdout).to.include('Diff (server dry-run):').and.include('changed by the controller')
    expect(writes()).to.have.length(0)
    expect(stored()).to.deep.equal(changed)
    const json = await jsonOut((await runCli(['apply', file, '--kubeconfig', kubeconfig, '--json'], {env})).stdout)
    expect(json).to.include({status: 'conflict', exitCode: 8})
    expect(json.error.code).to.equal('CONFLICT')
    expect(json.now.resourceVersion).to.equal(changed.metadata.resourceVersion)
  })

  it('an expired plan is refused (exit 14) and nothing is written', async () => {
    const file = join(dir, 'plan.json')
    expect((await save(file, '--plan-ttl', '1s')).exitCode).to.equal(0)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const r = await runCli(['apply', file, '--kubeconfig', kubeconfig], {env})
    expect(r.exitCode).to.equal(14)
    expect(r.stderr).to.match(/This plan expired at .*; nothing was written\./)
    expect(writes()).to.have.length(0)
  })

  it('hostile cluster text: the plan file keeps it exactly (JSON escapes) with no raw control character, and nothing raw is printed', async () => {
    server.put(hostileStuckApp(dir))
    const file = join(dir, 'hostile.json')
    const r = await runCli(['unstick', 'hostile', '--kubeconfig', kubeconfig, '--force', '--save-plan', file], {env})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(unsafeChars(r.stdout + r.stderr)).to.deep.equal([])
    const text = readFileSync(file, 'utf8')
    expect(unsafeChars(text)).to.deep.equal([])
    const leaves = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [])
    // The diff quotes the message as the YAML renderer wrote it: C1 CSI and bidi override kept exactly, as JSON escapes in the file.
    expect(text).to.include('\\u009b31m\\u202eevil')
    expect(leaves(JSON.parse(text)).some((s) => s.includes('\u009b31m\u202eevil'))).to.equal(true)
    const applied = await runCli(['apply', file, '--kubeconfig', kubeconfig, '--no-wait'], {env})
    expect(applied.exitCode, applied.stderr).to.equal(0)
    expect(unsafeChars(applied.stdout + applied.stderr)).to.deep.equal([])
  })

  it('bad input: -l with --save-plan, a file that is not a plan, a symbolic link: clear usage errors, nothing written', async () => {
    const many = await runCli(['unstick', '--all', '--kubeconfig', kubeconfig, '--save-plan', join(dir, 'x.json')], {env})
    expect(many.exitCode).to.equal(2)
    expect(many.stderr).to.include('--save-plan saves the plan of one app on a cluster')
    writeFileSync(join(dir, 'not-a-plan.json'), '{"kind": "Application"}')
    const notPlan = await runCli(['apply', join(dir, 'not-a-plan.json'), '--kubeconfig', kubeconfig], {env})
    expect(notPlan.exitCode).to.equal(2)
    expect(notPlan.stderr).to.match(/is not an argo-doctor plan/)
    symlinkSync(join(dir, 'elsewhere.json'), join(dir, 'link.json'))
    const link = await save(join(dir, 'link.json'))
    expect(link.exitCode).to.equal(2)
    expect(link.stderr).to.include('it is a symbolic link')
    expect(writes()).to.have.length(0)
  })
})
