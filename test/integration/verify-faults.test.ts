/**
 * Faults during the verify step, after the change was written: the watch connection is reset,
 * or the API server goes away (and maybe comes back). The change was applied in every case, and
 * the command must say so; it must never exit 1 ("unexpected") or wait out --timeout while the
 * controller has already acted.
 */
import {expect} from 'chai'
import {apiServerPerTest} from '../support/api-per-test.js'
import {runCli, jsonOut} from '../support/cli.js'
import {healthyApp, NOW} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const REFRESH = 'argocd.argoproj.io/refresh'
const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`)
    await sleep(20)
  }
}

describe('verify survives a lost watch or API server (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  const api = apiServerPerTest((server) => server.put(healthyApp('a')))
  const stored = () => api.server.get(...APP, 'a')
  const written = () => Boolean(stored()?.metadata.annotations?.[REFRESH])
  /** The CLI wrote the refresh and is watching for the controller. */
  const watchingAfterWrite = () => until('a watch opened after the write', () => written() && api.server.openWatches > 0)
  const actAsController = () => api.server.mutate(...APP, 'a', (o) => {
    delete o.metadata.annotations[REFRESH]
    o.status.reconciledAt = '2026-01-02T00:13:00Z'
  })

  it('the watch connection is reset after the write and the controller acts 2 s later: re-watches, sees it, exits 0', async () => {
    const run = runCli(['hard-refresh', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--timeout', '30s'], {env})
    await watchingAfterWrite()
    api.server.resetWatches()
    await sleep(2000)
    actAsController()
    const started = Date.now()
    const r = await run
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/Refreshed at 2026-01-02T00:13:00Z/)
    // It saw the change (well before --timeout), not at the end of it.
    expect(Date.now() - started).to.be.below(10_000)
  })

  it('the API server goes away during verify and comes back: reconnects, sees the controller act, exits 0', async () => {
    const run = runCli(['hard-refresh', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--timeout', '30s'], {env})
    await watchingAfterWrite()
    await api.server.goAway()
    await sleep(1500)
    await api.server.comeBack()
    actAsController()
    const r = await run
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/Refreshed at 2026-01-02T00:13:00Z/)
  })

  it('a server that refuses the watch (403: RBAC without "watch") is polled instead, and the controller\'s change is seen', async () => {
    for (let i = 0; i < 20; i++) api.server.failNext({method: 'GET', watch: true}, 403, 'Forbidden', 'applications.argoproj.io is forbidden: User "x" cannot watch resource "applications"')
    const run = runCli(['hard-refresh', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--timeout', '30s'], {env})
    await until('the write', written)
    await sleep(1500)
    actAsController()
    const r = await run
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/Refreshed at 2026-01-02T00:13:00Z/)
    expect(api.server.requests.filter((q) => q.query.watch === 'true' && q.status === 403)).to.have.length(1)
  })

  it('the API server is gone for the rest of verify: says the change WAS applied, exit 16 (UNVERIFIED), never 1', async () => {
    const run = runCli(['hard-refresh', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--timeout', '3s'], {env})
    await watchingAfterWrite()
    await api.server.goAway()
    const r = await run
    expect(r.exitCode, r.stdout + r.stderr).to.equal(16)
    expect(r.stdout).to.match(/Applied:/)
    expect(r.stderr).to.match(/The change WAS applied \(resourceVersion \d+\), but it could not be verified/)
    expect(r.stderr).not.to.match(/Unexpected error|Premature close/)
    expect(written()).to.equal(true)
  })

  it('--json: the API server gone during verify gives status "applied" with verify.status "unverified", exit 16', async () => {
    const run = runCli(['hard-refresh', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--timeout', '3s', '--json'], {env})
    await watchingAfterWrite()
    await api.server.goAway()
    const r = await run
    expect(r.exitCode, r.stdout + r.stderr).to.equal(16)
    const out = (await jsonOut(r.stdout))
    expect(out.error).to.equal(undefined)
    const [step] = out.steps
    expect(step.status).to.equal('applied')
    expect(step.exitCode).to.equal(16)
    expect(step.verify.status).to.equal('unverified')
    expect(step.verify.message).to.match(/WAS applied/)
    expect(step.verify.error.code).to.equal('UNREACHABLE')
  })

  it('unstick --json: a reset watch and then a server that stays gone still report the write as applied', async () => {
    const app = healthyApp()
    app.metadata.name = 'a'
    app.status!.operationState = {phase: 'Running', startedAt: '2026-01-01T15:04:00Z', operation: {sync: {}}, message: 'waiting for healthy state'} as any
    api.server.put(app)
    const run = runCli(['unstick', 'a', '--kubeconfig', api.kubeconfig, '--yes', '--no-terminate', '--timeout', '3s', '--json'], {env})
    await watchingAfterWrite()
    api.server.resetWatches()
    await api.server.goAway()
    const r = await run
    expect(r.exitCode, r.stdout + r.stderr).to.equal(16)
    const out = (await jsonOut(r.stdout))
    expect(out.status).to.equal('applied')
    expect(out.steps[0].verify.status).to.equal('unverified')
  })
})
