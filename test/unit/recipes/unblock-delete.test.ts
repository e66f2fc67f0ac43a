import {expect} from 'chai'
import {buildUnblockDeletePlan, UNBLOCK_DEFAULTS, type UnblockDeleteOptions} from '../../../src/lib/recipes/unblock-delete.js'
import type {LiveMeta} from '../../../src/lib/deletion.js'
import type {Application} from '../../../src/lib/app.js'
import {EXAMPLE_NOW, example, issueApp} from '../../fixtures/examples.js'

const NOW = EXAMPLE_NOW
const opts = (extra: Partial<UnblockDeleteOptions> = {}): UnblockDeleteOptions => ({now: NOW, force: false, controllerFreshSeconds: UNBLOCK_DEFAULTS.controllerFreshSeconds, ...extra})
const stuck = (name: string) => example('stuck-deletions.yaml', name)

/** zookeeper-operator with only the cascade finalizer, no error, reconciled 2 min ago: nothing shows it cannot finish. */
function quietDeletion(): Application {
  const app = issueApp('zookeeper-operator')
  app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
  app.status!.conditions = []
  return app
}

describe('buildUnblockDeletePlan', () => {
  it('destination cluster removed (argo-cd #4198/#5817, with the post-delete "/cleanup" finalizer of #19571): removes every Argo CD finalizer, higher indexes first, each guarded by its value', () => {
    const plan = buildUnblockDeletePlan(stuck('edge-eu-guestbook'), opts())
    expect(plan.kind).to.equal('plan')
    if (plan.kind !== 'plan') return
    expect(plan.patch).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '4410021'},
      {op: 'test', path: '/metadata/finalizers/2', value: 'post-delete-finalizer.argocd.argoproj.io/cleanup'},
      {op: 'test', path: '/metadata/finalizers/1', value: 'post-delete-finalizer.argocd.argoproj.io'},
      {op: 'test', path: '/metadata/finalizers/0', value: 'resources-finalizer.argocd.argoproj.io'},
      {op: 'remove', path: '/metadata/finalizers/2'},
      {op: 'remove', path: '/metadata/finalizers/1'},
      {op: 'remove', path: '/metadata/finalizers/0'},
    ])
    expect(plan.why).to.match(/no longer configured in Argo CD \(the cluster Secret is gone\)/)
    const warnings = plan.warnings.join('\n')
    expect(warnings).to.include('leaves 2 managed resources on https://edge-eu-1.k8s.example.com:6443 running and unmanaged')
    expect(warnings).to.include('apps/Deployment guestbook/guestbook-ui').and.include('Service guestbook/guestbook-ui')
    expect(warnings).to.match(/skips the PostDelete hooks/)
    expect(plan.verify.kind).to.equal('deleted')
  })

  it('destination unreachable, cluster Secret still there ("dial tcp … no such host", #4198): removes the cascade finalizer without --force', () => {
    const plan = buildUnblockDeletePlan(stuck('edge-us-payments'), opts())
    expect(plan.kind).to.equal('plan')
    expect(plan.kind === 'plan' && plan.why).to.match(/cannot be reached/)
    expect(plan.kind === 'plan' && plan.patch.filter((o) => o.op === 'remove')).to.deep.equal([{op: 'remove', path: '/metadata/finalizers/0'}])
  })

  it('PreDelete hooks cannot run because the namespace is gone (argocd-diff-preview #414): removes only the pre-delete finalizer', () => {
    const plan = buildUnblockDeletePlan(issueApp('zookeeper-operator'), opts())
    expect(plan.kind).to.equal('plan')
    if (plan.kind !== 'plan') return
    expect(plan.patch.slice(1)).to.deep.equal([
      {op: 'test', path: '/metadata/finalizers/0', value: 'pre-delete-finalizer.argocd.argoproj.io'},
      {op: 'remove', path: '/metadata/finalizers/0'},
    ])
    expect(plan.warnings.join(' ')).to.match(/keeps resources-finalizer\.argocd\.argoproj\.io: the controller carries on/)
  })

  it('never touches an app that is not being deleted', () => {
    const r = buildUnblockDeletePlan(issueApp('legacy-crons'), opts({force: true}))
    expect(r.kind).to.equal('refused')
    expect(r.kind !== 'plan' && r.reason).to.match(/not being deleted/)
  })

  it('refuses without --force when the controller is alive and nothing shows an error (wait, or fix status.conditions); --force removes', () => {
    const r = buildUnblockDeletePlan(quietDeletion(), opts())
    expect(r.kind).to.equal('refused')
    expect(r.kind !== 'plan' && r.reason).to.match(/the controller is alive .* in-cluster API server/)
    expect(r.kind !== 'plan' && r.hint).to.match(/Wait/)
    const forced = buildUnblockDeletePlan(quietDeletion(), opts({force: true}))
    expect(forced.kind).to.equal('plan')
  })

  it('refuses on a DeletionError that the user can fix (RBAC), naming it', () => {
    const app = quietDeletion()
    app.status!.conditions = [{type: 'DeletionError', message: 'clusterroles.rbac.authorization.k8s.io "zookeeper-operator" is forbidden: User "system:serviceaccount:argocd:argocd-application-controller" cannot delete resource "clusterroles"'}]
    // "forbidden" in a hook stage means the hooks cannot run; in the cascade stage it is the user's to fix
    const r = buildUnblockDeletePlan(app, opts())
    expect(r.kind).to.equal('refused')
    expect(r.kind !== 'plan' && r.reason).to.include('is forbidden')
  })

  it('a leaked hook finalizer (argo-cd #29464): refuses to touch the app and prints the guarded kubectl command for the hook', () => {
    const app = quietDeletion()
    const live: LiveMeta[] = [{group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'ops', name: 'maintenance-worker', state: 'found', deletionTimestamp: '2026-01-01T23:40:13Z', finalizers: ['foregroundDeletion', 'argocd.argoproj.io/hook-finalizer']}]
    const r = buildUnblockDeletePlan(app, opts({live}))
    expect(r.kind).to.equal('refused')
    if (r.kind === 'plan') return
    expect(r.reason).to.include('apps/Deployment ops/maintenance-worker').and.include('#29464')
    expect(r.hint).to.include(`kubectl patch deployment.apps maintenance-worker -n ops --type json -p '[{"op":"test","path":"/metadata/finalizers/1","value":"argocd.argoproj.io/hook-finalizer"},{"op":"remove","path":"/metadata/finalizers/1"}]'`)
  })

  it('a child Application of an App-of-Apps that is itself stuck: points at the child first', () => {
    const app = quietDeletion()
    const live: LiveMeta[] = [{group: 'argoproj.io', kind: 'Application', namespace: 'argocd', name: 'child-a', state: 'found', deletionTimestamp: '2026-01-01T23:40:13Z', finalizers: ['resources-finalizer.argocd.argoproj.io']}]
    const r = buildUnblockDeletePlan(app, opts({live}))
    expect(r.kind).to.equal('refused')
    expect(r.kind !== 'plan' && r.hint).to.include('unblock-delete child-a -n argocd')
  })

  it('a requested operation is processed first: unstick, not unblock', () => {
    const app = stuck('edge-us-payments')
    app.operation = {sync: {revision: 'main'}}
    const r = buildUnblockDeletePlan(app, opts())
    expect(r.kind).to.equal('refused')
    expect(r.kind !== 'plan' && r.hint).to.include('unstick edge-us-payments')
  })

  it('Delete=confirm resources waiting: approve-prune, not unblock', () => {
    const app = quietDeletion()
    app.status!.resources![0].requiresDeletionConfirmation = true
    const r = buildUnblockDeletePlan(app, opts())
    expect(r.kind !== 'plan' && r.hint).to.include('approve-prune zookeeper-operator')
  })

  it('only foreign finalizers left: nothing of Argo CD\'s to remove', () => {
    const app = quietDeletion()
    app.metadata.finalizers = ['example.com/protect']
    const r = buildUnblockDeletePlan(app, opts({force: true}))
    expect(r.kind).to.equal('nothing')
    expect(r.kind !== 'plan' && r.reason).to.include('example.com/protect')
  })

  it('keeps foreign finalizers and says so; their index does not shift (higher removed first)', () => {
    const app = stuck('edge-us-payments')
    app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io', 'example.com/protect']
    const plan = buildUnblockDeletePlan(app, opts())
    expect(plan.kind === 'plan' && plan.patch.filter((o) => o.op === 'remove')).to.deep.equal([{op: 'remove', path: '/metadata/finalizers/0'}])
    expect(plan.kind === 'plan' && plan.warnings.join(' ')).to.include("example.com/protect, which is not Argo CD's")
  })

  it('a controller that has not reconciled for an hour: refuses without --force (start it)', () => {
    const app = quietDeletion()
    app.status!.reconciledAt = '2026-01-01T23:00:00Z'
    const r = buildUnblockDeletePlan(app, opts())
    expect(r.kind !== 'plan' && r.hint).to.match(/Start the controller/)
  })
})
