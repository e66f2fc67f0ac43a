import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {ROOT, runCli} from '../support/cli.js'

/**
 * Golden files of explain's human output on the bundled examples (no colour, fixed clock).
 * After an intended change: UPDATE_GOLDEN=1 npx mocha test/integration/explain-golden.test.ts
 */
const GOLDEN = join(ROOT, 'test', 'golden')
const env = {ARGO_DOCTOR_NOW: '2026-01-02T00:12:00Z', COLUMNS: undefined}

const CASES: Array<[string, string[]]> = [
  ['explain-wealist-apps-prod-stuck', ['explain', '-f', 'examples/wealist-apps-prod-stuck.yaml']],
  ['explain-wealist-prod', ['explain', '-f', 'examples/wealist-prod.yaml']],
  ['explain-argocd-issues', ['explain', '-f', 'examples/argocd-issues.yaml']],
  ['explain-db-init-prod', ['explain', 'db-init-prod', '-f', 'examples/wealist-prod.yaml']],
  ['explain-argocd-issues-table', ['explain', '-f', 'examples/argocd-issues.yaml', '--no-details']],
  ['runbook-wealist-prod', ['runbook', '-f', 'examples/wealist-prod.yaml']],
  ['explain-emitter-messages', ['explain', '-f', 'examples/emitter-messages.yaml']],
  ['explain-settings-drift', ['explain', 'settings', '-n', 'argocd', '-f', 'examples/emitter-messages.yaml']],
]

describe('explain golden output (built CLI)', function () {
  this.timeout(60_000)
  for (const [name, args] of CASES) {
    it(`${name}: argo-doctor ${args.join(' ')}`, async () => {
      const r = await runCli(args, {env, cwd: ROOT})
      const actual = `$ argo-doctor ${args.join(' ')}\n${r.stdout}\n[exit ${r.exitCode}]\n`
      const file = join(GOLDEN, `${name}.txt`)
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, actual)
      expect(r.stderr).to.equal('')
      // Users never saw the internal incident write-ups: output describes incidents, it does not cite them.
      expect(actual).not.to.match(/\bseeds?\b/i)
      expect(actual).to.equal(readFileSync(file, 'utf8'))
    })
  }
})
