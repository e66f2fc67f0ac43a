import {expect} from 'chai'
import {apiServerPerTest} from '../support/api-per-test.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {healthyApp, NOW} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const

describe('hard-refresh (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  const api = apiServerPerTest((server) => {
    for (const name of ['a', 'b', 'c']) {
      const app = healthyApp()
      app.metadata.name = name
      app.metadata.labels = {team: name === 'c' ? 'other' : 'payments'}
      server.put(app)
    }
  })

  /** Play the application-controller: finish any requested refresh. */
  function controller(): NodeJS.Timeout {
    return setInterval(() => {
      for (const name of ['a', 'b', 'c']) {
        if (api.server.get(...APP, name)?.metadata.annotations?.['argocd.argoproj.io/refresh']) {
          api.server.mutate(...APP, name, (o) => {
            delete o.metadata.annotations['argocd.argoproj.io/refresh']
            o.status.reconciledAt = '2026-01-02T00:13:00Z'
          })
        }
      }
    }, 50)
  }

  it('refreshes one app and waits for the controller to remove the annotation', async () => {
    const timer = controller()
    const r = await runCli(['hard-refresh', 'a', '--kubeconfig', api.kubeconfig, '--yes'], {env: {ARGO_DOCTOR_NOW: NOW.toISOString()}}).finally(() => clearInterval(timer))
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/Refreshed at 2026-01-02T00:13:00Z/)
  })

  it('-l selects apps by label: previews all, writes all, waits for all, prints a table', async () => {
    const timer = controller()
    const r = await runCli(['hard-refresh', '-l', 'team=payments', '--kubeconfig', api.kubeconfig, '--yes'], {}).finally(() => clearInterval(timer))
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/APP\s+RESULT\s+SYNC\s+HEALTH\s+RECONCILED/)
    expect(r.stdout).to.match(/argocd\/a\s+ok\s+Synced/)
    expect(r.stdout).to.match(/argocd\/b\s+ok/)
    expect(r.stdout).not.to.match(/argocd\/c/)
    expect(api.server.get(...APP, 'c').metadata.annotations).to.equal(undefined)
  })

  it('--all --no-wait --json returns right after the writes', async () => {
    const r = await runCli(['hard-refresh', '--all', '--kubeconfig', api.kubeconfig, '--yes', '--no-wait', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const out = (await jsonOut(r.stdout))
    expect(out.apps).to.have.length(3)
    expect(out.apps.every((x: {status: string; steps: Array<{verify: {status: string}}>}) => x.status === 'applied' && x.steps[0].verify.status === 'not-waited')).to.equal(true)
    expect(api.server.get(...APP, 'a').metadata.annotations['argocd.argoproj.io/refresh']).to.equal('hard')
  })

  it('--no-wait: the table says the apps were applied and not waited for (not "skipped")', async () => {
    const r = await runCli(['hard-refresh', 'a', 'b', '--kubeconfig', api.kubeconfig, '--yes', '--no-wait'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^argocd\/a\s+applied \(not waited\)/m)
    expect(r.stdout).to.match(/^argocd\/b\s+applied \(not waited\)/m)
    expect(r.stdout).not.to.match(/skipped/)
    const one = await runCli(['hard-refresh', 'c', '--kubeconfig', api.kubeconfig, '--yes', '--no-wait', '--json'])
    expect((await jsonOut(one.stdout)).steps[0].verify).to.deep.include({status: 'not-waited'})
  })

  it('a name given twice is one app: one write, exit 0', async () => {
    const r = await runCli(['hard-refresh', 'a', 'a', 'b', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--no-wait', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect((await jsonOut(r.stdout)).apps.map((x: {app: {name: string}}) => x.app.name)).to.deep.equal(['a', 'b'])
    expect(api.server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined)).to.have.length(2)
  })

  it('Ctrl-C while waiting says the change WAS applied and exits 130', async () => {
    const {execa} = await import('execa')
    const {BIN} = await import('../support/cli.js')
    const child = execa('node', [BIN, 'hard-refresh', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--timeout', '60s'], {reject: false, env: {...process.env, NO_COLOR: '1', CI: undefined, ARGO_DOCTOR_BACKUP_DIR: tempDir()}})
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    while (!/waiting for the controller/.test(stderr)) await new Promise((r) => setTimeout(r, 50))
    child.kill('SIGINT')
    const r = await child
    expect(r.exitCode).to.equal(130)
    expect(String(r.stderr)).to.match(/Interrupted while waiting for the controller to finish the hard refresh; the change WAS applied/)
    expect(api.server.get(...APP, 'a').metadata.annotations['argocd.argoproj.io/refresh']).to.equal('hard')
  })

  it('--all without --yes and without a terminal refuses after the preview', async () => {
    const r = await runCli(['hard-refresh', '--all', '--kubeconfig', api.kubeconfig])
    expect(r.exitCode).to.equal(11)
    expect(api.server.get(...APP, 'a').metadata.annotations).to.equal(undefined)
  })
})
