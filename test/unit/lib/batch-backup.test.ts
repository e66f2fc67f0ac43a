import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {batchRecordsFile, listBackups, readBackup, readBatchRecords, startBatchBackup, touchedPaths, undoneBy, writeBackup, type ChangeRecord} from '../../../src/lib/backup.js'
import type {Application} from '../../../src/lib/app.js'
import {changeKey, keptOf, valueAt, type Plan} from '../../../src/lib/plan.js'
import {DoctorError} from '../../../src/lib/errors.js'
import {buildHardRefreshPlan} from '../../../src/lib/recipes/hard-refresh.js'
import {healthyApp, NOW} from '../../fixtures/apps.js'
import {tempDir} from '../../support/cli.js'

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

/** A batch backup of these apps (hard-refresh each), committed. */
async function batchOf(list: Application[], context?: string) {
  const spool = startBatchBackup({now: () => NOW, context})
  for (const app of list) await spool.add(app, buildHardRefreshPlan(app, NOW))
  return spool.commit()
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))

/** A batch backup as argo-doctor wrote them before the records file (version 1: records inside the List, rewritten as writes were answered). */
function writeVersion1(file: string, list: Application[], states: Array<Partial<ChangeRecord>>): void {
  const header = {kind: 'ArgoDoctorBatchBackup', version: 1, recipe: 'hard-refresh', time: NOW.toISOString(), user: 'me', context: 'old', count: list.length}
  const records = list.map((app, item) => ({
    kind: 'ArgoDoctorChangeRecord', version: 1, state: 'pending', app: {namespace: 'argocd', name: app.metadata.name}, recipe: 'hard-refresh', action: 'hard-refresh',
    summary: 'hard refresh', time: NOW.toISOString(), user: 'me', object: file.slice(file.lastIndexOf('/') + 1), item,
    patch: buildHardRefreshPlan(app, NOW).patch, resourceVersion: {before: app.metadata.resourceVersion}, ...states[item],
  }))
  writeFileSync(file, `{"apiVersion":"v1","kind":"List","metadata":{},"argoDoctor":${JSON.stringify(header).slice(0, -1)},"records":[\n${records.map((r) => JSON.stringify(r)).join(',\n')}\n]},\n"items":[\n${list.map((a) => JSON.stringify(a)).join(',\n')}\n]}\n`, {mode: 0o600})
}

