import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {buildRetrySyncPlan, type RetryOptions} from '../../../src/lib/recipes/retry-sync.js'
import {BAD_DEPLOY_NOW, jobImmutableApp} from '../../fixtures/deploys.js'

const opts = (extra: Partial<RetryOptions> = {}): RetryOptions => ({now: BAD_DEPLOY_NOW, user: 'alice', syncWindows: [], allResources: false, replace: false, force: false, serverSide: false, skipDryRun: false, prune: false, ...extra})
const plan = (app: Application, extra: Partial<RetryOptions> = {}) => {
  const o = buildRetrySyncPlan(app, opts(extra))
  if (o.kind !== 'plan') throw new Error(`expected a plan, got ${o.kind}: ${o.reason}`)
  return o
}

const sync = (p: ReturnType<typeof plan>) => (p.patch.at(-1) as {value: any}).value.sync

describe('buildRetrySyncPlan', () => {
  it('immutable Job: only the failed resource, Replace=true chosen from the message, next to the app\'s own options; names the resource and why', () => {
    const p = plan(jobImmutableApp())
    expect(p.patch.slice(0, 3)).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '7730418'},
      {op: 'test', path: '/status/operationState/phase', value: 'Failed'},
      {op: 'remove', path: '/status/operationState'},
    ])
    expect(sync(p)).to.deep.equal({
      syncOptions: ['CreateNamespace=true', 'Replace=true'],
      syncStrategy: {hook: {force: true}},
      resources: [{group: 'batch', kind: 'Job', name: 'db-migrate', namespace: 'shop'}],
    })
    expect(p.summary).to.equal('Retry the failed sync of shop-jobs for the 1 failed resource with Replace=true and force.')
    expect(p.warnings.join(' ')).to.match(/DELETED and re-created/)
    expect(p.notes[0]).to.match(/^Retried: batch\/Job shop\/db-migrate — an immutable field changed \("field is immutable"\): neither apply nor replace may change it, so the object is deleted and re-created \(Replace=true with force\)\. Message: "Job\.batch/)
    expect(p.notes.join('\n')).to.match(/chosen from the failure messages: Replace=true and force/)
    expect(p.notes.join('\n')).to.match(/never in spec\.syncPolicy/)
    expect(p.patch.some((o) => o.path.startsWith('/spec'))).to.equal(false)
  })

  it('explicit flags override: --replace alone (no force); --force means Replace=true plus the force strategy; --server-side; --all-resources drops the selection', () => {
    expect(sync(plan(jobImmutableApp(), {replace: true})).syncStrategy).to.deep.equal({hook: {}})
    const forced = plan(jobImmutableApp(), {force: true})
    expect(sync(forced)).to.deep.include({syncOptions: ['CreateNamespace=true', 'Replace=true'], syncStrategy: {hook: {force: true}}})
    expect(forced.warnings.join(' ')).to.match(/DELETED and re-created/)
    const ssa = plan(jobImmutableApp(), {serverSide: true, allResources: true})
    expect(sync(ssa)).to.deep.equal({syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'], syncStrategy: {hook: {}}})
  })

  it('"metadata.annotations: Too long" → ServerSideApply=true; a kind whose CRD arrives in the same sync → SkipDryRunOnMissingResource=true and every resource', () => {
    const tooLong = jobImmutableApp()
    const r = tooLong.status!.operationState!.syncResult!.resources![1]
    r.kind = 'CustomResourceDefinition'; r.group = 'apiextensions.k8s.io'; r.name = 'prometheuses.monitoring.coreos.com'; delete r.namespace
    r.message = 'CustomResourceDefinition.apiextensions.k8s.io "prometheuses.monitoring.coreos.com" is invalid: metadata.annotations: Too long: must have at most 262144 bytes'
    expect(sync(plan(tooLong)).syncOptions).to.deep.equal(['CreateNamespace=true', 'ServerSideApply=true'])

    const crd = jobImmutableApp()
    const c = crd.status!.operationState!.syncResult!.resources![1]
    c.kind = 'ServiceMonitor'; c.group = 'monitoring.coreos.com'; c.message = 'the server could not find the requested resource'
    const p = plan(crd)
    expect(sync(p)).to.not.have.property('resources')
    expect(sync(p).syncOptions).to.include('SkipDryRunOnMissingResource=true')
    expect(p.notes.join(' ')).to.match(/needs the CRD applied in the same sync/)
  })

  it('a selective sync of an app with hooks says hooks do not run and offers --all-resources', () => {
    const app = jobImmutableApp()
    app.status!.resources!.push({group: 'batch', kind: 'Job', namespace: 'shop', name: 'migrate-pre', hook: true})
    expect(plan(app).warnings.join(' ')).to.match(/A selective sync does not run hooks.*argo-doctor retry-sync shop-jobs -n argocd --all-resources/)
    expect(plan(app, {allResources: true}).warnings.join(' ')).to.not.match(/selective/)
  })

  it('--prune only when asked; nothing to retry when the last sync did not fail', () => {
    expect(sync(plan(jobImmutableApp()))).to.not.have.property('prune')
    expect(sync(plan(jobImmutableApp(), {prune: true}))).to.include({prune: true})
    const ok = jobImmutableApp()
    ok.status!.operationState!.phase = 'Succeeded'
    expect(buildRetrySyncPlan(ok, opts())).to.include({kind: 'nothing'})
  })
})
