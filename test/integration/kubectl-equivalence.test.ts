import {execa} from 'execa'
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'
import {ROOT, runCli, tempDir, jsonOut} from '../support/cli.js'

/**
 * The "equivalent kubectl" line each plan prints must really be equivalent: run it with
 * `kubectl patch --local -f <the example>` (kubectl applies JSON patches with the same library as
 * the API server) and compare with argo-doctor's own preview of the same file.
 */
const cases: Array<[string, string[]]> = [
  ['examples/wealist-apps-prod-stuck.yaml', ['unstick', '--exclude-self', 'root-app.yaml']],
  ['examples/wealist-apps-prod-stuck.yaml', ['hard-refresh', 'wealist-apps-prod']],
  ['examples/db-init-prod-synced.yaml', ['force-presync', '--reason', "it's a test"]],
  ['examples/eso-apiservice-outofsync.yaml', ['ignore-status', 'wealist-platform-prod']],
]

function firstApp(file: string): any {
  return parseAllDocuments(readFileSync(join(ROOT, file), 'utf8')).map((d) => d.toJS()).find((o) => o?.kind === 'Application')
}

describe('the printed kubectl command is equivalent to the plan (kubectl patch --local as oracle)', function () {
  this.timeout(30_000)
  for (const [file, args] of cases) {
    it(`${args[0]} on ${file}`, async () => {
      const r = await runCli([...args, '-f', file, '--json'], {env: {ARGO_DOCTOR_NOW: '2026-01-02T00:12:00Z', USER: 'alice'}})
      expect(r.exitCode, r.stderr).to.equal(0)
      const step = (await jsonOut(r.stdout)).steps[0]
      const app = firstApp(file)
      const prefix = `kubectl patch applications.argoproj.io ${app.metadata.name} -n ${app.metadata.namespace}`
      expect(step.kubectl.startsWith(prefix), step.kubectl).to.equal(true)
      // Keep only the app in the file (kubectl --local patches every object it is given).
      const single = join(tempDir(), 'app.json')
      writeFileSync(single, JSON.stringify(app))
      const command = `kubectl patch --local -f ${single} -o json${step.kubectl.slice(prefix.length)}`
      const out = await execa('bash', ['-c', command], {env: {...process.env, KUBECONFIG: '/dev/null'}})
      const viaKubectl = JSON.parse(String(out.stdout))
      // argo-doctor's own local preview of the same patch
      const {default: jsonpatch} = await import('fast-json-patch')
      const viaPlan = jsonpatch.applyPatch(structuredClone(app), step.patch, true, false).newDocument
      expect(viaKubectl).to.deep.equal(viaPlan)
      expect(step.diff).to.be.a('string').and.not.equal('')
    })
  }
})
