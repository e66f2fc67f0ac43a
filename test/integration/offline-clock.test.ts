import {copyFileSync, readdirSync, utimesSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {ROOT, runCli, tempDir} from '../support/cli.js'

/**
 * Offline files are judged as of when they were captured: the same findings whether the clock is
 * pinned (ARGO_DOCTOR_NOW, as the golden files do) or not, and whatever the file's mtime says.
 */
const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).sort()
/** When each example was saved (its header says so, or a minute after its newest timestamp). */
const SAVED: Record<string, string> = {
  'argocd-issues.yaml': '2026-01-02T00:12:00Z',
  'wealist-prod.yaml': '2026-01-02T00:12:00Z',
  'wealist-apps-prod-stuck.yaml': '2026-01-02T00:12:00Z',
  'db-init-prod-synced.yaml': '2025-12-31T02:15:51Z',
  'eso-apiservice-outofsync.yaml': '2025-12-31T05:41:18Z',
  'stuck-deletions.yaml': '2026-01-02T00:12:00Z',
  'emitter-messages.yaml': '2026-01-02T00:12:00Z',
  'bad-deploy-degraded.yaml': '2026-12-07T04:40:12Z',
}
const PINNED = {ARGO_DOCTOR_NOW: SAVED['wealist-prod.yaml']}
const UNPINNED = {ARGO_DOCTOR_NOW: undefined}

type Json = {findings?: Array<{id: string; severity: string}>; apps?: Array<{name: string; namespace: string; findings: Array<{id: string; severity: string}>}>}

function findingsOf(stdout: string): string[] {
  const j = JSON.parse(stdout).result as Json
  const apps = j.apps ?? [{name: '', namespace: '', findings: j.findings ?? []}]
  return apps.flatMap((a) => a.findings.map((f) => `${a.namespace}/${a.name} ${f.severity} ${f.id}`)).sort()
}

describe('offline clock: -f files are judged as of their newest timestamp (built CLI)', function () {
  this.timeout(120_000)

  for (const file of EXAMPLES) {
    it(`explain -f examples/${file}: same findings with and without ARGO_DOCTOR_NOW, and with an mtime years later`, async () => {
      const copy = join(tempDir(), file)
      copyFileSync(join(ROOT, 'examples', file), copy)
      const later = new Date('2031-06-01T00:00:00Z')
      utimesSync(copy, later, later)
      expect(SAVED[file], `add examples/${file} to SAVED`).to.be.a('string')
      const pinned = await runCli(['explain', '-f', join('examples', file), '--json'], {env: {ARGO_DOCTOR_NOW: SAVED[file]}, cwd: ROOT})
      const unpinned = await runCli(['explain', '-f', copy, '--json'], {env: UNPINNED})
      expect(pinned.stderr).to.equal('')
      expect(unpinned.stderr).to.equal('')
      expect(findingsOf(unpinned.stdout)).to.deep.equal(findingsOf(pinned.stdout))
      expect(unpinned.exitCode).to.equal(pinned.exitCode)
      expect(findingsOf(unpinned.stdout).filter((f) => f.endsWith(' controller-stale')).length, 'an app lagging the others may be stale, a whole file never is').to.be.below(2)
    })
  }

  it('runbook -f examples/wealist-prod.yaml (the command from its help): no app is controller-stale, no 334d ages; the note names the timestamp used', async () => {
    const r = await runCli(['runbook', '-f', 'examples/wealist-prod.yaml'], {env: UNPINNED, cwd: ROOT})
    expect(r.exitCode, r.stderr).to.equal(20)
    expect(r.stdout).not.to.include('controller-stale')
    expect(r.stdout).to.match(/Running 9h7m/)
    expect(r.stdout).to.include('as of 2026-01-02T00:11:20Z (the newest timestamp in the file: status.reconciledAt of Application argocd/storage-service-prod; override with --as-of)')
    const pinned = await runCli(['runbook', '-f', 'examples/wealist-prod.yaml', '--json'], {env: PINNED, cwd: ROOT})
    const unpinned = await runCli(['runbook', '-f', 'examples/wealist-prod.yaml', '--json'], {env: UNPINNED, cwd: ROOT})
    expect(findingsOf(unpinned.stdout)).to.deep.equal(findingsOf(pinned.stdout))
  })

  it('an app whose reconciledAt lags far behind the others in the file is controller-stale', async () => {
    const r = await runCli(['explain', '-f', 'examples/argocd-issues.yaml', '--json'], {env: UNPINNED, cwd: ROOT})
    const stale = findingsOf(r.stdout).filter((f) => f.endsWith('controller-stale'))
    expect(stale).to.deep.equal(['team-a/notifications warning controller-stale'])
  })

  it('--as-of overrides the inferred time (every app is then old); bad values and --as-of without -f are usage errors', async () => {
    const r = await runCli(['explain', '-f', 'examples/wealist-prod.yaml', '--as-of', '2026-01-03T00:12:00Z', '--no-details'], {env: UNPINNED, cwd: ROOT})
    expect(r.stdout).to.include('controller-stale')
    expect(r.stdout).to.include('as of 2026-01-03T00:12:00Z (--as-of)')
    const bad = await runCli(['explain', '-f', 'examples/wealist-prod.yaml', '--as-of', 'yesterday'], {env: UNPINNED, cwd: ROOT})
    expect(bad.exitCode).to.equal(2)
    expect(bad.stderr).to.include('--as-of "yesterday" is not an RFC 3339 timestamp.')
    const live = await runCli(['explain', 'my-app', '--as-of', '2026-01-03T00:12:00Z'], {env: UNPINNED, cwd: ROOT})
    expect(live.exitCode).to.equal(2)
    expect(live.stderr).to.include('--as-of only applies with -f FILE')
  })

  it('unstick -f judges --min-age as of the capture time too (not the copy time)', async () => {
    const copy = join(tempDir(), 'stuck.yaml')
    copyFileSync(join(ROOT, 'examples', 'wealist-apps-prod-stuck.yaml'), copy)
    const young = await runCli(['unstick', '-f', copy, '--as-of', '2026-01-01T15:05:00Z'], {env: UNPINNED})
    expect(young.stdout + young.stderr).to.match(/started \d+s ago; it may still be making progress/)
    const inferred = await runCli(['unstick', '-f', copy], {env: UNPINNED})
    expect(inferred.stdout).to.match(/Running for 9h\d+m/)
  })
})
