import {expect} from 'chai'
import {createApp, doctor, doctorInPty, getApp, kubectl, minutesAgo, NS, playRefreshController, requireCluster} from './support.js'
import {jsonOut} from '../support/cli.js'

const selfWait = () => ({
  status: {
    sync: {status: 'OutOfSync'},
    health: {status: 'Progressing'},
    reconciledAt: minutesAgo(1),
    operationState: {
      phase: 'Running',
      message: 'waiting for healthy state of argoproj.io/Application/wealist-apps-prod',
      startedAt: minutesAgo(9 * 60),
      operation: {sync: {revision: '5f2c9e1a'}, initiatedBy: {automated: true}},
    },
  },
})

describe('e2e: unstick through `kubectl argo-doctor` against a real kube-apiserver', () => {
  before(requireCluster)
  beforeEach(async () => createApp('wealist-apps-prod', selfWait()))

  it('--dry-run shows the diff and leaves the object byte-identical', async () => {
    const before = await kubectl(['get', 'applications.argoproj.io', 'wealist-apps-prod', '-n', NS, '-o', 'json'])
    const r = await doctor(['unstick', 'wealist-apps-prod', '--dry-run'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Diff (server dry-run):')
    expect(r.stdout).to.match(/^- {2}operationState:/m)
    expect(r.stdout).to.match(/kubectl patch applications.argoproj.io wealist-apps-prod -n argocd/)
    expect(await kubectl(['get', 'applications.argoproj.io', 'wealist-apps-prod', '-n', NS, '-o', 'json'])).to.equal(before)
  })

  it('refuses without a terminal and without --yes', async () => {
    const r = await doctor(['unstick', 'wealist-apps-prod'])
    expect(r.exitCode).to.equal(11)
    expect(r.stderr).to.include('--yes').and.include('--dry-run')
    expect((await getApp('wealist-apps-prod')).status.operationState.phase).to.equal('Running')
  })

  it('--yes writes what the recipe says (accepted by the real CRD schema), then a rerun has nothing to do', async () => {
    const controller = playRefreshController('wealist-apps-prod')
    const r = await doctor(['unstick', 'wealist-apps-prod', '--yes', '--exclude-self', 'root-app.yaml', '--timeout', '30s']).finally(() => controller.stop())
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/✔ Refreshed/)
    const after = await getApp('wealist-apps-prod')
    expect(after.status.operationState).to.equal(undefined)
    expect(after.operation).to.equal(undefined)
    expect(after.spec.source.directory).to.deep.equal({exclude: 'root-app.yaml'})
    expect(after.metadata.annotations['argocd.argoproj.io/refresh']).to.equal(undefined)
    expect(after.metadata.annotations['argocd.argoproj.io/refresh-timestamp']).to.match(/^\d{4}-/)
    const again = await doctor(['unstick', 'wealist-apps-prod', '--yes'])
    expect(again.exitCode).to.equal(13)
  })

  it('with no controller, the wait times out cleanly (exit 10) after the write', async () => {
    const r = await doctor(['unstick', 'wealist-apps-prod', '--yes', '--timeout', '3s'])
    expect(r.exitCode).to.equal(10)
    expect(r.stderr).to.match(/Timed out after 3s waiting for the controller to finish the hard refresh/)
    expect((await getApp('wealist-apps-prod')).metadata.annotations['argocd.argoproj.io/refresh']).to.equal('hard')
  })

  it('removes a leftover operation together with operationState in one patch', async () => {
    await createApp('leftover', {
      operation: {sync: {revision: 'abc'}, initiatedBy: {username: 'alice'}},
      status: {reconciledAt: minutesAgo(60 * 5), operationState: {phase: 'Running', startedAt: minutesAgo(120), operation: {sync: {revision: 'abc'}}}},
    })
    const r = await doctor(['unstick', 'leftover', '--yes', '--no-wait', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const out = (await jsonOut(r.stdout))
    expect(out.steps[0].patch.map((op: {op: string; path: string}) => `${op.op} ${op.path}`)).to.include.members(['remove /operation', 'remove /status/operationState'])
    const after = await getApp('leftover')
    expect(after.operation).to.equal(undefined)
    expect(after.status.operationState).to.equal(undefined)
  })

  it('leaves a trail: kubectl describe shows argo-doctor\'s Event on the Application', async () => {
    const described = await kubectl(['describe', 'applications.argoproj.io', 'leftover', '-n', NS])
    expect(described).to.match(/Normal\s+ArgoDoctorUnstick\s+.*Clear the stuck sync of leftover/)
    expect(described).to.match(/backup of the object before the change: \S+\.json/)
  })

  it('the restricted user gets a clear forbidden message and exit 5; nothing changes', async () => {
    const before = await getApp('wealist-apps-prod')
    const r = await doctor(['unstick', 'wealist-apps-prod', '--yes', '--context', 'restricted'])
    expect(r.exitCode).to.equal(5)
    expect(r.stderr).to.match(/Forbidden: you may not patch applications.argoproj.io in namespace "argocd"/)
    expect(r.stderr).to.match(/User "restricted" cannot patch resource "applications"/)
    expect((await getApp('wealist-apps-prod')).metadata.resourceVersion).to.equal(before.metadata.resourceVersion)
  })

  it('a change made while the prompt waits is not clobbered: re-planned and asked again', async () => {
    const pty = doctorInPty(['unstick', 'wealist-apps-prod', '--no-wait'])
    await pty.waitFor(/Apply this change to argocd\/wealist-apps-prod\?/)
    await kubectl(['label', 'applications.argoproj.io', 'wealist-apps-prod', '-n', NS, 'team=platform'])
    pty.type('y\r')
    await pty.waitFor(/changed after the preview; nothing was written/)
    await pty.waitFor(/Apply this change to argocd\/wealist-apps-prod\?/, 20_000, pty.text.indexOf('Here is a new plan'))
    pty.type('y\r')
    expect(await pty.exited, pty.text).to.equal(0)
    const after = await getApp('wealist-apps-prod')
    expect(after.metadata.labels).to.deep.equal({team: 'platform'})
    expect(after.status.operationState).to.equal(undefined)
  })

  it('an API server that freezes as the write goes out: exit 7, and it says the write may have been applied', async () => {
    const before = await getApp('wealist-apps-prod')
    const pty = doctorInPty(['unstick', 'wealist-apps-prod', '--request-timeout', '3s'])
    await pty.waitFor(/Apply this change/)
    const pid = Number(process.env.E2E_APISERVER_PID)
    process.kill(pid, 'SIGSTOP')
    const watchdog = setTimeout(() => pty.kill(), 30_000)
    try {
      pty.type('y\r')
      expect(await pty.exited, pty.text).to.equal(7)
      expect(pty.text).to.match(/did not answer in time/)
      // The request may already sit in the frozen server's socket (a kept-alive connection): it is
      // not "nothing was written", it is "may have been applied".
      expect(pty.text).to.match(/already\s+sent,\s+so\s+it\s+may\s+have\s+been\s+applied/)
      expect(pty.text).to.not.match(/nothing\s+was\s+written/)
    } finally {
      clearTimeout(watchdog)
      process.kill(pid, 'SIGCONT')
    }

    // Once it runs again the server may act on the request it holds: then it is exactly the previewed change.
    await new Promise((r) => setTimeout(r, 1000))
    const after = await getApp('wealist-apps-prod')
    if (after.metadata.resourceVersion !== before.metadata.resourceVersion) {
      expect(after.status.operationState, 'the previewed change, nothing else').to.equal(undefined)
      expect(after.metadata.labels).to.deep.equal(before.metadata.labels)
    }
  })
})

describe('e2e: the README\'s minimal RBAC (deploy/rbac.yaml) is enough', () => {
  before(requireCluster)

  it('a service account bound to the argo-doctor Role can preview, apply and wait', async () => {
    const {writeFileSync} = await import('node:fs')
    const {join} = await import('node:path')
    const {tempDir} = await import('../support/cli.js')
    await kubectl(['apply', '-f', 'deploy/rbac.yaml'])
    await kubectl(['create', 'serviceaccount', 'oncall', '-n', NS, '--dry-run=client', '-o', 'yaml']).then((y) => kubectl(['apply', '-f', '-'], y))
    await kubectl(['create', 'rolebinding', 'oncall-argo-doctor', '-n', NS, '--role', 'argo-doctor', `--serviceaccount=${NS}:oncall`, '--dry-run=client', '-o', 'yaml']).then((y) => kubectl(['apply', '-f', '-'], y))
    const token = (await kubectl(['create', 'token', 'oncall', '-n', NS])).trim()
    const config = JSON.parse(await kubectl(['config', 'view', '--raw', '--minify', '-o', 'json']))
    config.users = [{name: 'oncall', user: {token}}]
    config.contexts = [{name: 'oncall', context: {cluster: config.clusters[0].name, user: 'oncall', namespace: NS}}]
    config['current-context'] = 'oncall'
    const file = join(tempDir(), 'kubeconfig')
    writeFileSync(file, JSON.stringify(config))
    await createApp('rbac-check', selfWait())
    const controller = playRefreshController('rbac-check')
    const r = await doctor(['unstick', 'rbac-check', '--yes', '--timeout', '30s', '--kubeconfig', file]).finally(() => controller.stop())
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect((await getApp('rbac-check')).status.operationState).to.equal(undefined)
    // The default Role grants no Secret reads (argocd-secret holds the JWT signing key): explain
    // says it did not check, instead of failing.
    const x = await doctor(['explain', 'rbac-check', '--kubeconfig', file, '--json'])
    expect(x.exitCode, x.stdout + x.stderr).to.be.oneOf([0, 20])
    expect((await jsonOut(x.stdout)).notes.join('\n')).to.include('Did not check whether Secret argocd/argocd-secret exists: the default RBAC (deploy/rbac.yaml) grants no Secret reads')
    const {execa} = await import('execa')
    const canI = await execa('kubectl', ['--kubeconfig', file, 'auth', 'can-i', 'get', 'secret/argocd-secret', '-n', NS], {reject: false})
    expect(String(canI.stdout).trim()).to.equal('no')
  })
})
