import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {buildRollbackPlan, defaultEntry, historyRows, type RollbackOptions} from '../../../src/lib/recipes/rollback.js'
import {hookStuckApp} from '../../fixtures/apps.js'
import {BAD_DEPLOY_NOW, badDeployApp, multiSourceDeployApp} from '../../fixtures/deploys.js'

const opts = (extra: Partial<RollbackOptions> = {}): RollbackOptions => ({now: BAD_DEPLOY_NOW, user: 'alice', prune: false, syncWindows: [], ...extra})
const outcome = (app: Application, extra: Partial<RollbackOptions> = {}) => buildRollbackPlan(app, opts(extra))
const plan = (app: Application, extra: Partial<RollbackOptions> = {}) => {
  const o = outcome(app, extra)
  if (o.kind !== 'plan') throw new Error(`expected a plan, got ${o.kind}: ${o.reason}`)
  return o
}

const refusal = (app: Application, extra: Partial<RollbackOptions> = {}) => {
  const o = outcome(app, extra)
  if (o.kind !== 'refused') throw new Error(`expected a refusal, got ${o.kind}`)
  return o
}

const SOURCE = {repoURL: 'https://github.com/example/shop-deploy.git', targetRevision: 'main', path: 'apps/shop-api'}

describe('buildRollbackPlan', () => {
  it('by default offers the newest entry before the current one, and writes what Argo CD\'s Rollback writes plus auto-sync off, in one guarded JSON patch', () => {
    const p = plan(badDeployApp(), {reason: 'image 2.4.0-rc1 does not exist'})
    expect(p.patch).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '7730418'},
      {op: 'test', path: '/spec/syncPolicy/automated', value: {prune: true, selfHeal: true}},
      {op: 'remove', path: '/spec/syncPolicy/automated'},
      {op: 'add', path: '/metadata/annotations', value: {'argo-doctor/sync-paused': JSON.stringify({what: 'automated', automated: {prune: true, selfHeal: true}, by: 'alice', at: '2026-12-07T04:45:00Z', reason: 'image 2.4.0-rc1 does not exist', via: 'rollback to history ID 6'})}},
      {op: 'test', path: '/status/operationState/phase', value: 'Succeeded'},
      {op: 'remove', path: '/status/operationState'},
      {op: 'add', path: '/operation', value: {
        initiatedBy: {username: 'alice (via argo-doctor)'},
        info: [{name: 'Reason', value: 'image 2.4.0-rc1 does not exist'}, {name: 'Initiated by', value: 'argo-doctor rollback to history ID 6'}],
        // server/application/application.go Rollback: revision(s) and source(s) of the entry, apply strategy, spec syncOptions, no prune, no retry.
        sync: {revision: 'b7e0d3f9a24c6815e3f72a0c9d4b1e6f8a3c5d27', syncOptions: ['CreateNamespace=true'], syncStrategy: {apply: {}}, source: SOURCE},
      }},
    ])
    expect(p.verify).to.deep.equal({kind: 'operation', description: 'following the rollback sync', health: true})
    expect(p.summary).to.equal('Roll shop-api back to history ID 6 (revision b7e0d3f9a24c6815e3f72a0c9d4b1e6f8a3c5d27, deployed 2026-12-04T15:40:06Z) and turn auto-sync off, as `argocd app rollback` would.')
    expect(p.warnings[0]).to.match(/^Auto-sync stays OFF after the rollback \(spec\.syncPolicy\.automated was \{"prune":true,"selfHeal":true\}\).*argo-doctor undo shop-api -n argocd.*argo-doctor resume-sync shop-api -n argocd.*re-enable it once Git holds a fixed revision/)
  })

  it('--to picks an older entry; --prune is set only when asked', () => {
    const p = plan(badDeployApp(), {to: 5, prune: true})
    const op = p.patch.at(-1) as {value: any}
    expect(op.value.sync).to.include({revision: '8f14c2be9d07a3e5c61b4f28d9a0e7c3b5162d4a', prune: true})
    expect(p.warnings.join(' ')).to.match(/--prune: resources that are not in the manifests of that revision are DELETED/)
    expect((plan(badDeployApp()).patch.at(-1) as {value: any}).value.sync).to.not.have.property('prune')
  })

  it('auto-sync already off (absent, or enabled: false): leaves spec alone and says it stays off', () => {
    const off = badDeployApp()
    off.spec.syncPolicy!.automated = {prune: true, enabled: false}
    const p = plan(off)
    expect(p.patch.map((o) => o.path)).to.not.include('/spec/syncPolicy/automated')
    expect(p.patch.map((o) => o.path)).to.not.include('/metadata/annotations')
    expect(p.notes).to.include('Auto-sync is already off for shop-api; it stays off.')
    expect(p.summary).to.not.match(/auto-sync off/)
  })

  it('multi-source: rolls back every source with the entry\'s revisions and sources', () => {
    const p = plan(multiSourceDeployApp())
    const sync = (p.patch.at(-1) as {value: any}).value.sync
    expect(sync.revisions).to.deep.equal(['2.3.1', 'b7e0d3f9a24c6815e3f72a0c9d4b1e6f8a3c5d27'])
    expect(sync.sources).to.have.length(2)
    expect(sync).to.not.have.property('source')
    expect(sync).to.not.have.property('revision')
  })

  it('refuses a multi-source app whose sources no longer match the entry', () => {
    const app = multiSourceDeployApp()
    app.spec.sources![0] = {...app.spec.sources![0], chart: 'shop-api-v2'}
    const r = refusal(app)
    expect(r.reason).to.match(/The sources of shop-api no longer match history ID 6 \(source 1: chart is "shop-api-v2" now, "shop-api" in the entry\)/)
    expect(r.hint).to.match(/--source-positions/)
    const added = multiSourceDeployApp()
    added.spec.sources!.push({repoURL: 'https://github.com/example/extra.git', path: 'x'})
    expect(refusal(added).reason).to.match(/the app has 3 sources now, the entry 2/)
  })

  it('refuses with the next step: no history, the current revision, an unknown ID, an operation in progress', () => {
    const none = badDeployApp()
    delete none.status!.history
    expect(refusal(none).reason).to.match(/has no deployment history/)
    expect(refusal(none).hint).to.match(/argo-doctor force-presync shop-api -n argocd --revision '<rev>'/)

    const current = refusal(badDeployApp(), {to: 7})
    expect(current.reason).to.match(/History ID 7 is the revision deployed now/)
    expect(current.hint).to.match(/IDs: 5, 6, 7/)

    expect(refusal(badDeployApp(), {to: 42}).reason).to.match(/no deployment with history ID 42/)

    const busy = refusal(hookStuckApp())
    expect(busy.reason).to.match(/Another operation is already in progress/)
    expect(busy.hint).to.match(/argo-doctor unstick payments/)
  })

  it('refuses when every entry is the revision deployed now', () => {
    const app = badDeployApp()
    app.status!.history = (app.status!.history as Array<Record<string, unknown>>).slice(2)
    expect(refusal(app).reason).to.match(/Every entry of shop-api's history \(IDs 7\) is the revision deployed now/)
  })
})

describe('rollback history', () => {
  it('rows: ID, short revision, source, deployedAt, who (auto-sync marked), current', () => {
    expect(historyRows(badDeployApp())).to.deep.equal([
      ['5', '8f14c2b', 'https://github.com/example/shop-deploy.git apps/shop-api', '2026-12-01T10:02:14Z', 'auto-sync', ''],
      ['6', 'b7e0d3f', 'https://github.com/example/shop-deploy.git apps/shop-api', '2026-12-04T15:40:06Z', 'maria@example.com', ''],
      ['7', '4d2e9a1', 'https://github.com/example/shop-deploy.git apps/shop-api', '2026-12-07T04:33:52Z', 'auto-sync', 'current'],
    ])
  })

  it('the default offer skips entries that re-deployed the current revision', () => {
    const app = badDeployApp()
    const history = app.status!.history as Array<Record<string, unknown>>
    history.push({...history[2], id: 8})
    expect(defaultEntry(app)?.id).to.equal(6)
  })
})
