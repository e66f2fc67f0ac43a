/**
 * `undo` on the real controller: ignore-status adds an ignoreDifferences entry for a ConfigMap
 * field (explicit mode), the controller re-compares; `undo` then returns spec to exactly what it
 * was while the status the controller wrote since stays; a second ignore-status followed by a
 * hand edit of the same list makes `undo` refuse (exit 14) with the conflicting path.
 * All runs share one backup directory, as a user's runs do.
 */
import {expect} from 'chai'
import {tempDir, jsonOut} from '../support/cli.js'
import {configMap, createApp, deleteApps, getApp, gitPut, heading, kubectl, record, requireArgocd, run, uniq, waitForApp} from './support.js'

const S = 'S7 undo'

describe('argocd tier S7: `undo` reverts only what argo-doctor changed', () => {
  const ns = uniq('s7-undo')
  const app = `${ns}-app`
  const backups = tempDir('s7-backups-')
  const env = {ARGO_DOCTOR_BACKUP_DIR: backups}
  let original: any

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}`))
  after(async () => deleteApps(app))

  it('an app synced from Git', async () => {
    const sha = await gitPut(`apps/${ns}`, {'cm.yaml': configMap('settings')})
    await createApp(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {automated: {}, syncOptions: ['CreateNamespace=true']}})
    await waitForApp(app, 'Synced', (a) => a.status?.operationState?.phase === 'Succeeded' && a.status.sync?.status === 'Synced')
    original = await getApp(app)
    record(S, 'before', original)
  })

  it('ignore-status, then `undo --dry-run` previews the inverse and `undo --yes` returns the spec to what it was', async () => {
    const fix = await run(S, ['ignore-status', app, '--kind', 'ConfigMap', '--name', 'settings', '--resource-namespace', ns, '--json-pointer', '/data/k', '--yes', '--timeout', '60s'], env)
    expect(fix.exitCode, fix.stdout + fix.stderr).to.equal(0)
    expect((await getApp(app)).spec.ignoreDifferences).to.have.length(1)

    const preview = await run(S, ['undo', app, '--dry-run'], env)
    expect(preview.exitCode, preview.stdout + preview.stderr).to.equal(0)
    expect(preview.stdout).to.include('Diff (server dry-run):')
    expect(preview.stdout).to.match(/restore spec\.ignoreDifferences/)

    const undo = await run(S, ['undo', app, '--yes', '--timeout', '60s'], env)
    expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(0)
    const after = await getApp(app)
    record(S, 'after undo', after)
    expect(after.spec).to.deep.equal(original.spec)
    expect(after.status.reconciledAt, 'the controller\'s status writes are not reverted').to.not.equal(undefined)

    const list = await run(S, ['undo', app, '--list', '--json'], env)
    expect((await jsonOut(list.stdout)).backups.map((b: {recipe: string}) => b.recipe)).to.deep.equal(['ignore-status', 'undo'])
  })

  it('refuses (exit 14) when someone changed the same path since, and writes nothing', async () => {
    const fix = await run(S, ['ignore-status', app, '--kind', 'ConfigMap', '--name', 'settings', '--resource-namespace', ns, '--json-pointer', '/data/k', '--yes', '--no-wait'], env)
    expect(fix.exitCode, fix.stdout + fix.stderr).to.equal(0)
    await kubectl(['patch', 'applications.argoproj.io', app, '-n', 'argocd', '--type', 'json', '-p', JSON.stringify([{op: 'add', path: '/spec/ignoreDifferences/-', value: {kind: 'Service', jsonPointers: ['/spec/clusterIP']}}])])
    const before = await getApp(app)
    const undo = await run(S, ['undo', app, '--yes'], env)
    expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(14)
    expect(undo.stdout).to.match(/Conflicting: spec\.ignoreDifferences/)
    expect((await getApp(app)).spec).to.deep.equal(before.spec)
  })
})
