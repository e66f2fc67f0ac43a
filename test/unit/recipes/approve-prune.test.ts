import {expect} from 'chai'
import {buildApprovePrunePlan} from '../../../src/lib/recipes/approve-prune.js'
import {approvalCovers, namedInMessage, pruneConfirmation, type LiveMeta} from '../../../src/lib/deletion.js'
import {isDone, judge} from '../../../src/lib/verify.js'
import {EXAMPLE_NOW, issueApp} from '../../fixtures/examples.js'

/** legacy-crons: a sync under Prune=confirm waiting for "pruning confirmation of …" (argo-cd #25193). */
const NOW = EXAMPLE_NOW
const KEY = 'argocd.argoproj.io/deletion-approved'

describe('buildApprovePrunePlan', () => {
  it('approves the waiting sync with deletion-approved = now (RFC3339), adding the missing annotations map, guarded by resourceVersion', () => {
    const plan = buildApprovePrunePlan(issueApp('legacy-crons'), {now: NOW})
    expect(plan.kind).to.equal('plan')
    if (plan.kind !== 'plan') return
    expect(plan.patch).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '93016901'},
      {op: 'add', path: '/metadata/annotations', value: {[KEY]: '2026-01-02T00:12:00Z'}},
    ])
    expect(plan.why).to.include('batch/CronJob batch/nightly-report').and.include('batch/CronJob batch/quarterly-export')
    expect(plan.why).to.match(/at or after the operation's start/)
    expect(plan.verify).to.deep.equal({kind: 'pruned', description: 'waiting for the controller to prune them and move the sync on', pending: ['batch/CronJob/batch/nightly-report', 'batch/CronJob/batch/quarterly-export']})
  })

  it('adds just the key when other annotations exist, and replaces (guarded by its old value) an outdated approval', () => {
    const app = issueApp('legacy-crons')
    app.metadata.annotations = {team: 'batch'}
    const add = buildApprovePrunePlan(app, {now: NOW})
    expect(add.kind === 'plan' && add.patch[1]).to.deep.equal({op: 'add', path: '/metadata/annotations/argocd.argoproj.io~1deletion-approved', value: '2026-01-02T00:12:00Z'})
    app.metadata.annotations = {[KEY]: '2025-12-01T00:00:00Z'}
    const replace = buildApprovePrunePlan(app, {now: NOW})
    expect(replace.kind === 'plan' && replace.patch.slice(1)).to.deep.equal([
      {op: 'test', path: '/metadata/annotations/argocd.argoproj.io~1deletion-approved', value: '2025-12-01T00:00:00Z'},
      {op: 'replace', path: '/metadata/annotations/argocd.argoproj.io~1deletion-approved', value: '2026-01-02T00:12:00Z'},
    ])
  })

  it('never writes a time before the operation started (our clock behind the controller\'s)', () => {
    const plan = buildApprovePrunePlan(issueApp('legacy-crons'), {now: new Date('2026-01-01T21:30:00Z')})
    expect(plan.kind === 'plan' && plan.patch[1]).to.deep.include({value: {[KEY]: '2026-01-01T21:30:12Z'}})
  })

  it('an operation "started" far ahead of our clock (2099: a broken or hostile status) is refused: any approval of it would stand until then', () => {
    const app = issueApp('legacy-crons')
    app.status!.operationState!.startedAt = '2099-01-01T00:00:00Z'
    const r = buildApprovePrunePlan(app, {now: NOW})
    expect(r.kind).to.equal('refused')
    expect(r.kind !== 'plan' && r.reason).to.include('2099-01-01T00:00:00Z').and.include('nothing was written')
    // within the skew allowance (5 min) the approval is the operation's start, never later than that
    app.status!.operationState!.startedAt = '2026-01-02T00:16:00Z'
    const plan = buildApprovePrunePlan(app, {now: NOW})
    expect(plan.kind === 'plan' && plan.patch[1]).to.deep.include({value: {[KEY]: '2026-01-02T00:16:00Z'}})
    app.status!.operationState!.startedAt = '2026-01-02T00:17:01Z'
    expect(buildApprovePrunePlan(app, {now: NOW}).kind).to.equal('refused')
  })

  it('reads the wording of Argo CD v3.2 ("Waiting for pruning confirmation of batch/v1/CronJob/…", resource-level Prune=confirm only)', () => {
    const app = issueApp('legacy-crons')
    app.status!.operationState!.message = 'Waiting for pruning confirmation of batch/v1/CronJob/nightly-report and 1 more resources'
    app.spec.syncPolicy = {}
    delete app.operation!.sync!.syncOptions
    delete app.status!.operationState!.operation!.sync!.syncOptions
    expect(namedInMessage(app.status!.operationState!.message)).to.deep.equal({group: 'batch', kind: 'CronJob', name: 'nightly-report'})
    expect(namedInMessage('Waiting for pruning confirmation of v1/ConfigMap/legacy-report')).to.deep.equal({group: '', kind: 'ConfigMap', name: 'legacy-report'})
    expect(namedInMessage('waiting for pruning confirmation of /ConfigMap/legacy-report')).to.deep.equal({group: '', kind: 'ConfigMap', name: 'legacy-report'})
    const plan = buildApprovePrunePlan(app, {now: NOW})
    expect(plan.kind).to.equal('plan')
    // live reads narrow it to the resource whose own annotation says Prune=confirm
    const live: LiveMeta[] = [
      {group: 'batch', kind: 'CronJob', namespace: 'batch', name: 'nightly-report', state: 'found', syncOptions: 'Prune=confirm'},
      {group: 'batch', kind: 'CronJob', namespace: 'batch', name: 'quarterly-export', state: 'found'},
    ]
    expect(pruneConfirmation(app, NOW, live).pending.map((r) => r.name)).to.deep.equal(['nightly-report'])
  })

  it('nothing to do when no sync waits for confirmation', () => {
    const app = issueApp('billing')
    const r = buildApprovePrunePlan(app, {now: NOW})
    expect(r.kind).to.equal('nothing')
    expect(r.kind !== 'plan' && r.reason).to.match(/Nothing on billing waits for pruning confirmation/)
  })

  it('nothing to do when the existing approval already covers this operation (IsDeletionConfirmed(startedAt))', () => {
    const app = issueApp('legacy-crons')
    app.metadata.annotations = {[KEY]: '2026-01-01T21:30:12Z'}
    expect(approvalCovers(app, '2026-01-01T21:30:12Z')).to.equal(true)
    expect(buildApprovePrunePlan(app, {now: NOW}).kind).to.equal('nothing')
  })

  it('a future approval approves later prunes too: warns and replaces it with now', () => {
    const app = issueApp('legacy-crons')
    app.metadata.annotations = {[KEY]: '2030-01-01T00:00:00Z'}
    const plan = buildApprovePrunePlan(app, {now: NOW})
    expect(plan.kind).to.equal('plan')
    expect(plan.kind === 'plan' && plan.warnings.join(' ')).to.match(/in the future: until then it silently approves every prune/)
  })

  it('refuses when the Running phase has no operation behind it (approval would not make anything continue)', () => {
    const app = issueApp('legacy-crons')
    delete app.operation
    const r = buildApprovePrunePlan(app, {now: NOW})
    expect(r.kind).to.equal('refused')
    expect(r.kind !== 'plan' && r.hint).to.include('unstick legacy-crons')
  })

  it('live reads decide which requiresPruning resources wait: a resource-level Prune=false/true overrides the app-level Prune=confirm', () => {
    const app = issueApp('legacy-crons')
    const live: LiveMeta[] = [
      {group: 'batch', kind: 'CronJob', namespace: 'batch', name: 'nightly-report', state: 'found', creationTimestamp: '2025-06-02T13:45:00Z', finalizers: []},
      {group: 'batch', kind: 'CronJob', namespace: 'batch', name: 'quarterly-export', state: 'found', creationTimestamp: '2025-11-02T13:45:00Z', finalizers: [], syncOptions: 'Prune=true'},
    ]
    const p = pruneConfirmation(app, NOW, live)
    expect(p.pending.map((r) => r.name)).to.deep.equal(['nightly-report'])
    const plan = buildApprovePrunePlan(app, {now: NOW, live})
    expect(plan.kind === 'plan' && plan.why).to.match(/batch\/CronJob batch\/nightly-report, live, age 7mo|batch\/CronJob batch\/nightly-report, live, age \d+d/)
  })

  it('approves a cascading deletion that waits for Delete=confirm resources (no message, no condition)', () => {
    const app = issueApp('zookeeper-operator')
    app.status!.conditions = []
    app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
    app.status!.resources![0].requiresDeletionConfirmation = true
    const plan = buildApprovePrunePlan(app, {now: NOW})
    expect(plan.kind).to.equal('plan')
    if (plan.kind !== 'plan') return
    expect(plan.action).to.equal('approve-deletion')
    expect(plan.why).to.include('rbac.authorization.k8s.io/ClusterRole zookeeper-operator')
    // an approval from before the deletion does not count; one after it does
    app.metadata.annotations = {[KEY]: '2026-01-01T23:40:11Z'}
    expect(buildApprovePrunePlan(app, {now: NOW}).kind).to.equal('plan')
    app.metadata.annotations = {[KEY]: '2026-01-01T23:40:12Z'}
    expect(buildApprovePrunePlan(app, {now: NOW}).kind).to.equal('nothing')
  })

  it('verify: done once the sync moved past the wait and the pending resources are gone; Failed is reported', () => {
    const before = issueApp('legacy-crons')
    const plan = buildApprovePrunePlan(before, {now: NOW})
    if (plan.kind !== 'plan') throw new Error('no plan')
    expect(isDone(plan.verify, before, before)).to.equal(false)
    const after = structuredClone(before)
    after.status!.resources = after.status!.resources!.filter((r) => !r.requiresPruning)
    after.status!.operationState!.message = 'waiting for healthy state of batch/CronJob/weekly-digest'
    expect(isDone(plan.verify, after, before)).to.equal(true)
    const done = structuredClone(before)
    done.status!.operationState!.phase = 'Succeeded'
    done.status!.operationState!.message = 'successfully synced (all tasks run)'
    delete done.operation
    expect(isDone(plan.verify, done, before), 'Succeeded, but the next comparison has not dropped the pruned resources yet').to.equal(false)
    done.status!.resources = done.status!.resources!.filter((r) => !r.requiresPruning)
    expect(isDone(plan.verify, done, before)).to.equal(true)
    expect(judge(plan.verify, done)).to.deep.include({status: 'ok'})
    done.status!.operationState!.phase = 'Failed'
    expect(judge(plan.verify, done).status).to.equal('failed')
  })
})
