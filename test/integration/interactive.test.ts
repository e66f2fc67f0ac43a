import {expect} from 'chai'
import {apiServerPerTest} from '../support/api-per-test.js'
import {tempDir} from '../support/cli.js'
import {cliInPty} from '../support/pty.js'
import {hookStuckApp, NOW, selfWaitApp} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const PROMPT = /Apply this change to argocd\/wealist-apps-prod\?/

describe('interactive confirmation in a real terminal', function () {
  this.timeout(60_000)
  const api = apiServerPerTest((server) => server.put(selfWaitApp()))

  it('answering "no" changes nothing (exit 12)', async () => {
    const before = api.server.get(...APP, 'wealist-apps-prod')
    const pty = cliInPty(['unstick', 'wealist-apps-prod', '--kubeconfig', api.kubeconfig], {ARGO_DOCTOR_NOW: NOW.toISOString()})
    await pty.waitFor(PROMPT)
    pty.type('n\r')
    expect(await pty.exited).to.equal(12)
    expect(pty.text).to.include('Not applied: nothing was changed.')
    expect(api.server.get(...APP, 'wealist-apps-prod')).to.deep.equal(before)
  })

  it('an object changed while the prompt waits is re-read, re-planned and asked again, never clobbered', async () => {
    const pty = cliInPty(['unstick', 'wealist-apps-prod', '--kubeconfig', api.kubeconfig, '--no-wait'], {ARGO_DOCTOR_NOW: NOW.toISOString()})
    await pty.waitFor(PROMPT)
    // Someone else edits the app while we look at the diff.
    api.server.mutate(...APP, 'wealist-apps-prod', (o) => {
      o.metadata.labels = {team: 'platform'}
    })
    pty.type('y\r')
    await pty.waitFor(/changed after the preview; nothing was written\. Here is a new plan/)
    const mark = pty.text.indexOf('Here is a new plan')
    await pty.waitFor(PROMPT, 20_000, mark)
    pty.type('y\r')
    expect(await pty.exited, pty.text).to.equal(0)
    const after = api.server.get(...APP, 'wealist-apps-prod')
    expect(after.metadata.labels).to.deep.equal({team: 'platform'})
    expect(after.status.operationState).to.equal(undefined)
    const writes = api.server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun !== 'All')
    expect(writes).to.have.length(2) // the first was refused by the resourceVersion guard
  })

  it('bulk unstick: when the terminate times out, the fallback that clears the operations is previewed and asked again; "no" leaves them (exit 12)', async () => {
    for (const name of ['pay-a', 'pay-b']) {
      const app = hookStuckApp()
      app.metadata.name = name
      app.metadata.labels = {team: 'pay'}
      api.server.put(app)
    }

    const pty = cliInPty(['unstick', '-l', 'team=pay', '--kubeconfig', api.kubeconfig, '--terminate-timeout', '1s', '--timeout', '1s'], {ARGO_DOCTOR_NOW: NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: tempDir()})
    try {
      await pty.waitFor(/Unstick these 2 applications\?/)
      expect(pty.text).to.match(/then clears the operation instead \(previewed and confirmed again/)
      pty.type('y\r')
      await pty.waitFor(/Clear the operation of these 2 applications\?/, 30_000)
      const fallback = pty.text.slice(pty.text.indexOf('did not finish'))
      expect(fallback).to.match(/argocd\/pay-a: Clear the stuck sync of pay-a/)
      expect(fallback).to.match(/Server dry run \(dryRun=All\)/)
      pty.type('n\r')
      expect(await pty.exited, pty.text).to.equal(12)
    } finally {
      pty.kill()
    }

    for (const name of ['pay-a', 'pay-b']) {
      const app = api.server.get(...APP, name)
      expect(app.operation, name).to.not.equal(undefined)
      expect(app.status.operationState.phase, name).to.equal('Terminating')
    }
  })

  it('Ctrl-C at the prompt leaves everything unchanged (exit 130)', async () => {
    const before = api.server.get(...APP, 'wealist-apps-prod')
    const pty = cliInPty(['unstick', 'wealist-apps-prod', '--kubeconfig', api.kubeconfig], {ARGO_DOCTOR_NOW: NOW.toISOString()})
    await pty.waitFor(PROMPT)
    pty.type('\u0003')
    expect(await pty.exited).to.equal(130)
    expect(pty.text).to.match(/Interrupted at the prompt; nothing was changed/)
    expect(api.server.get(...APP, 'wealist-apps-prod')).to.deep.equal(before)
  })
})
