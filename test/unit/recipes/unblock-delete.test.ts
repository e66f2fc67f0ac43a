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

  it('a PreDelete hook that never completes (v3.3+, no error): after the hook threshold removes only the pre-delete finalizers; before it, refuses', () => {
    const app = quietDeletion()
    app.metadata.finalizers = ['pre-delete-finalizer.argocd.argoproj.io', 'pre-delete-finalizer.argocd.argoproj.io/cleanup', 'resources-finalizer.argocd.argoproj.io']
    app.metadata.deletionTimestamp = new Date(NOW.getTime() - 11 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z')
    app.status!.reconciledAt = new Date(NOW.getTime() - 20_000).toISOString().replace(/\.\d+Z$/, 'Z')
    const plan = buildUnblockDeletePlan(app, opts())
    expect(plan.kind).to.equal('plan')
    if (plan.kind !== 'plan') return
    expect(plan.patch.filter((op) => op.op === 'remove').map((op) => op.path)).to.deep.equal(['/metadata/finalizers/1', '/metadata/finalizers/0'])
    expect(plan.why).to.include('PreDelete hooks have not completed')
    app.metadata.deletionTimestamp = new Date(NOW.getTime() - 5 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z')
    expect(buildUnblockDeletePlan(app, opts()).kind).to.equal('refused')
  })

  it('a managed resource held by a finalizer of its own: refuses, names it, and prints the guarded kubectl command to remove that finalizer', () => {
    const app = quietDeletion()
    const live: LiveMeta[] = [{version: 'v1', kind: 'ConfigMap', namespace: 'ops', name: 'settings', state: 'found', deletionTimestamp: '2026-01-01T23:40:13Z', finalizers: ['example.com/backup']}]
    const r = buildUnblockDeletePlan(app, opts({live}))
    expect(r.kind).to.equal('refused')
    if (r.kind === 'plan') return
    expect(r.reason).to.include('held by finalizers of their own: ').and.include('ConfigMap ops/settings [example.com/backup]')
    expect(r.hint).to.include('Only if that controller is gone for good')
    expect(r.hint).to.include(`kubectl patch configmap settings -n ops --type json -p '[{"op":"test","path":"/metadata/finalizers/0","value":"example.com/backup"},{"op":"remove","path":"/metadata/finalizers/0"}]'`)
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

  describe('matches only the DeletionError, on the controller\'s own wording', () => {
    const RBAC = 'deployments.apps "checkout" is forbidden: User "system:serviceaccount:argocd:argocd-application-controller" cannot delete resource "deployments" in API group "apps" in the namespace "shop"'
    const withError = (finalizers: string[], conditions: Array<{type: string; message: string}>) => {
      const app = quietDeletion()
      app.metadata.finalizers = finalizers
      app.status!.conditions = conditions
      return app
    }

    it('a Helm render error naming a "cluster … not found" (ComparisonError) is not a missing destination: refused, nothing removed; --force still can', () => {
      const app = withError(['resources-finalizer.argocd.argoproj.io'], [{type: 'ComparisonError', message: 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Manifest generation error (cached): `helm template` failed: template: shop/templates/ingress.yaml:3:4: executing "shop/templates/ingress.yaml": error calling fail: cluster "staging" not found in values.clusters'}])
      const r = buildUnblockDeletePlan(app, opts())
      expect(r.kind).to.equal('refused')
      expect(r.kind !== 'plan' && r.reason).to.match(/the controller is alive/)
      expect(buildUnblockDeletePlan(app, opts({force: true})).kind).to.equal('plan')
    })

    it('the same text inside a DeletionError is not the controller\'s "cluster not found" either', () => {
      const app = withError(['resources-finalizer.argocd.argoproj.io'], [{type: 'DeletionError', message: 'cluster "staging" not found in values.clusters'}])
      const r = buildUnblockDeletePlan(app, opts())
      expect(r.kind).to.equal('refused')
      expect(r.kind !== 'plan' && r.reason).to.include('The deletion of zookeeper-operator fails')
    })

    for (const message of [
      'rpc error: code = NotFound desc = cluster "https://edge-eu-1.k8s.example.com:6443" not found',
      'error getting cluster by server "https://edge-eu-1.k8s.example.com:6443": rpc error: code = NotFound desc = cluster "https://edge-eu-1.k8s.example.com:6443" not found',
      'error getting cluster by URL: rpc error: code = NotFound desc = cluster "https://edge-eu-1.k8s.example.com:6443" not found',
      'there are no clusters with this name: edge-eu-1',
    ]) {
      it(`the controller's wording for a missing destination: ${message.slice(0, 60)}…`, () => {
        const plan = buildUnblockDeletePlan(withError(['resources-finalizer.argocd.argoproj.io'], [{type: 'DeletionError', message}]), opts())
        expect(plan.kind).to.equal('plan')
        expect(plan.kind === 'plan' && plan.why).to.match(/no longer configured in Argo CD/)
      })
    }

    it('an RBAC DeletionError from the cascading delete on an app with the post-delete finalizer: refused, the PostDelete hooks are not skipped', () => {
      const app = withError(['resources-finalizer.argocd.argoproj.io', 'post-delete-finalizer.argocd.argoproj.io'], [{type: 'DeletionError', message: RBAC}])
      const r = buildUnblockDeletePlan(app, opts())
      expect(r.kind).to.equal('refused')
      expect(r.kind !== 'plan' && r.reason).to.include('is forbidden')
    })

    it('the post-delete stage (cascade done): its unwrapped errors are the PostDelete hooks\' and only the post-delete finalizer goes', () => {
      for (const message of ['namespaces "shop" not found', 'PostDelete hook(s) failed: shop/notify-slack']) {
        const plan = buildUnblockDeletePlan(withError(['post-delete-finalizer.argocd.argoproj.io', 'post-delete-finalizer.argocd.argoproj.io/cleanup'], [{type: 'DeletionError', message}]), opts())
        expect(plan.kind, message).to.equal('plan')
        if (plan.kind !== 'plan') return
        expect(plan.patch.filter((o) => o.op === 'remove')).to.deep.equal([{op: 'remove', path: '/metadata/finalizers/1'}, {op: 'remove', path: '/metadata/finalizers/0'}])
        expect(plan.why).to.match(/PostDelete hooks cannot run/)
      }
    })

    it('a pre-delete stage error removes the pre-delete finalizer only, never the post-delete one', () => {
      const app = withError(['pre-delete-finalizer.argocd.argoproj.io', 'resources-finalizer.argocd.argoproj.io', 'post-delete-finalizer.argocd.argoproj.io'], [{type: 'DeletionError', message: 'error executing pre-delete hooks: PreDelete hook batch/Job/shop/drain is not permitted: namespace shop is not permitted in project default'}])
      const plan = buildUnblockDeletePlan(app, opts())
      expect(plan.kind === 'plan' && plan.patch.filter((o) => o.op === 'remove')).to.deep.equal([{op: 'remove', path: '/metadata/finalizers/0'}])
    })
  })
})
