import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {listBackups, readBackup, readBatchRecords, undoneBy, writeBackup, writeBatchBackup} from '../../../src/lib/backup.js'
import {DoctorError} from '../../../src/lib/errors.js'
import {buildHardRefreshPlan} from '../../../src/lib/recipes/hard-refresh.js'
import {healthyApp, NOW} from '../../fixtures/apps.js'

/** Apps with a big status, so the objects span many of the chunks the record reader reads. */
function apps(count: number) {
  return Array.from({length: count}, (_, i) => {
    const app = healthyApp()
    app.metadata.name = `app-${i}`
    app.metadata.resourceVersion = String(100 + i)
    app.status!.resources = Array.from({length: 200}, (_, j) => ({kind: 'ConfigMap', name: `cm-${j}-${'x'.repeat(40)}`, namespace: 'prod', status: 'Synced'}))
    return app
  })
}

describe('batch backups (one file per batch)', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'argo-doctor-batch-'))
    process.env.ARGO_DOCTOR_BACKUP_DIR = dir
  })

  it('is a v1 List of the objects as read with a record per app; records update as writes are answered', async () => {
    const list = apps(60)
    const handle = await writeBatchBackup({changes: list.map((app) => ({app, plan: buildHardRefreshPlan(app, NOW)})), now: NOW, context: 'ctx'})
    expect(handle.file).to.equal(join(dir, 'batch.2026-01-02T001200.000Z.hard-refresh.json'))
    expect(statSync(handle.file).mode & 0o777).to.equal(0o600)
    expect(statSync(handle.file).size).to.be.greaterThan(1024 * 1024)
    let doc = JSON.parse(readFileSync(handle.file, 'utf8'))
    expect(doc.apiVersion).to.equal('v1')
    expect(doc.kind).to.equal('List')
    expect(doc.items).to.deep.equal(list)
    expect(doc.argoDoctor.records.map((r: {state: string}) => r.state)).to.deep.equal(list.map(() => 'pending'))

    const written = structuredClone(list[7])
    written.metadata.resourceVersion = '999'
    written.metadata.annotations = {'argocd.argoproj.io/refresh': 'hard', 'argocd.argoproj.io/refresh-timestamp': NOW.toISOString()}
    handle.applied(7, written)
    handle.notApplied(8, new DoctorError('CONFLICT', 'changed'))
    handle.notApplied(9, new Error('socket hang up'))
    await handle.flush(() => {}, true)
    doc = JSON.parse(readFileSync(handle.file, 'utf8'))
    expect(doc.items).to.deep.equal(list)
    const records = doc.argoDoctor.records
    expect(records[7]).to.deep.include({state: 'applied', item: 7, object: 'batch.2026-01-02T001200.000Z.hard-refresh.json', resourceVersion: {before: '107', after: '999'}})
    expect(records[7].touched).to.deep.equal([{path: '/metadata/annotations', after: written.metadata.annotations}])
    expect(records[8]).to.deep.include({state: 'not-applied', error: 'changed'})
    // An unknown outcome stays pending: undo refuses it.
    expect(records[9].state).to.equal('pending')

    // The records are read without parsing the objects, and are the same records.
    const head = await readBatchRecords(handle.file)
    expect(head.records).to.deep.equal(records)
    expect(head.header).to.deep.include({kind: 'ArgoDoctorBatchBackup', version: 1, recipe: 'hard-refresh', count: 60, context: 'ctx'})

    const entries = await listBackups({name: 'app-7', namespace: 'argocd'})
    expect(entries.map((e) => [e.file, e.record.state])).to.deep.equal([[handle.file, 'applied']])
    expect((await readBackup(handle.file, {name: 'app-8', namespace: 'argocd'})).record.state).to.equal('not-applied')
  })

  it('a change recorded in a batch file has its own id (file#item); the undo that reverted it names it, so it counts as undone once', async () => {
    const list = apps(3)
    const batch = await writeBatchBackup({changes: list.map((app) => ({app, plan: buildHardRefreshPlan(app, NOW)})), now: NOW})
    batch.applied(1, list[1])
    batch.applied(2, list[2])
    await batch.flush(() => {}, true)
    const [change] = await listBackups({name: 'app-1', namespace: 'argocd'})
    expect(change.id).to.equal('batch.2026-01-02T001200.000Z.hard-refresh.json#1')
    expect((await readBackup(batch.file, {name: 'app-1', namespace: 'argocd'})).id).to.equal(change.id)
    const undoPlan = {...buildHardRefreshPlan(list[1], NOW), recipe: 'undo', action: 'undo', summary: 'undo hard-refresh of x (…)', undoes: change.id}
    const undo = await writeBackup({app: list[1], plan: undoPlan, now: new Date(NOW.getTime() + 60_000)})
    expect(undoneBy(await listBackups({name: 'app-1', namespace: 'argocd'})).size, 'a pending undo has not reverted anything').to.equal(0)
    await undo.applied(list[1], () => {})
    const entries = await listBackups({name: 'app-1', namespace: 'argocd'})
    const done = undoneBy(entries)
    expect([...done.keys()]).to.deep.equal([change.id])
    expect(done.get(change.id)!.file).to.equal(undo.recordFile)
    // the same item of the same batch for another app is a different change
    expect(undoneBy(await listBackups({name: 'app-2', namespace: 'argocd'})).size).to.equal(0)
  })

  it('a second batch in the same second gets its own file; a truncated or foreign file is refused with a clear message', async () => {
    const list = apps(2)
    const a = await writeBatchBackup({changes: list.map((app) => ({app, plan: buildHardRefreshPlan(app, NOW)})), now: NOW})
    const b = await writeBatchBackup({changes: list.map((app) => ({app, plan: buildHardRefreshPlan(app, NOW)})), now: NOW})
    expect(b.file).to.not.equal(a.file)
    expect(b.file).to.match(/hard-refresh-1\.json$/)

    const truncated = join(dir, 'batch.truncated.json')
    writeFileSync(truncated, readFileSync(a.file, 'utf8').slice(0, 200), {mode: 0o600})
    const e1 = await readBackup(truncated, {name: 'app-0', namespace: 'argocd'}).catch((error: DoctorError) => error)
    expect((e1 as DoctorError).code).to.equal('USAGE')
    expect((e1 as DoctorError).message).to.match(/is not an argo-doctor batch backup/)

    const foreign = join(dir, 'batch.foreign.json')
    writeFileSync(foreign, JSON.stringify({apiVersion: 'v1', kind: 'List', items: []}), {mode: 0o600})
    const e2 = await readBackup(foreign, {name: 'app-0', namespace: 'argocd'}).catch((error: DoctorError) => error)
    expect((e2 as DoctorError).message).to.match(/is not an argo-doctor batch backup \(kind ArgoDoctorBatchBackup, version 1\)/)
    // listBackups skips what it cannot read instead of failing.
    expect((await listBackups({name: 'app-0', namespace: 'argocd'})).map((e) => e.file).sort()).to.deep.equal([a.file, b.file].sort())
  })
})
