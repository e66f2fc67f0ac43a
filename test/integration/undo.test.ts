import {chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {runCli, tempDir, jsonOut} from '../support/cli.js'
import {NOW, selfWaitApp} from '../fixtures/apps.js'
import {platformHpa, platformOutOfSyncApp, SEED002_NOW} from '../fixtures/seed002.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const PLATFORM = 'wealist-platform-prod'

describe('undo (built CLI against a real HTTP API server)', function () {
  this.timeout(90_000)
  let server: FakeApiServer
  let kubeconfig: string
  let backups: string
  const stored = (name: string) => server.get(...APP, name)
  const writes = () => server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined)
  const cli = (args: string[], now = SEED002_NOW) => runCli([...args, '--kubeconfig', kubeconfig], {env: {ARGO_DOCTOR_NOW: now.toISOString(), ARGO_DOCTOR_BACKUP_DIR: backups}})

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    backups = tempDir()
    server.put(platformOutOfSyncApp())
    server.put(platformHpa())
    server.put(selfWaitApp())
  })
  afterEach(async () => server.stop())

  it('after ignore-status: previews, then returns the spec to what it was; --list shows both changes; a second undo has nothing to do', async () => {
    const original = stored(PLATFORM)
    const fix = await cli(['ignore-status', PLATFORM, '--yes', '--no-wait'])
    expect(fix.exitCode, fix.stdout + fix.stderr).to.equal(0)
    expect(stored(PLATFORM).spec.ignoreDifferences).to.not.deep.equal(original.spec.ignoreDifferences)

    const preview = await cli(['undo', PLATFORM, '--dry-run'])
    expect(preview.exitCode, preview.stdout + preview.stderr).to.equal(0)
    expect(preview.stdout).to.match(/^undo: argocd\/wealist-platform-prod — undo ignore-status of 2025-12-31T06:00:00\.000Z/m)
    expect(preview.stdout).to.include('Diff (server dry-run):')
    expect(preview.stdout).to.match(/^- {6}- RespectIgnoreDifferences=true$/m)
    expect(preview.stdout).to.include('Dry run: nothing was changed.')

    const rvBeforeUndo = stored(PLATFORM).metadata.resourceVersion
    const undo = await cli(['undo', PLATFORM, '--yes', '--no-wait'])
    expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(0)
    const after = stored(PLATFORM)
    expect(after.spec).to.deep.equal(original.spec)
    expect(after.status).to.deep.equal(original.status)
    const written = writes().at(-1)!.body
    expect(written[0]).to.deep.equal({op: 'test', path: '/metadata/resourceVersion', value: rvBeforeUndo})
    expect(written.filter((op: {op: string}) => op.op === 'test').map((op: {path: string}) => op.path)).to.include('/spec/ignoreDifferences')
    expect(undo.stderr).to.match(/Backup of the live object: .*\.json/)

    const list = await cli(['undo', PLATFORM, '--list', '--json'])
    expect(list.exitCode).to.equal(0)
    expect((await jsonOut(list.stdout)).backups.map((b: {recipe: string; state: string}) => `${b.recipe}:${b.state}`)).to.deep.equal(['ignore-status:applied', 'undo:applied'])
    const text = await cli(['undo', PLATFORM, '--list'])
    expect(text.stdout).to.match(/^TIME\s+RECIPE\s+STATE\s+RESOURCEVERSION\s+UNDONE\s+BACKUP$/m)

    const again = await cli(['undo', PLATFORM, '--yes'])
    expect(again.exitCode, again.stdout + again.stderr).to.equal(13)
    expect(again.stdout).to.include('nothing to do: every applied argo-doctor change of this app')
  })

  it('never undoes a change twice: a teammate re-adds what the first undo removed; a second undo leaves it (exit 13); --list says which change is undone', async () => {
    const fix = await cli(['ignore-status', PLATFORM, '--yes', '--no-wait'])
    expect(fix.exitCode, fix.stdout + fix.stderr).to.equal(0)
    const fixed = stored(PLATFORM).spec
    const undo = await cli(['undo', PLATFORM, '--yes', '--no-wait'])
    expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(0)
    // a teammate puts the very same entries (and sync option) back by hand
    server.mutate(...APP, PLATFORM, (o) => {
      o.spec.ignoreDifferences = structuredClone(fixed.ignoreDifferences)
      o.spec.syncPolicy = structuredClone(fixed.syncPolicy)
    })
    const teammates = stored(PLATFORM)
    const writesBefore = writes().length

    const again = await cli(['undo', PLATFORM, '--yes', '--no-wait'])
    expect(again.exitCode, again.stdout + again.stderr).to.equal(13)
    expect(again.stdout).to.match(/nothing to do: every applied .*already undone/)
    expect(writes()).to.have.length(writesBefore)
    expect(stored(PLATFORM).spec).to.deep.equal(teammates.spec)

    // naming the undone change explicitly is refused too
    const list = await jsonOut((await cli(['undo', PLATFORM, '--list', '--json'])).stdout)
    const [change, undoRecord] = list.backups
    expect(change.undoneBy, 'the ignore-status change is marked undone').to.equal(undoRecord.id)
    expect(undoRecord.undoes).to.equal(change.id)
    const named = await cli(['undo', PLATFORM, '--yes', '--backup', change.record])
    expect(named.exitCode, named.stdout + named.stderr).to.equal(14)
    expect(named.stdout).to.match(/already undone by .*\.change\.json/)
    expect(writes()).to.have.length(writesBefore)
    const text = await cli(['undo', PLATFORM, '--list'])
    expect(text.stdout).to.match(/^TIME\s+RECIPE\s+STATE\s+RESOURCEVERSION\s+UNDONE\s+BACKUP$/m)
    expect(text.stdout).to.match(/ignore-status\s+applied\s+\S+ → \S+\s+by undo of 2025-12-31T06:00:00\.000Z/)
  })

  it('after unstick --exclude-self: removes the exclude, leaves the status the controller wrote since and does not restore the stuck operation', async () => {
    const name = 'wealist-apps-prod'
    const original = stored(name)
    const fix = await cli(['unstick', name, '--exclude-self', 'root-app.yaml', '--yes', '--no-wait'], NOW)
    expect(fix.exitCode, fix.stdout + fix.stderr).to.equal(0)
    expect(stored(name).spec.source.directory).to.deep.equal({exclude: 'root-app.yaml'})
    // The controller refreshes, syncs and records a new operationState.
    server.mutate(...APP, name, (o) => {
      delete o.metadata.annotations['argocd.argoproj.io/refresh']
      o.status.operationState = {phase: 'Succeeded', message: 'successfully synced (all tasks run)', startedAt: '2026-01-02T00:13:00Z', finishedAt: '2026-01-02T00:13:20Z', operation: {sync: {revision: '5f2c9e1a'}, initiatedBy: {automated: true}}}
      o.status.sync.status = 'Synced'
    })
    const controllerStatus = stored(name).status

    const undo = await cli(['undo', name, '--yes', '--no-wait', '--json'], NOW)
    expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(0)
    const out = (await jsonOut(undo.stdout))
    expect(out.command).to.equal('undo')
    expect(out.steps[0].status).to.equal('applied')
    expect(out.steps[0].notes.join('\n')).to.match(/Left alone: status\.operationState/)
    const after = stored(name)
    expect(after.spec.source).to.deep.equal(original.spec.source)
    expect(after.status).to.deep.equal(controllerStatus)
    expect(after.operation).to.equal(undefined)
  })

  describe('undo --backup FILE trusts no file it would not have written itself', () => {
    /** A change record as argo-doctor writes one, for the platform app's destination. */
    const forged = (touched: unknown[], patch: unknown[]) => ({
      kind: 'ArgoDoctorChangeRecord', version: 1, state: 'applied', app: {namespace: 'argocd', name: PLATFORM}, recipe: 'ignore-status', action: 'ignore-status',
      summary: 'x', time: '2025-12-31T05:59:00.000Z', user: 'me', object: 'argocd_x.json', patch, resourceVersion: {before: '1', after: '2'}, touched,
    })
    const destination = () => stored(PLATFORM).spec.destination.server
    const attack = () => forged(
      [{path: '/spec/destination/server', before: 'https://attacker.example.com', after: destination()}],
      [{op: 'test', path: '/metadata/resourceVersion', value: '1'}, {op: 'add', path: '/spec/ignoreDifferences/-', value: {kind: 'Service'}}],
    )
    const write = (dir: string, record: unknown, mode = 0o600) => {
      mkdirSync(dir, {recursive: true, mode: 0o700})
      const file = join(dir, `argocd_${PLATFORM}_2025-12-31T055900.000Z_rv1.change.json`)
      writeFileSync(file, JSON.stringify(record), {mode})
      chmodSync(file, mode)
      return file
    }

    it('a record whose touched paths are not in its own patch (restores spec.destination.server): refused, nothing written', async () => {
      const before = destination()
      const r = await cli(['undo', PLATFORM, '--yes', '--no-wait', '--backup', write(join(tempDir(), 'private'), attack())])
      expect(r.exitCode, r.stdout + r.stderr).to.equal(2)
      expect(r.stderr).to.match(/spec\.destination\.server.*not changed by its own patch/)
      expect(writes()).to.have.length(0)
      expect(destination()).to.equal(before)
    })

    it('a record in a world-writable directory, a group-writable record, or one owned by someone else: refused (exit 14), as --list skips them', async () => {
      // a consistent record (its touched path is in its patch) so only where it lies is wrong
      const record = forged([{path: '/spec/ignoreDifferences', before: [], after: stored(PLATFORM).spec.ignoreDifferences ?? []}],
        [{op: 'add', path: '/spec/ignoreDifferences/-', value: {kind: 'Service'}}])
      const shared = join(tempDir(), 'shared')
      const inShared = write(shared, record)
      chmodSync(shared, 0o777)
      const cases: Array<[string, string, RegExp]> = [
        ['world-writable directory', inShared, /directory .* is writable by everyone/],
        ['group-writable file', write(join(tempDir(), 'p'), record, 0o660), /is writable by its group/],
      ]
      if (process.getuid?.() === 0) {
        const foreign = write(join(tempDir(), 'f'), record)
        chownSync(foreign, 65_534, 65_534)
        cases.push(['owned by another user', foreign, /is owned by uid 65534/])
      }

      for (const [what, file, message] of cases) {
        const r = await cli(['undo', PLATFORM, '--yes', '--no-wait', '--backup', file])
        expect(r.exitCode, `${what}: ${r.stdout}${r.stderr}`).to.equal(14)
        expect(r.stderr, what).to.match(message)
      }

      expect(writes()).to.have.length(0)
      expect(readFileSync(inShared, 'utf8')).to.include('ArgoDoctorChangeRecord')
    })
  })

  it('refuses (exit 14) with the conflicting paths when someone changed the same path since, and writes nothing', async () => {
    const fix = await cli(['ignore-status', PLATFORM, '--yes', '--no-wait'])
    expect(fix.exitCode, fix.stdout + fix.stderr).to.equal(0)
    server.mutate(...APP, PLATFORM, (o) => {
      o.spec.ignoreDifferences.push({kind: 'Service', jsonPointers: ['/spec/clusterIP']})
    })
    const before = stored(PLATFORM)
    const count = writes().length
    const undo = await cli(['undo', PLATFORM, '--yes'])
    expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(14)
    expect(undo.stdout).to.match(/refused: Someone changed what ignore-status of .* wrote since; undo would overwrite their change, so nothing was written\. Conflicting: spec\.ignoreDifferences \(argo-doctor wrote/)
    expect(stored(PLATFORM)).to.deep.equal(before)
    expect(writes()).to.have.length(count)
  })

  it('-f with --backup previews offline; -f without --backup is a usage error; no backups is nothing to do', async () => {
    const fix = await cli(['ignore-status', PLATFORM, '--yes', '--no-wait'])
    expect(fix.exitCode, fix.stdout + fix.stderr).to.equal(0)
    const record = readdirSync(backups).find((f) => f.endsWith('.change.json'))!
    const file = join(tempDir(), 'app.json')
    writeFileSync(file, JSON.stringify(stored(PLATFORM)))
    const offline = await cli(['undo', '-f', file, '--backup', join(backups, record)])
    expect(offline.exitCode, offline.stdout + offline.stderr).to.equal(0)
    expect(offline.stdout).to.include('Diff (applied locally to the file):')
    expect(offline.stdout).to.match(/^- {6}- RespectIgnoreDifferences=true$/m)

    const usage = await cli(['undo', '-f', file])
    expect(usage.exitCode).to.equal(2)
    expect(usage.stderr).to.include('--backup FILE')

    const none = await cli(['undo', 'wealist-apps-prod', '--yes'])
    expect(none.exitCode, none.stdout + none.stderr).to.equal(13)
    expect(none.stdout).to.include('no applied argo-doctor change of this app is recorded')
  })
})
