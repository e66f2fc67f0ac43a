import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {buildPausePlan, buildResumePlan, readPauseMarker, type PauseOptions} from '../../../src/lib/recipes/pause-sync.js'
import {BAD_DEPLOY_NOW, badDeployApp} from '../../fixtures/deploys.js'

const opts = (extra: Partial<PauseOptions> = {}): PauseOptions => ({now: BAD_DEPLOY_NOW, user: 'alice', selfHealOnly: false, ...extra})
const KEY = 'argo-doctor/sync-paused'

/** The app as the server stores it after the plan's patch (ops applied in order, tests checked). */
async function applied(app: Application, outcome: ReturnType<typeof buildPausePlan>): Promise<Application> {
  if (outcome.kind !== 'plan') throw new Error(`expected a plan, got ${outcome.kind}: ${outcome.reason}`)
  const {default: jsonpatch} = await import('fast-json-patch')
  return jsonpatch.applyPatch(structuredClone(app), outcome.patch as never, true, false).newDocument
}

describe('pause-sync / resume-sync', () => {
  it('pause removes spec.syncPolicy.automated and records who, when, why and the setting in the same guarded patch', async () => {
    const app = badDeployApp()
    const plan = buildPausePlan(app, opts({reason: 'hotfix by hand'}))
    if (plan.kind !== 'plan') throw new Error(plan.reason)
    expect(plan.patch.slice(0, 3)).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '7730418'},
      {op: 'test', path: '/spec/syncPolicy/automated', value: {prune: true, selfHeal: true}},
      {op: 'remove', path: '/spec/syncPolicy/automated'},
    ])
    const paused = await applied(app, plan)
    expect(paused.spec.syncPolicy).to.deep.equal({syncOptions: ['CreateNamespace=true']})
    expect(readPauseMarker(paused)).to.deep.include({what: 'automated', automated: {prune: true, selfHeal: true}, by: 'alice', at: '2026-12-07T04:45:00Z', reason: 'hotfix by hand', via: 'pause-sync'})
    expect(plan.warnings[0]).to.match(/Auto-sync stays OFF until you resume it: argo-doctor resume-sync shop-api -n argocd/)
  })

  it('--self-heal-only sets selfHeal false; resume puts back exactly what was there and drops the record', async () => {
    const app = badDeployApp()
    app.metadata.annotations = {team: 'shop'}
    app.spec.syncPolicy!.automated = {prune: true, selfHeal: true, allowEmpty: false}
    const paused = await applied(app, buildPausePlan(app, opts({selfHealOnly: true})))
    expect(paused.spec.syncPolicy!.automated).to.deep.equal({prune: true, selfHeal: false, allowEmpty: false})
    expect(paused.metadata.annotations!.team).to.equal('shop')
    const resumed = await applied(paused, buildResumePlan(paused))
    expect(resumed.spec.syncPolicy).to.deep.equal(app.spec.syncPolicy)
    expect(resumed.metadata.annotations).to.deep.equal({team: 'shop'})
  })

  it('resume restores a removed automated block, creating spec.syncPolicy when the app has none left', async () => {
    const app = badDeployApp()
    app.spec.syncPolicy = {automated: {selfHeal: true}}
    const paused = await applied(app, buildPausePlan(app, opts()))
    delete paused.spec.syncPolicy
    const resumed = await applied(paused, buildResumePlan(paused))
    expect(resumed.spec.syncPolicy).to.deep.equal({automated: {selfHeal: true}})
  })

  it('resume refuses when the setting changed since the pause, naming how to drop only the record', async () => {
    const app = badDeployApp()
    const paused = await applied(app, buildPausePlan(app, opts()))
    paused.spec.syncPolicy!.automated = {prune: false}
    const r = buildResumePlan(paused)
    expect(r.kind).to.equal('refused')
    if (r.kind === 'plan') return
    expect(r.reason).to.match(/changed since it was paused by alice at 2026-12-07T04:45:00Z: the pause left it absent, now it is \{"prune":false\}/)
    expect(r.hint).to.include(`kubectl annotate applications.argoproj.io shop-api -n argocd ${KEY}-`)
  })

  it('nothing to do: auto-sync already off, self-heal already off, already paused, not paused', async () => {
    const off = badDeployApp()
    delete off.spec.syncPolicy!.automated
    expect(buildPausePlan(off, opts())).to.include({kind: 'nothing'})
    const noHeal = badDeployApp()
    noHeal.spec.syncPolicy!.automated = {prune: true}
    expect(buildPausePlan(noHeal, opts({selfHealOnly: true}))).to.include({kind: 'nothing'})
    const app = badDeployApp()
    const paused = await applied(app, buildPausePlan(app, opts()))
    expect((buildPausePlan(paused, opts()) as {reason: string}).reason).to.match(/already paused by argo-doctor \(alice, 2026-12-07T04:45:00Z\)/)
    expect(buildResumePlan(app)).to.include({kind: 'nothing'})
  })

  it('an annotation that is not a pause record is refused, never guessed', () => {
    const app = badDeployApp()
    app.metadata.annotations = {[KEY]: 'yes'}
    expect(buildResumePlan(app)).to.include({kind: 'refused'})
  })
})
