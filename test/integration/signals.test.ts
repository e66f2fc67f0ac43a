import {expect} from 'chai'
import {execa} from 'execa'
import {apiServerPerTest} from '../support/api-per-test.js'
import {BIN, tempDir} from '../support/cli.js'
import {NOW, selfWaitApp} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Ctrl-C and SIGTERM before the write: nothing may be written. The API server is frozen while the
 * command reads the app, the signal arrives, then the server answers at once — the pipeline must
 * notice the signal before it backs up and patches (it used to write and exit 0).
 */
describe('signals before the write (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  const api = apiServerPerTest((server) => server.put(selfWaitApp()))

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} while the read is in flight: nothing is written, exit ${code}, and it says so`, async () => {
      const before = api.server.get(...APP, 'wealist-apps-prod')
      api.server.delay(1200)
      const child = execa('node', [BIN, 'unstick', 'wealist-apps-prod', '--kubeconfig', api.kubeconfig, '--yes', '--no-wait'], {
        reject: false, env: {...process.env, NO_COLOR: '1', CI: undefined, ARGO_DOCTOR_NOW: NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: tempDir()},
      })
      while (!api.server.requests.some((q) => q.method === 'GET')) await sleep(20)
      child.kill(signal)
      await sleep(100)
      api.server.delay(0)
      const r = await child
      expect(r.exitCode, String(r.stderr)).to.equal(code)
      expect(String(r.stderr)).to.match(/nothing was written/)
      expect(api.server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun !== 'All')).to.have.length(0)
      expect(api.server.get(...APP, 'wealist-apps-prod')).to.deep.equal(before)
    })
  }
})
