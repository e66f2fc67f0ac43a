import {expect} from 'chai'
import {buildUnstickPlan, excludeSelfOps, UNSTICK_DEFAULTS, type UnstickOptions} from '../../../src/lib/recipes/unstick.js'
import {healthyApp, hookStuckApp, NOW, selfWaitApp} from '../../fixtures/apps.js'

const opts = (extra: Partial<UnstickOptions> = {}): UnstickOptions => ({
  now: NOW, minAgeSeconds: UNSTICK_DEFAULTS.minAgeSeconds, controllerFreshSeconds: UNSTICK_DEFAULTS.controllerFreshSeconds,
  force: false, skipTerminate: false, ...extra,
})
const refresh = {op: 'add', path: '/metadata/annotations', value: {'argocd.argoproj.io/refresh': 'hard', 'argocd.argoproj.io/refresh-timestamp': NOW.toISOString()}}

describe('buildUnstickPlan', () => {
  it('clears operationState of the seed-000 self-wait app (no operation set) in one guarded patch with a hard refresh', () => {
    const plan = buildUnstickPlan(selfWaitApp(), opts())
    expect(plan.kind).to.equal('plan')
    if (plan.kind !== 'plan') return
    expect(plan.action).to.equal('clear-operation')
    expect(plan.patch).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '48213377'},
      {op: 'test', path: '/status/operationState/phase', value: 'Running'},
      {op: 'remove', path: '/status/operationState'},
      refresh,
    ])
    expect(plan.warnings.join(' ')).to.match(/waiting for its own health.*--exclude-self/)
    expect(plan.notes.join(' ')).to.match(/Move the root Application's manifest out of the directory it watches/)
    expect(plan.verify.kind).to.equal('refresh')
  })

  it('removes both operation and operationState when the controller is not alive', () => {
    const app = hookStuckApp()
    app.status!.reconciledAt = '2026-01-01T20:00:00Z' // 4h ago
    const plan = buildUnstickPlan(app, opts())
    if (plan.kind !== 'plan') throw new Error(plan.reason)
    expect(plan.action).to.equal('clear-operation')
    expect(plan.patch.slice(0, 4)).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '901'},
      {op: 'remove', path: '/operation'},
      {op: 'test', path: '/status/operationState/phase', value: 'Running'},
      {op: 'remove', path: '/status/operationState'},
    ])
    expect(plan.why).to.match(/has not reconciled payments for 4h/)
  })

  it('terminates first when an operation is set and the controller reconciled recently', () => {
    const plan = buildUnstickPlan(hookStuckApp(), opts())
    if (plan.kind !== 'plan') throw new Error(plan.reason)
    expect(plan.action).to.equal('terminate')
    expect(plan.patch).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '901'},
      {op: 'test', path: '/status/operationState/phase', value: 'Running'},
      {op: 'replace', path: '/status/operationState/phase', value: 'Terminating'},
    ])
    expect(plan.verify.kind).to.equal('terminate')
  })

  it('clears instead of terminating when asked to skip terminate (or after a terminate timed out)', () => {
    const plan = buildUnstickPlan(hookStuckApp(), opts({skipTerminate: true}))
    expect(plan.kind === 'plan' && plan.action).to.equal('clear-operation')
  })

  it('clears a leftover operation next to a completed phase (blocks every sync)', () => {
    const app = healthyApp()
    app.operation = {sync: {revision: 'abc'}}
    const plan = buildUnstickPlan(app, opts())
    if (plan.kind !== 'plan') throw new Error(plan.reason)
    expect(plan.patch.map((op) => `${op.op} ${op.path}`)).to.include.members(['remove /operation', 'remove /status/operationState'])
  })

  it('does nothing on a healthy app', () => {
    const outcome = buildUnstickPlan(healthyApp(), opts())
    expect(outcome.kind).to.equal('nothing')
  })

  it('refuses a young operation without --force', () => {
    const app = selfWaitApp()
    app.status!.operationState!.startedAt = '2026-01-02T00:11:00Z'
    expect(buildUnstickPlan(app, opts()).kind).to.equal('refused')
    expect(buildUnstickPlan(app, opts({force: true})).kind).to.equal('plan')
  })

  it('refuses when a sync window blocks the operation, and when a prune awaits confirmation', () => {
    const blocked = selfWaitApp()
    blocked.status!.operationState!.message = 'Sync operation blocked by sync window'
    const r1 = buildUnstickPlan(blocked, opts())
    expect(r1.kind).to.equal('refused')
    const prune = selfWaitApp()
    prune.status!.operationState!.message = 'waiting for pruning confirmation of /ConfigMap/legacy-config'
    const r2 = buildUnstickPlan(prune, opts())
    expect(r2.kind).to.equal('refused')
    expect(r2.kind === 'refused' && r2.hint).to.match(/approve-prune wealist-apps-prod -n argocd/)
    // Argo CD v3.2's wording (seen on the real controller): capitalised, with an apiVersion.
    prune.status!.operationState!.message = 'Waiting for pruning confirmation of v1/ConfigMap/legacy-config'
    expect(buildUnstickPlan(prune, opts()).kind).to.equal('refused')
  })

  it('turns off automated prune with --exclude-self, or the app would prune itself (seen on a real controller)', () => {
    const plan = buildUnstickPlan(selfWaitApp(), opts({excludeSelf: 'root-app.yaml'}))
    if (plan.kind !== 'plan') throw new Error(plan.reason)
    expect(plan.patch).to.deep.include.members([
      {op: 'test', path: '/spec/syncPolicy/automated/prune', value: true},
      {op: 'replace', path: '/spec/syncPolicy/automated/prune', value: false},
    ])
    expect(plan.warnings.join(' ')).to.match(/would delete wealist-apps-prod itself/)
    const noPrune = selfWaitApp()
    noPrune.spec.syncPolicy = {automated: {selfHeal: true}}
    const plain = buildUnstickPlan(noPrune, opts({excludeSelf: 'root-app.yaml'}))
    expect(plain.kind === 'plan' && plain.patch.some((op) => op.path.includes('prune'))).to.equal(false)
  })

  it('adds directory.exclude for --exclude-self', () => {
    const plan = buildUnstickPlan(selfWaitApp(), opts({excludeSelf: 'root-app.yaml'}))
    if (plan.kind !== 'plan') throw new Error(plan.reason)
    expect(plan.patch).to.deep.include({op: 'add', path: '/spec/source/directory', value: {exclude: 'root-app.yaml'}})
    expect(plan.warnings.join(' ')).not.to.match(/--exclude-self/)
  })
})

