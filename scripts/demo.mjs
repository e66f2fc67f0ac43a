#!/usr/bin/env node
/**
 * npm run demo — the built CLI on the bundled examples, no cluster needed. Each command is printed
 * before its output; the clock is pinned to the seed incident (ARGO_DOCTOR_NOW) so durations read
 * as they did that night. Exits 0 when every command behaved as expected (explain's 20 = findings).
 */
import {spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const env = {...process.env, ARGO_DOCTOR_NOW: process.env.ARGO_DOCTOR_NOW ?? '2026-01-02T00:12:00Z'}
const tty = process.stdout.isTTY
const bold = (s) => (tty && !process.env.NO_COLOR ? `\u001B[1m${s}\u001B[22m` : s)

const steps = [
  {say: 'Several apps saved with `kubectl get applications -n argocd -o yaml` (seeds 000-002): the table, then each diagnosis.', args: ['explain', '-f', 'examples/wealist-prod.yaml'], expect: 20},
  {say: 'One app, asked about by name: informational findings only, so exit 0.', args: ['explain', 'db-init-prod', '-f', 'examples/wealist-prod.yaml'], expect: 0},
  {say: 'States from public Argo CD issues: where unstick is the fix, and where it is not.', args: ['explain', '-f', 'examples/argocd-issues.yaml', '--no-details'], expect: 20},
  {say: 'The fix for the seed incident, previewed offline (nothing is written).', args: ['unstick', '-f', 'examples/wealist-apps-prod-stuck.yaml', '--dry-run'], expect: 0},
]

const failures = []
for (const step of steps) {
  console.log(`\n# ${step.say}`)
  console.log(bold(`$ argo-doctor ${step.args.join(' ')}`))
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'argo-doctor'), ...step.args], {cwd: ROOT, env, stdio: 'inherit'})
  const code = r.status ?? -1
  console.log(`[exit ${code}${code === step.expect ? '' : `, expected ${step.expect}`}]`)
  if (code !== step.expect) failures.push(`argo-doctor ${step.args.join(' ')}: exit ${code}, expected ${step.expect}`)
}

if (failures.length > 0) {
  console.error(`\ndemo: ${failures.length} command(s) did not behave as expected:\n  ${failures.join('\n  ')}`)
  process.exit(1)
}

console.log('\ndemo: every command behaved as expected (explain exits 20 when it has findings).')
