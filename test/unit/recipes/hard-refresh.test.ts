import {expect} from 'chai'
import {buildHardRefreshPlan} from '../../../src/lib/recipes/hard-refresh.js'
import {healthyApp, NOW} from '../../fixtures/apps.js'

describe('buildHardRefreshPlan', () => {
  it('creates metadata.annotations when absent', () => {
    const plan = buildHardRefreshPlan(healthyApp(), NOW)
    expect(plan.patch).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '48213377'},
      {op: 'add', path: '/metadata/annotations', value: {'argocd.argoproj.io/refresh': 'hard', 'argocd.argoproj.io/refresh-timestamp': NOW.toISOString()}},
    ])
  })

  it('adds keys (escaped ~1) to existing annotations and warns about a pending refresh', () => {
    const app = healthyApp()
    app.metadata.annotations = {'argocd.argoproj.io/refresh': 'normal', team: 'x'}
    const plan = buildHardRefreshPlan(app, NOW)
    expect(plan.patch.slice(1)).to.deep.equal([
      {op: 'add', path: '/metadata/annotations/argocd.argoproj.io~1refresh', value: 'hard'},
      {op: 'add', path: '/metadata/annotations/argocd.argoproj.io~1refresh-timestamp', value: NOW.toISOString()},
    ])
    expect(plan.warnings[0]).to.match(/normal refresh was already requested/)
  })
})
