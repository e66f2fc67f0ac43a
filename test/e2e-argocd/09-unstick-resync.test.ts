/**
 * `unstick --resync` on the real controller: a PreSync hook Job that never completes, fixed in one
 * command with one confirmation — terminate, wait until the operation has really ended, refresh,
 * then start the sync with hooks. This is the race people script around (argoproj/argo-cd#6494):
 * the terminate is asynchronous, and a sync started at once is refused with "another operation is
 * already in progress". The command itself must survive the controller's writes (no waiting for a quiet moment).
 */
import {expect} from 'chai'
import {
  abridged, completeJob, deleteApps, heading, record, reproduceHangingHook, requireArgocd, run, uniq, waitForApp, waitForObject,
} from './support.js'

const S = 'S9 resync'
const HOOK = 'db-migrate'

describe('argocd tier S9: a hook that never completes, fixed by `unstick --resync` in one command', () => {
  const ns = uniq('s9-resync')
  const app = `${ns}-app`
  let stuck: any

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(async () => deleteApps(app))

  it('reproduces it: auto-sync runs the PreSync Job, whose pod never finishes', async () => {
    stuck = await reproduceHangingHook(app, ns, HOOK)
    record(S, 'before (stuck on hook)', stuck)
  })

  it('`--dry-run` previews the terminate and says the sync follows under the same confirmation', async () => {
    const r = await run(S, ['unstick', app, '--resync', '--dry-run', '--min-age', '0s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include(`Terminate the running sync of ${app}`)
    expect(r.stdout).to.include('starts a sync with hooks (as force-presync): one confirmation covers the whole sequence')
  })

  it('`unstick --resync --yes`: terminate → refresh → a new sync runs the hook again and Succeeds', async () => {
    // The hanging Job, told apart from the one the new sync creates by its uid (creationTimestamp has a
    // resolution of one second, and on v3.4+ the whole terminate → refresh → sync can fit in one).
    const hanging = await waitForObject(['job', HOOK, '-n', ns])
    const cmd = run(S, ['unstick', app, '--resync', '--yes', '--min-age', '0s', '--timeout', '60s', '--sync-timeout', '120s'])
    // The new sync recreates the hook Job (BeforeHookCreation): let it finish this time.
    const deadline = Date.now() + 150_000
    for (;;) {
      const job = await waitForObject(['job', HOOK, '-n', ns], 150_000)
      if (job.metadata.uid !== hanging.metadata.uid && !job.metadata.deletionTimestamp) break
      if (Date.now() > deadline) throw new Error(`the new sync never recreated Job ${HOOK}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }

    await completeJob(ns, HOOK)
    const r = await cmd
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include('✔ Operation ended: Failed (Operation terminated)')
    expect(r.stdout).to.include('starting the sync (--resync)')
    expect(r.stdout).to.match(/✔ Sync Succeeded/)
    const after = await waitForApp(app, 'Synced', (a) => a.status?.sync?.status === 'Synced' && !a.operation)
    record(S, 'after (recovered in one command)', after)
    expect(abridged(after)).to.include({phase: 'Succeeded', operation: false, sync: 'Synced'})
    expect(after.status.operationState.operation.initiatedBy.username).to.match(/\(via argo-doctor\)$/)
  })
})
