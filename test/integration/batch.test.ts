import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {startFakeApiServer, type FakeApiServer, type RecordedRequest} from '../support/fake-apiserver.js'
import {BIN, runCli, tempDir, jsonOut} from '../support/cli.js'
import {healthyApp, hookStuckApp, NOW, selfWaitApp} from '../fixtures/apps.js'
import type {Application} from '../../src/lib/app.js'
import {batchRecordsFile, startBatchBackup} from '../../src/lib/backup.js'
import type {Plan} from '../../src/lib/plan.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const APPS_PATH = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications'
const REFRESH = 'argocd.argoproj.io/refresh'
const N = 12
const names = Array.from({length: N}, (_, i) => `app-${String(i).padStart(2, '0')}`)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The requests a batch made, by kind: what the issue asks to prove (no per-app GET or dry run, one dry run, N patches, one watch). */
function census(requests: RecordedRequest[]) {
  const onApps = requests.filter((q) => q.path.startsWith(APPS_PATH))
  const watch = (q: RecordedRequest) => q.query.watch === 'true' || q.query.watch === '1'
  return {
    perAppGets: onApps.filter((q) => q.method === 'GET' && q.path !== APPS_PATH && !watch(q)).map((q) => q.path.slice(APPS_PATH.length + 1)),
    lists: onApps.filter((q) => q.method === 'GET' && q.path === APPS_PATH && !watch(q)).length,
    watches: onApps.filter((q) => q.method === 'GET' && watch(q)),
    dryRuns: onApps.filter((q) => q.method === 'PATCH' && q.query.dryRun === 'All').map((q) => q.path.slice(APPS_PATH.length + 1)),
    patches: onApps.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined).map((q) => q.path.slice(APPS_PATH.length + 1)),
    events: requests.filter((q) => q.method === 'POST' && q.path.endsWith('/events')).length,
  }
}

/** The batch backups in the directory (each has its records file next to it). */
function batchFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('batch.') && n.endsWith('.json')).map((n) => join(dir, n))
}

interface BatchRecord {app: {name: string}; state: string; resourceVersion: {before?: string; after?: string}; item: number; object: string}

/** The records file's lines: a header, one record per app, then the outcomes as they were appended. */
function recordLines(file: string): BatchRecord[] {
  return readFileSync(batchRecordsFile(file), 'utf8').split('\n').filter(Boolean).slice(1).map((l) => JSON.parse(l))
}

/** A batch backup as undo reads it: the List of objects, and each app's last record. */
function readBatch(file: string): {kind: string; items: Application[]; argoDoctor: {kind: string}; records: BatchRecord[]} {
  const records: BatchRecord[] = []
  for (const record of recordLines(file)) records[record.item] = record
  return {...JSON.parse(readFileSync(file, 'utf8')), records}
}