describe('batch backups (one file per batch)', () => {
  let dir: string
  beforeEach(() => {
    dir = tempDir('argo-doctor-batch-')
    process.env.ARGO_DOCTOR_BACKUP_DIR = dir
  })

  it('is a v1 List of the objects as read, written once; the records file has one record per app, and outcomes are APPENDED to it (the objects are never rewritten)', async () => {
    const list = apps(60)
    const handle = await batchOf(list, 'ctx')
    expect(handle.file).to.equal(join(dir, 'batch.2026-01-02T001200.000Z.hard-refresh.json'))
    expect(handle.recordsFile).to.equal(join(dir, 'batch.2026-01-02T001200.000Z.hard-refresh.records.jsonl'))
    for (const file of [handle.file, handle.recordsFile]) expect(statSync(file).mode & 0o777).to.equal(0o600)
    expect(statSync(handle.file).size).to.be.greaterThan(1024 * 1024)
    const doc = JSON.parse(readFileSync(handle.file, 'utf8'))
    expect(doc.apiVersion).to.equal('v1')
    expect(doc.kind).to.equal('List')
    expect(doc.items).to.deep.equal(list)
    expect(doc.argoDoctor).to.deep.equal({kind: 'ArgoDoctorBatchBackup', version: 2})
    const [header, ...pending] = lines(handle.recordsFile)
    expect(header).to.deep.include({kind: 'ArgoDoctorBatchRecords', version: 2, recipe: 'hard-refresh', count: 60, context: 'ctx'})
    expect(pending.map((r) => [r.item, r.state])).to.deep.equal(list.map((_, i) => [i, 'pending']))
    const objects = {text: readFileSync(handle.file, 'utf8'), inode: statSync(handle.file).ino, mtime: statSync(handle.file).mtimeMs}
    const recordsBefore = readFileSync(handle.recordsFile, 'utf8')
    const recordsInode = statSync(handle.recordsFile).ino

    const written = structuredClone(list[7])
    written.metadata.resourceVersion = '999'
    written.metadata.annotations = {'argocd.argoproj.io/refresh': 'hard', 'argocd.argoproj.io/refresh-timestamp': NOW.toISOString()}
    handle.applied(7, written)
    handle.notApplied(8, new DoctorError('CONFLICT', 'changed'))
    handle.notApplied(9, new Error('socket hang up'))
    await handle.flush(() => {}, true)

    // The objects file is untouched; the records file is the same file with two lines more at its end.
    expect({text: readFileSync(handle.file, 'utf8'), inode: statSync(handle.file).ino, mtime: statSync(handle.file).mtimeMs}).to.deep.equal(objects)
    const recordsAfter = readFileSync(handle.recordsFile, 'utf8')
    expect(statSync(handle.recordsFile).ino).to.equal(recordsInode)
    expect(recordsAfter.startsWith(recordsBefore)).to.equal(true)
    const appended = recordsAfter.slice(recordsBefore.length).split('\n').filter(Boolean).map((l) => JSON.parse(l))
    expect(appended.map((r) => [r.item, r.state])).to.deep.equal([[7, 'applied'], [8, 'not-applied']])

    const {header: readHeader, records} = await readBatchRecords(handle.file)
    expect(readHeader).to.deep.include({kind: 'ArgoDoctorBatchBackup', version: 2, recipe: 'hard-refresh', count: 60, context: 'ctx'})
    expect(records).to.have.length(60)
    expect(records[7]).to.deep.include({state: 'applied', item: 7, object: 'batch.2026-01-02T001200.000Z.hard-refresh.json', resourceVersion: {before: '107', after: '999'}})
    expect(records[7].touched).to.deep.equal([{path: '/metadata/annotations', after: written.metadata.annotations}])
    expect(records[8]).to.deep.include({state: 'not-applied', error: 'changed'})
    // An unknown outcome stays pending: undo refuses it.
    expect(records[9].state).to.equal('pending')

    const entries = await listBackups({name: 'app-7', namespace: 'argocd'})
    expect(entries.map((e) => [e.file, e.objectFile, e.record.state])).to.deep.equal([[handle.file, handle.file, 'applied']])
    expect((await readBackup(handle.file, {name: 'app-8', namespace: 'argocd'})).record.state).to.equal('not-applied')
  })

  it('nothing is left behind when the batch is not written (discard), and nothing is named before commit', async () => {
    const spool = startBatchBackup({now: () => NOW})
    for (const app of apps(80)) await spool.add(app, buildHardRefreshPlan(app, NOW))
    expect(readdirSync(dir).filter((n) => n.startsWith('batch.')), 'no backup is named before the writes begin').to.deep.equal([])
    await spool.discard()
    expect(readdirSync(dir)).to.deep.equal([])
  })

  it('a records file cut short while an outcome was being appended (a kill) is read up to its last complete line', async () => {
    const list = apps(3)
    const handle = await batchOf(list)
    handle.applied(1, list[1])
    await handle.flush(() => {}, true)
    writeFileSync(handle.recordsFile, '{"kind":"ArgoDoctorChangeRecord","version":1,"state":"appl', {flag: 'a'})
    const {records} = await readBatchRecords(handle.file)
    expect(records.map((r) => r.state)).to.deep.equal(['pending', 'applied', 'pending'])
    // A line that is complete but not a record of this batch is refused.
    writeFileSync(handle.recordsFile, '\n{"kind":"ArgoDoctorChangeRecord","version":1,"state":"applied","app":{"name":"other","namespace":"argocd"},"patch":[],"item":1}\n', {flag: 'a'})
    const error = await readBackup(handle.file, {name: 'app-1', namespace: 'argocd'}).catch((e: DoctorError) => e)
    expect((error as DoctorError).code).to.equal('USAGE')
    expect((error as DoctorError).message).to.match(/is not a consistent batch backup record file/)
  })

  it('reads the batch backups of earlier versions (records inside the List, version 1)', async () => {
    const list = apps(3)
    const file = join(dir, 'batch.2025-12-01T000000.000Z.hard-refresh.json')
    writeVersion1(file, list, [{}, {state: 'applied', resourceVersion: {before: '101', after: '500'}, touched: [{path: '/metadata/annotations', after: {'argocd.argoproj.io/refresh': 'hard'}}]}, {state: 'not-applied', error: 'changed'}])
    const {header, records} = await readBatchRecords(file)
    expect(header).to.deep.include({kind: 'ArgoDoctorBatchBackup', version: 1, count: 3, context: 'old'})
    expect(records.map((r) => r.state)).to.deep.equal(['pending', 'applied', 'not-applied'])
    expect((await readBackup(file, {name: 'app-1', namespace: 'argocd'})).record.resourceVersion).to.deep.equal({before: '101', after: '500'})
    expect((await listBackups({name: 'app-1', namespace: 'argocd'})).map((e) => [e.id, e.record.state])).to.deep.equal([['batch.2025-12-01T000000.000Z.hard-refresh.json#1', 'applied']])
  })

  it('a change recorded in a batch file has its own id (file#item); the undo that reverted it names it, so it counts as undone once', async () => {
    const list = apps(3)
    const batch = await batchOf(list)
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

  it('a second batch in the same second gets its own files; a truncated or foreign file, or a missing records file, is refused with a clear message', async () => {
    const list = apps(2)
    const a = await batchOf(list)
    const b = await batchOf(list)
    expect(b.file).to.not.equal(a.file)
    expect(b.file).to.match(/hard-refresh-1\.json$/)
    expect(b.recordsFile).to.equal(batchRecordsFile(b.file))

    const truncated = join(dir, 'batch.truncated.json')
    writeFileSync(truncated, readFileSync(a.file, 'utf8').slice(0, 50), {mode: 0o600})
    const e1 = await readBackup(truncated, {name: 'app-0', namespace: 'argocd'}).catch((error: DoctorError) => error)
    expect((e1 as DoctorError).code).to.equal('USAGE')
    expect((e1 as DoctorError).message).to.match(/is not an argo-doctor batch backup/)

    const foreign = join(dir, 'batch.foreign.json')
    writeFileSync(foreign, JSON.stringify({apiVersion: 'v1', kind: 'List', items: []}), {mode: 0o600})
    const e2 = await readBackup(foreign, {name: 'app-0', namespace: 'argocd'}).catch((error: DoctorError) => error)
    expect((e2 as DoctorError).message).to.match(/is not an argo-doctor batch backup \(kind ArgoDoctorBatchBackup, version 1 or 2\)/)

    const orphan = join(dir, 'batch.orphan.json')
    writeFileSync(orphan, readFileSync(a.file, 'utf8'), {mode: 0o600})
    const e3 = await readBackup(orphan, {name: 'app-0', namespace: 'argocd'}).catch((error: DoctorError) => error)
    expect((e3 as DoctorError).message).to.match(/Cannot read the records of the batch backup .*batch\.orphan\.records\.jsonl\): no such file/)
    // listBackups skips what it cannot read instead of failing.
    expect((await listBackups({name: 'app-0', namespace: 'argocd'})).map((e) => e.file).sort()).to.deep.equal([a.file, b.file].sort())
  })
})

describe('what a batch keeps of an app once it is planned (keptOf)', () => {
  it('answers changeKey, touchedPaths and the values before as the whole object does, without the rest of it', () => {
    const app = apps(1)[0]
    app.metadata.finalizers = ['a', 'b']
    app.metadata.annotations = {'x/y': 'z', big: 'b'.repeat(1000)}
    app.spec.syncPolicy = {syncOptions: ['CreateNamespace=true']}
    const plan = {
      kind: 'plan', recipe: 'test', action: 'test', target: {name: 'app-0', namespace: 'argocd'}, summary: '', why: '', guards: [], warnings: [], notes: [], verify: {kind: 'none'},
      patch: [
        {op: 'test', path: '/metadata/resourceVersion', value: app.metadata.resourceVersion},
        {op: 'remove', path: '/metadata/finalizers/0'},
        {op: 'add', path: '/spec/syncPolicy/syncOptions/-', value: 'Prune=false'},
        {op: 'replace', path: '/spec/source/targetRevision', value: 'v2'},
        {op: 'add', path: '/metadata/annotations/x~1y', value: 'w'},
        {op: 'add', path: '/status/absent/deep', value: 1},
      ],
    } as unknown as Plan
    const kept = keptOf(app, plan)
    expect(touchedPaths(plan.patch, kept)).to.deep.equal(touchedPaths(plan.patch, app))
    for (const path of touchedPaths(plan.patch, app)) expect(valueAt(kept, path), path).to.deep.equal(valueAt(app, path))
    expect(changeKey(plan, kept)).to.equal(changeKey(plan, app))
    expect(kept.metadata).to.deep.include({name: 'app-0', resourceVersion: app.metadata.resourceVersion})
    expect(kept.metadata.annotations).to.deep.equal({'x/y': 'z'})
    expect(kept.status, 'nothing of status.resources').to.equal(undefined)
    expect(JSON.stringify(kept).length).to.be.lessThan(JSON.stringify(app).length / 20)
  })
})