describe('excludeSelfOps', () => {
  it('merges with an existing exclude glob, guarded', () => {
    const app = selfWaitApp()
    app.spec.source!.directory = {exclude: 'README.md'}
    expect(excludeSelfOps(app, 'root-app.yaml')).to.deep.equal([
      {op: 'test', path: '/spec/source/directory/exclude', value: 'README.md'},
      {op: 'replace', path: '/spec/source/directory/exclude', value: '{README.md,root-app.yaml}'},
    ])
    app.spec.source!.directory = {exclude: '{a.yaml,root-app.yaml}'}
    expect(excludeSelfOps(app, 'root-app.yaml')).to.deep.equal([])
  })

  it('needs --source-index for multi-source apps and rejects Helm sources', () => {
    const app = selfWaitApp()
    app.spec.sources = [{repoURL: 'a', path: 'x'}, {repoURL: 'b', path: 'y'}]
    delete app.spec.source
    expect(() => excludeSelfOps(app, 'root.yaml')).to.throw(/--source-index/)
    expect(excludeSelfOps(app, 'root.yaml', 1)).to.deep.equal([{op: 'add', path: '/spec/sources/1/directory', value: {exclude: 'root.yaml'}}])
    app.spec.sources[0].chart = 'redis'
    expect(() => excludeSelfOps(app, 'root.yaml', 0)).to.throw(/Helm/)
  })
})