describe('batches: -l/--all at scale (built CLI against a real HTTP API server)', function () {
  this.timeout(90_000)
  let server: FakeApiServer
  let kubeconfig: string
  let backups: string
  const cli = (args: string[], env: Record<string, string> = {}) => runCli([...args, '--kubeconfig', kubeconfig], {env: {ARGO_DOCTOR_NOW: NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: backups, ...env}})

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    backups = tempDir()
  })
  afterEach(async () => {
    clearInterval(controllerTimer)
    await server.stop()
  })

  function putHealthy(count = N): void {
    for (const name of names.slice(0, count)) {
      const app = healthyApp()
      app.metadata.name = name
      app.metadata.labels = {team: 'payments'}
      server.put(app)
    }
  }

  let controllerTimer: NodeJS.Timeout | undefined
  /** Play the application-controller: finish a terminate, then finish a requested refresh. */
  function controller(): void {
    controllerTimer = setInterval(() => {
      for (const name of names) {
        const app = server.get(...APP, name)
        if (!app) continue
        if (app.status?.operationState?.phase === 'Terminating') {
          server.mutate(...APP, name, (o) => {
            o.status.operationState = {...o.status.operationState, phase: 'Failed', message: 'Operation terminated', finishedAt: '2026-01-02T00:12:30Z'}
            delete o.operation
          })
        } else if (app.metadata.annotations?.[REFRESH]) {
          server.mutate(...APP, name, (o) => {
            delete o.metadata.annotations[REFRESH]
            o.status.reconciledAt = '2026-01-02T00:13:00Z'
          })
        }
      }
    }, 40)
  }

  it('--all --yes --no-wait: plans from the LIST, ONE dry run, N guarded patches, one backup file, an Event each; --json validates', async () => {
    putHealthy()
    const r = await cli(['hard-refresh', '--all', '--yes', '--no-wait', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const out = await jsonOut(r.stdout)
    expect(out.apps.map((a: {app: {name: string}; status: string}) => `${a.app.name}:${a.status}`)).to.deep.equal(names.map((n) => `${n}:applied`))

    const c = census(server.requests)
    expect(c.perAppGets, 'no per-app GET: the LIST gave every object').to.deep.equal([])
    expect(c.lists).to.equal(1)
    expect(c.dryRuns, 'one server dry run for the whole batch').to.have.length(1)
    expect(c.patches.sort()).to.deep.equal(names)
    expect(c.watches).to.have.length(0)
    expect(c.events).to.equal(N)

    // Every write is a JSON patch guarded by the resourceVersion the LIST returned.
    for (const q of server.requests.filter((x) => x.method === 'PATCH' && x.query.dryRun === undefined)) {
      expect(q.contentType).to.match(/application\/json-patch\+json/)
      expect(q.body[0]).to.deep.include({op: 'test', path: '/metadata/resourceVersion'})
    }

    for (const name of names) expect(server.get(...APP, name).metadata.annotations[REFRESH]).to.equal('hard')

    // One backup file: a v1 List of the objects as read; next to it, one change record per app, all applied.
    const [file] = batchFiles(backups)
    expect(file).to.match(/\/batch\.[^/]+\.hard-refresh\.json$/)
    const files = readdirSync(backups).sort()
    expect(files, files.join(', ')).to.deep.equal([file, batchRecordsFile(file)].map((f) => f.slice(backups.length + 1)).sort())
    const batch = readBatch(file)
    expect(batch.kind).to.equal('List')
    expect(batch.items.map((a) => a.metadata.name)).to.deep.equal(names)
    expect(batch.items.every((a) => a.metadata.annotations?.[REFRESH] === undefined)).to.equal(true)
    expect(batch.argoDoctor.kind).to.equal('ArgoDoctorBatchBackup')
    // Appended, never rewritten: the N "pending" records written before the first write are still there, each outcome a line after them.
    const lines = recordLines(file)
    expect(lines.slice(0, N).map((r) => [r.item, r.state])).to.deep.equal(names.map((_, i) => [i, 'pending']))
    expect(lines.slice(N).map((r) => r.state)).to.deep.equal(names.map(() => 'applied'))
    expect(lines.slice(N).map((r) => r.item).sort((a, b) => a - b)).to.deep.equal(names.map((_, i) => i))
    for (const record of batch.records) {
      expect(record.state, record.app.name).to.equal('applied')
      expect(record.resourceVersion.after).to.equal(server.get(...APP, record.app.name).metadata.resourceVersion)
      expect(batch.items[record.item].metadata.name).to.equal(record.app.name)
    }

    expect(out.apps[0].steps[0].backup).to.equal(file)
  })

  it('waits with ONE watch on the namespace (no GET or watch per app) and reports each app the controller finished', async () => {
    putHealthy()
    controller()
    const r = await cli(['hard-refresh', '-l', 'team=payments', '--yes', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const out = await jsonOut(r.stdout)
    expect(out.apps.every((a: {steps: Array<{verify: {status: string; reconciledAt: string}}>}) => a.steps[0].verify.status === 'ok' && a.steps[0].verify.reconciledAt === '2026-01-02T00:13:00Z')).to.equal(true)
    const c = census(server.requests)
    expect(c.perAppGets).to.deep.equal([])
    expect(c.watches, 'one watch').to.have.length(1)
    expect(c.watches[0].query.fieldSelector).to.equal(undefined)
    expect(c.watches[0].query.resourceVersion, 'starts from the current state (after the writes)').to.equal(undefined)
    expect(c.dryRuns).to.have.length(1)
    expect(c.patches).to.have.length(N)
  })

  it('a batch wait survives a reset connection and reads once more before declaring a timeout', async () => {
    putHealthy(3)
    const r0 = cli(['hard-refresh', 'app-00', 'app-01', 'app-02', '--yes', '--timeout', '4s', '--json'])
    while (server.openWatches === 0) await sleep(20)
    server.resetWatches()
    // The controller finishes app-00 while the watch is down.
    server.mutate(...APP, 'app-00', (o) => {
      delete o.metadata.annotations[REFRESH]
      o.status.reconciledAt = '2026-01-02T00:13:00Z'
    })
    const r = await r0
    expect(r.exitCode, r.stderr).to.equal(10)
    const out = await jsonOut(r.stdout)
    expect(out.apps.map((a: {app: {name: string}; steps: Array<{verify: {status: string}}>}) => `${a.app.name}:${a.steps[0].verify.status}`)).to.deep.equal(['app-00:ok', 'app-01:timeout', 'app-02:timeout'])
    const c = census(server.requests)
    expect(c.watches.length).to.be.greaterThan(1)
    // Named apps are read once each (no LIST selected them); the deadline adds one GET each for the two still waiting.
    expect(c.perAppGets.sort()).to.deep.equal(['app-00', 'app-01', 'app-01', 'app-02', 'app-02'])
  })

  it('a batch wait the server refuses to watch (403) polls with one LIST at a time; an app deleted meanwhile is reported as deleted', async () => {
    putHealthy(4)
    server.failNext({watch: true}, 403, 'Forbidden', 'applications.argoproj.io is forbidden: User "admin" cannot watch resource "applications"')
    const run = cli(['hard-refresh', '--all', '--yes', '--timeout', '20s', '--json'])
    while (census(server.requests).patches.length < 4) await sleep(20)
    while (!server.requests.some((q) => q.query.watch === 'true' && (q.status ?? 0) >= 400)) await sleep(20)
    server.remove(...APP, 'app-03')
    for (const name of names.slice(0, 3)) {
      server.mutate(...APP, name, (o) => {
        delete o.metadata.annotations[REFRESH]
        o.status.reconciledAt = '2026-01-02T00:13:00Z'
      })
    }

    const r = await run
    const out = await jsonOut(r.stdout)
    expect(out.apps.map((a: {app: {name: string}; steps: Array<{verify: {status: string}}>}) => `${a.app.name}:${a.steps[0].verify.status}`)).to.deep.equal(['app-00:ok', 'app-01:ok', 'app-02:ok', 'app-03:deleted'])
    expect(r.exitCode).to.equal(3)
    const c = census(server.requests)
    expect(c.watches, 'the one refused watch').to.have.length(1)
    expect(c.lists, 'the LIST that selected the apps, then polls').to.be.within(2, 6)
    // Only the deleted app was read on its own (to tell "deleted" from "left the list").
    expect(c.perAppGets).to.deep.equal(['app-03'])
  })

  it('a write refused by its guard re-plans that app alone on a fresh read (same change: applied; other change: exit 8, never clobbered)', async () => {
    putHealthy()
    let step = 0
    server.onBeforePatch = (req) => {
      if (req.path.endsWith('/app-03') && step === 0) {
        step = 1
        // The controller's status update lands between the LIST and our write.
        server.mutate(...APP, 'app-03', (o) => {
          o.status.reconciledAt = '2026-01-02T00:11:30Z'
        })
      } else if (req.path.endsWith('/app-07') && step === 1) {
        step = 2
        // Someone else asks for a normal refresh: the value our patch would overwrite changed.
        server.mutate(...APP, 'app-07', (o) => {
          o.metadata.annotations = {...o.metadata.annotations, [REFRESH]: 'normal'}
        })
      }
    }

    const r = await cli(['hard-refresh', '--all', '--yes', '--no-wait', '--json', '--concurrency', '1'])
    expect(r.exitCode, r.stderr).to.equal(8)
    const out = await jsonOut(r.stdout)
    const status = Object.fromEntries(out.apps.map((a: {app: {name: string}; status: string; exitCode: number}) => [a.app.name, `${a.status}:${a.exitCode}`]))
    expect(status['app-03']).to.equal('applied:0')
    expect(status['app-07']).to.equal('failed:8')
    expect(Object.values(status).filter((s) => s === 'applied:0')).to.have.length(N - 1)
    expect(server.get(...APP, 'app-07').metadata.annotations[REFRESH]).to.equal('normal')

    const c = census(server.requests)
    // Only the two apps that changed were read again; only app-03 was previewed again (app-07's new plan is not the same change).
    expect([...new Set(c.perAppGets)].sort()).to.deep.equal(['app-03', 'app-07'])
    expect(c.dryRuns.sort()).to.deep.equal(['app-00', 'app-03'])
    expect(c.patches.filter((p) => p === 'app-03')).to.have.length(2)
    expect(c.patches.filter((p) => p === 'app-07')).to.have.length(1)
    expect(c.patches).to.have.length(N + 1)

    const batch = readBatch(batchFiles(backups)[0])
    const state = Object.fromEntries(batch.records.map((x) => [x.app.name, x.state]))
    expect(state['app-03']).to.equal('not-applied')
    expect(state['app-07']).to.equal('not-applied')
    expect(Object.values(state).filter((s) => s === 'applied')).to.have.length(N - 2)
    // The re-planned app-03 went the one-app way: its own backup pair.
    expect(readdirSync(backups).filter((n) => n.startsWith('argocd_app-03_'))).to.have.length(2)
  })

  it('a selection of one app goes the one-app way, planned from the LIST (no second read); a selection of none writes nothing', async () => {
    putHealthy(1)
    const one = await cli(['hard-refresh', '-l', 'team=payments', '--yes', '--no-wait', '--json'])
    expect(one.exitCode, one.stderr).to.equal(0)
    const out = await jsonOut(one.stdout)
    expect(out.app).to.deep.equal({name: 'app-00', namespace: 'argocd'})
    expect(out.steps[0].diff, 'the one-app preview: a diff').to.be.a('string')
    const c = census(server.requests)
    expect(c.lists).to.equal(1)
    expect(c.perAppGets).to.deep.equal([])
    expect(c.patches).to.deep.equal(['app-00'])
    expect(batchFiles(backups), 'one app: its own backup pair, no batch file').to.deep.equal([])

    const none = await cli(['hard-refresh', '-l', 'team=nobody', '--yes', '--no-wait'])
    expect(none.exitCode, none.stderr).to.equal(13)
    expect(none.stdout).to.include('No applications match; nothing to do.')
    expect(census(server.requests).patches).to.deep.equal(['app-00'])
  })

  it('--dry-run: one server dry run, no write, no backup; every app previewed', async () => {
    putHealthy()
    const r = await cli(['hard-refresh', '--all', '--dry-run', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const out = await jsonOut(r.stdout)
    expect(out.apps.every((a: {status: string}) => a.status === 'previewed')).to.equal(true)
    const c = census(server.requests)
    expect(c.dryRuns).to.have.length(1)
    expect(c.patches).to.have.length(0)
    expect(c.events).to.equal(0)
    expect(readdirSync(backups)).to.deep.equal([])

    // The text form: one line per app, the count, and what the one dry run proved.
    const text = await cli(['hard-refresh', '--all', '--dry-run'])
    expect(text.exitCode, text.stderr).to.equal(0)
    expect(text.stdout.match(/^argocd\/app-\d\d: Hard-refresh app-\d\d: set argocd\.argoproj\.io\/refresh=hard/gm)).to.have.length(N)
    expect(text.stdout).to.include(`${N} of ${N} applications would change.`)
    expect(text.stdout).to.include('Dry run: nothing was changed.')
    expect(text.stdout).not.to.include('Diff')
    expect(text.stderr).to.match(/Server dry run \(dryRun=All\) of the change to argocd\/app-00: accepted; the same patch \(with each app's own resourceVersion\) goes to 11 other apps\./)
    expect(census(server.requests).patches).to.have.length(0)
  })

  it('a dry run the server refuses: nothing is written, and the error says why', async () => {
    putHealthy()
    const r = await runCli(['hard-refresh', '--all', '--yes', '--no-wait', '--kubeconfig', kubeconfig, '--context', 'readonly'], {env: {ARGO_DOCTOR_BACKUP_DIR: backups}})
    expect(r.exitCode, r.stderr).to.equal(5)
    expect(r.stderr).to.match(/The API server refused the change in a dry run on argocd\/app-00 \(the same change as for 11 other apps\): .*Nothing was written\./)
    const c = census(server.requests)
    expect(c.dryRuns).to.have.length(1)
    expect(c.patches).to.have.length(0)
    expect(readdirSync(backups)).to.deep.equal([])
  })

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) it(`${signal} mid-batch: no write is sent after the signal; what was applied is said and recorded (exit ${code})`, async () => {
    const many = Array.from({length: 30}, (_, i) => `app-${String(i).padStart(2, '0')}`)
    for (const name of many) {
      const app = healthyApp()
      app.metadata.name = name
      server.put(app)
    }

    server.onBeforePatch = async () => sleep(150)
    const child = execa('node', [BIN, 'hard-refresh', '--all', '--yes', '--no-wait', '--concurrency', '2', '--kubeconfig', kubeconfig], {
      reject: false, env: {...process.env, NO_COLOR: '1', CI: undefined, ARGO_DOCTOR_NOW: NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: backups},
    })
    while (census(server.requests).patches.length < 4) await sleep(10)
    child.kill(signal)
    const r = await child
    const sent = census(server.requests).patches.length
    expect(r.exitCode, String(r.stderr)).to.equal(code)
    const written = many.filter((n) => server.get(...APP, n).metadata.annotations?.[REFRESH] === 'hard')
    expect(sent, 'the writes in flight when the signal came were answered; no more were sent (30 queued)').to.be.within(4, 10)
    expect(written).to.have.length(sent)
    expect(String(r.stderr)).to.match(new RegExp(`${signal === 'SIGINT' ? 'Interrupted' : 'Stopped by SIGTERM'}: ${sent} of 30 changes WERE applied before the signal \\(each recorded in .*batch\\..*\\.json\\); the other ${30 - sent} were not written\\.`))
    const [file] = batchFiles(backups)
    const batch = readBatch(file)
    for (const record of batch.records) {
      expect(record.state, record.app.name).to.equal(written.includes(record.app.name) ? 'applied' : 'not-applied')
    }

    // The backup the signal left is one undo reads.
    const list = await cli(['undo', written[0], '--list', '--json'])
    expect(list.exitCode, list.stderr).to.equal(0)
    expect((await jsonOut(list.stdout)).backups.map((e: {state: string; backup: string}) => [e.state, e.backup])).to.deep.equal([['applied', file]])
  })

  it('bulk unstick: the terminate write, one watch, then the hard refresh planned from what the watch saw — no per-app reads', async () => {
    for (const name of names) {
      const app = hookStuckApp()
      app.metadata.name = name
      server.put(app)
    }

    controller()
    const r = await cli(['unstick', '--all', '--yes', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const out = await jsonOut(r.stdout)
    for (const a of out.apps) {
      expect(a.steps.map((s: {action: string; status: string; verify: {status: string}}) => `${s.action}:${s.status}:${s.verify.status}`), a.app.name).to.deep.equal(['terminate:applied:ok', 'hard-refresh:applied:ok'])
    }

    const c = census(server.requests)
    expect(c.perAppGets).to.deep.equal([])
    expect(c.lists).to.equal(1)
    expect(c.dryRuns, 'one dry run per step').to.have.length(2)
    expect(c.watches, 'one watch per step').to.have.length(2)
    expect(c.patches).to.have.length(2 * N)
    expect(batchFiles(backups)).to.have.length(2)
    for (const name of names) expect(server.get(...APP, name).status.operationState.phase).to.equal('Failed')
  })

  it('bulk unstick --yes whose terminate times out: the first preview says the fallback may follow; the fallback is previewed per app and dry-run before it clears', async () => {
    for (const name of names.slice(0, 3)) {
      const app = hookStuckApp()
      app.metadata.name = name
      server.put(app)
    }

    const r = await cli(['unstick', '--all', '--yes', '--terminate-timeout', '1s', '--timeout', '1s'])
    const out = String(r.stdout)
    const confirmAt = out.indexOf('3 of 3 applications would change.')
    const fallbackAt = out.indexOf('did not finish')
    expect(confirmAt, out).to.be.greaterThan(-1)
    expect(fallbackAt, out).to.be.greaterThan(confirmAt)
    expect(out.slice(confirmAt, fallbackAt)).to.match(/argo-doctor then clears the operation instead \(previewed and confirmed again; --yes answers yes\)/)
    const fallback = out.slice(fallbackAt)
    for (const name of names.slice(0, 3)) expect(fallback).to.include(`argocd/${name}: Clear the stuck sync of ${name}`)
    expect(String(r.stderr).match(/Server dry run \(dryRun=All\) of the change to argocd\/app-0\d: accepted/g), 'terminate and clear each proved').to.have.length(2)
    for (const name of names.slice(0, 3)) expect(server.get(...APP, name).status.operationState).to.equal(undefined)
  })

  it('bulk unstick that clears the operations: one write each, one backup file, every stuck sync cleared', async () => {
    for (const name of names) {
      const app = selfWaitApp()
      app.metadata.name = name
      server.put(app)
    }

    const r = await cli(['unstick', '--all', '--yes', '--no-wait'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout.match(/^argocd\/app-\d\d: Clear the stuck sync of app-\d\d/gm)).to.have.length(N)
    expect(r.stdout.match(/^argocd\/app-\d\d\s+applied \(not waited\)/gm)).to.have.length(N)
    expect(r.stderr).to.match(/Backup of the 12 live objects \(one file\): .*batch\..*\.unstick\.json/)
    const c = census(server.requests)
    expect(c.perAppGets).to.deep.equal([])
    expect(c.dryRuns).to.have.length(1)
    expect(c.patches).to.have.length(N)
    expect(batchFiles(backups).flatMap((f) => [f, batchRecordsFile(f)]).map((f) => f.slice(backups.length + 1)).sort()).to.deep.equal(readdirSync(backups).sort())
    expect(batchFiles(backups)).to.have.length(1)
    for (const name of names) expect(server.get(...APP, name).status.operationState).to.equal(undefined)
    // Not waiting is said once, not once per app.
    expect(r.stdout.match(/Not waiting \(--no-wait\)/g) ?? []).to.have.length(1)
  })

  describe('undo reads a batch backup', () => {
    it('after hard-refresh --all: --list shows the batch entry, and undo says there is nothing to undo (a refresh request is the controller\'s)', async () => {
      putHealthy()
      const r = await cli(['hard-refresh', '--all', '--yes', '--no-wait'])
      expect(r.exitCode, r.stderr).to.equal(0)
      const [file] = batchFiles(backups)
      const list = await cli(['undo', 'app-03', '--list', '--json'])
      expect(list.exitCode, list.stderr).to.equal(0)
      const {backups: entries} = await jsonOut(list.stdout)
      expect(entries.map((e: {recipe: string; state: string; backup: string}) => [e.recipe, e.state, e.backup])).to.deep.equal([['hard-refresh', 'applied', file]])
      expect(entries[0].resourceVersion.after).to.equal(server.get(...APP, 'app-03').metadata.resourceVersion)
      const undo = await cli(['undo', 'app-03', '--yes', '--no-wait'])
      expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(13)
      expect(undo.stderr).to.include(`Undoing hard-refresh of`)
      expect(undo.stderr).to.include(file)
      expect(undo.stdout).to.match(/Nothing to undo/)
      expect(undo.stdout).to.match(/only a refresh request was added there/)
    })

    it('restores what a batch changed in the spec, from the batch file (newest change, or --backup FILE with the app named)', async () => {
      putHealthy(3)
      const rule = [{group: 'autoscaling', kind: 'HorizontalPodAutoscaler', jsonPointers: ['/spec/minReplicas']}]
      const changes = names.slice(0, 3).map((name) => {
        const app = server.get(...APP, name) as Application
        const plan: Plan = {
          kind: 'plan', recipe: 'ignore-status', action: 'ignore-status', target: {name, namespace: 'argocd'}, summary: `Ignore HPA replicas on ${name}.`, why: 'test',
          patch: [{op: 'test', path: '/metadata/resourceVersion', value: app.metadata.resourceVersion}, {op: 'add', path: '/spec/ignoreDifferences', value: rule}],
          guards: [], warnings: [], notes: [], verify: {kind: 'none'},
        }
        return {app, plan}
      })
      const saved = process.env.ARGO_DOCTOR_BACKUP_DIR
      process.env.ARGO_DOCTOR_BACKUP_DIR = backups
      try {
        const spool = startBatchBackup({now: () => new Date(NOW.getTime() - 60_000)})
        for (const {app, plan} of changes) await spool.add(app, plan)
        const handle = await spool.commit()
        for (const [i, {app}] of changes.entries()) {
          handle.applied(i, server.mutate(...APP, app.metadata.name, (o) => {
            o.spec.ignoreDifferences = rule
          }))
        }

        await handle.flush(() => {}, true)
      } finally {
        process.env.ARGO_DOCTOR_BACKUP_DIR = saved
      }

      const [file] = batchFiles(backups)
      const undo = await cli(['undo', 'app-01', '--yes', '--no-wait'])
      expect(undo.exitCode, undo.stdout + undo.stderr).to.equal(0)
      expect(server.get(...APP, 'app-01').spec.ignoreDifferences).to.equal(undefined)
      const written = census(server.requests).patches
      expect(written).to.deep.equal(['app-01'])
      const patch = server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined).at(-1)!.body
      expect(patch).to.deep.include({op: 'remove', path: '/spec/ignoreDifferences'})
      expect(patch).to.deep.include({op: 'test', path: '/spec/ignoreDifferences', value: rule})

      const named = await cli(['undo', 'app-02', '--backup', file, '--dry-run'])
      expect(named.exitCode, named.stdout + named.stderr).to.equal(0)
      expect(named.stdout).to.match(/undo ignore-status of .*restore spec\.ignoreDifferences/)
      expect(server.get(...APP, 'app-02').spec.ignoreDifferences).to.deep.equal(rule)

      const stranger = await cli(['undo', 'app-09', '--backup', file, '--yes'])
      expect(stranger.exitCode).to.equal(2)
      expect(stranger.stderr).to.match(/is a batch backup of 3 applications \(argocd\/app-00, argocd\/app-01, argocd\/app-02\); argocd\/app-09 is not one of them/)
    })
  })
})
