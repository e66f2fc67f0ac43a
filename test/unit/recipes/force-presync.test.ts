import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {DoctorError} from '../../../src/lib/errors.js'
import {buildForcePresyncPlan, buildSyncOperation, initiatorName, type ForcePresyncOptions} from '../../../src/lib/recipes/force-presync.js'
import {healthyApp, hookStuckApp, selfWaitApp} from '../../fixtures/apps.js'
import {dbInitSyncedApp, SEED002_NOW} from '../../fixtures/seed002.js'

const opts = (extra: Partial<ForcePresyncOptions> = {}): ForcePresyncOptions => ({now: SEED002_NOW, user: 'alice', prune: false, syncWindows: [], ...extra})
const plan = (app: Application, extra: Partial<ForcePresyncOptions> = {}) => {
  const outcome = buildForcePresyncPlan(app, opts(extra))
  if (outcome.kind !== 'plan') throw new Error(`expected a plan, got ${outcome.kind}: ${outcome.reason}`)
  return outcome
}

const RETRY = {limit: 5, backoff: {duration: '5s', factor: 2, maxDuration: '3m0s'}}

describe('buildForcePresyncPlan', () => {
  it('seed 002 db-init-prod (Synced, last sync Succeeded): clears the completed state and writes the argocd-app-sync operation in one guarded patch', () => {
    const p = plan(dbInitSyncedApp(), {reason: 'db-init Job never ran'})
    expect(p.patch).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '51877203'},
      {op: 'test', path: '/status/operationState/phase', value: 'Succeeded'},
      {op: 'remove', path: '/status/operationState'},
      {op: 'add', path: '/operation', value: {
        initiatedBy: {username: 'alice (via argo-doctor)'},
        info: [{name: 'Reason', value: 'db-init Job never ran'}, {name: 'Initiated by', value: 'argo-doctor force-presync'}],
        retry: RETRY,
        sync: {syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'], syncStrategy: {hook: {}}},
      }},
    ])
    expect(p.verify).to.deep.equal({kind: 'operation', description: 'following the sync operation'})
    expect(p.guards).to.deep.equal(['/metadata/resourceVersion is still "51877203"', '/status/operationState/phase is still "Succeeded"'])
    expect(p.why).to.match(/selective sync skips hooks/).and.match(/drops the syncOptions/)
    expect(p.summary).to.match(/target revision \(main\)/)
  })

  it('never selects resources (a selective sync skips hooks), never sets prune unless asked, never uses a merge patch', () => {
    const p = plan(dbInitSyncedApp())
    const op = p.patch.find((o) => o.op === 'add' && o.path === '/operation') as {value: any}
    expect(op.value.sync).to.not.have.property('resources')
    expect(op.value.sync).to.not.have.property('prune')
    expect(op.value.sync).to.not.have.property('revision')
    expect(op.value.initiatedBy).to.not.have.property('automated')
    expect(p.patch.map((o) => o.op)).to.not.include('merge')
  })

  it('adds no remove when there is no operationState, and copies nothing the spec does not have', () => {
    const app = dbInitSyncedApp()
    delete app.status!.operationState
    delete app.spec.syncPolicy
    const p = plan(app)
    expect(p.patch).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '51877203'},
      {op: 'add', path: '/operation', value: {
        initiatedBy: {username: 'alice (via argo-doctor)'},
        info: [{name: 'Initiated by', value: 'argo-doctor force-presync'}],
        sync: {syncStrategy: {hook: {}}},
      }},
    ])
  })

  it('--prune and --revision go into the operation; the preview lists what would be pruned', () => {
    const app = dbInitSyncedApp()
    app.spec.syncPolicy!.automated = undefined
    app.status!.resources!.push({group: 'batch', version: 'v1', kind: 'Job', namespace: 'wealist-prod', name: 'db-init-v1', status: 'OutOfSync', requiresPruning: true})
    const p = plan(app, {prune: true, revision: 'v1.4.0'})
    const op = p.patch.at(-1) as {value: any}
    expect(op.value.sync).to.include({revision: 'v1.4.0', prune: true})
    expect(p.warnings.join(' ')).to.match(/DELETES 1 resource\(s\).*batch\/Job wealist-prod\/db-init-v1/)
    expect(p.summary).to.match(/revision v1\.4\.0, pruning/)
  })

  it('without --prune it names the resources left alone', () => {
    const app = dbInitSyncedApp()
    app.status!.resources!.push({version: 'v1', kind: 'ConfigMap', namespace: 'wealist-prod', name: 'old-scripts', status: 'OutOfSync', requiresPruning: true})
    expect(plan(app).notes.join(' ')).to.match(/1 resource\(s\) are no longer in Git and will be left alone \(pass --prune.*ConfigMap wealist-prod\/old-scripts/)
  })

  it('refuses when an operation is already in progress, pointing at unstick', () => {
    const outcome = buildForcePresyncPlan(hookStuckApp(), opts())
    expect(outcome.kind).to.equal('refused')
    if (outcome.kind === 'plan') return
    expect(outcome.reason).to.match(/another operation is already in progress/i)
    expect(outcome.hint).to.equal('Clear it first: argo-doctor unstick payments -n argocd')
  })

  it('refuses on a leftover operation next to a completed phase, and says why it blocks', () => {
    const app = healthyApp()
    app.operation = {sync: {revision: 'abc'}, initiatedBy: {username: 'bob'}}
    const outcome = buildForcePresyncPlan(app, opts())
    expect(outcome.kind).to.equal('refused')
    expect(outcome.kind !== 'plan' && outcome.reason).to.match(/leftover `operation` that blocks every sync/)
  })

  it('refuses a Running operationState without an operation (stuck: a new operation would resume it)', () => {
    const outcome = buildForcePresyncPlan(selfWaitApp(), opts())
    expect(outcome.kind).to.equal('refused')
    expect(outcome.kind !== 'plan' && outcome.reason).to.match(/still Running.*stuck/)
    expect(outcome.kind !== 'plan' && outcome.hint).to.match(/argo-doctor unstick wealist-apps-prod/)
  })

  it('refuses an app that is being deleted', () => {
    const app = dbInitSyncedApp()
    app.metadata.deletionTimestamp = '2025-12-31T05:00:00Z'
    expect(buildForcePresyncPlan(app, opts()).kind).to.equal('refused')
  })

  it('refuses --revision different from the auto-sync target, like the API server', () => {
    const outcome = buildForcePresyncPlan(dbInitSyncedApp(), opts({revision: 'feature-x'}))
    expect(outcome.kind).to.equal('refused')
    expect(outcome.kind !== 'plan' && outcome.reason).to.equal('Cannot sync to feature-x: auto-sync currently set to main (db-init-prod has spec.syncPolicy.automated, and auto-sync would move it back).')
    expect(plan(dbInitSyncedApp(), {revision: 'main'}).kind).to.equal('plan')
  })

  it('rejects --revision on a multi-source app as a usage error', () => {
    const app = dbInitSyncedApp()
    app.spec.sources = [app.spec.source!, {repoURL: 'https://charts.example.com', chart: 'x', targetRevision: '1.0.0'}]
    delete app.spec.source
    expect(() => buildForcePresyncPlan(app, opts({revision: 'abc'}))).to.throw(DoctorError, /2 sources/)
    expect(plan(app).summary).to.match(/each source's target revision \(main, 1\.0\.0\)/)
  })

  it('warns when a deny window of the project blocks the sync, with the next step', () => {
    const p = plan(dbInitSyncedApp(), {syncWindows: [{kind: 'deny', schedule: '0 0 * * *', duration: '24h', applications: ['*-prod']}]})
    expect(p.warnings.join(' ')).to.match(/sync window of project "default" blocks this sync now: a deny window is open: deny window "0 0 \* \* \*" for 24h on applications \*-prod.*Sync operation blocked by sync window.*argo-doctor unstick db-init-prod/)
  })

  it('notes a deny window that allows manual syncs (this sync is manual)', () => {
    const p = plan(dbInitSyncedApp(), {syncWindows: [{kind: 'deny', schedule: '* * * * *', duration: '1h', namespaces: ['wealist-*'], manualSync: true}]})
    expect(p.warnings).to.deep.equal([])
    expect(p.notes.join(' ')).to.match(/allows manual syncs, and this sync is manual/)
  })

  it('says when sync windows were not checked', () => {
    const p = plan(dbInitSyncedApp(), {syncWindows: undefined, syncWindowsUnchecked: 'could not read AppProject "default" (Forbidden)'})
    expect(p.notes).to.include('Sync windows were not checked: could not read AppProject "default" (Forbidden).')
  })
})

describe('buildSyncOperation / initiatorName', () => {
  it('marks the user as coming from argo-doctor', () => {
    expect(initiatorName('kubernetes-admin')).to.equal('kubernetes-admin (via argo-doctor)')
    expect(initiatorName(undefined)).to.equal('unknown (via argo-doctor)')
  })

  it('copies syncOptions and retry (not shared references)', () => {
    const app = dbInitSyncedApp()
    const op = buildSyncOperation(app, {user: 'a', prune: false})
    expect(op.retry).to.deep.equal(RETRY)
    expect(op.retry === app.spec.syncPolicy!.retry).to.equal(false)
    expect(op.sync!.syncOptions).to.deep.equal(app.spec.syncPolicy!.syncOptions)
    expect(op.sync!.syncOptions === app.spec.syncPolicy!.syncOptions).to.equal(false)
  })
})
