import {expect} from 'chai'
import {changeKey, kubectlCommand, valueAt} from '../../src/lib/plan.js'
import {buildUnstickPlan, UNSTICK_DEFAULTS} from '../../src/lib/recipes/unstick.js'
import {NOW, selfWaitApp} from '../fixtures/apps.js'

const plan = (app: ReturnType<typeof selfWaitApp>, now = NOW) => {
  const p = buildUnstickPlan(app, {now, minAgeSeconds: UNSTICK_DEFAULTS.minAgeSeconds, controllerFreshSeconds: UNSTICK_DEFAULTS.controllerFreshSeconds, force: false, skipTerminate: false})
  if (p.kind !== 'plan') throw new Error(p.reason)
  return p
}

describe('changeKey (may an unattended run re-apply after a concurrent write?)', () => {
  it('is the same when only resourceVersion, the refresh timestamp or unrelated fields moved', () => {
    const a = selfWaitApp()
    const b = selfWaitApp()
    b.metadata.resourceVersion = '48213999'
    b.status!.reconciledAt = '2026-01-02T00:11:40Z'
    expect(changeKey(plan(b, new Date('2026-01-02T00:13:00Z')), b)).to.equal(changeKey(plan(a), a))
  })

  it('differs when content the patch overwrites changed (never clobber what nobody previewed)', () => {
    const a = selfWaitApp()
    const b = selfWaitApp()
    b.status!.operationState!.message = 'waiting for completion of hook batch/Job/x'
    expect(changeKey(plan(b), b)).not.to.equal(changeKey(plan(a), a))
  })

  it('valueAt resolves escaped pointers', () => {
    expect(valueAt({metadata: {annotations: {'a/b': 'x'}}}, '/metadata/annotations/a~1b')).to.equal('x')
    expect(valueAt({}, '/missing/path')).to.equal(undefined)
  })
})

describe('kubectlCommand (the equivalent command a plan prints)', () => {
  it('repeats kubectl\'s connection overrides, never the token', () => {
    const p = plan(selfWaitApp())
    const cmd = kubectlCommand(p, {kubeconfig: '/k', context: 'prod', cluster: 'c1', user: 'u1', server: 'https://api:6443', as: 'jane', asGroups: ['sre']})
    expect(cmd).to.match(/^kubectl patch applications\.argoproj\.io wealist-apps-prod -n argocd --kubeconfig \/k --context prod --cluster c1 --user u1 --server https:\/\/api:6443 --as jane --as-group sre --type json -p '/)
    expect(kubectlCommand(p)).to.match(/^kubectl patch applications\.argoproj\.io wealist-apps-prod -n argocd --type json -p '/)
  })
})
