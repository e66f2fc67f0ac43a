import {readFileSync} from 'node:fs'
import {expect} from 'chai'
import {diagnose, explainExitCode, MATCHERS, worstSeverity} from '../../../src/lib/diagnose/index.js'
import {explainFleet, fleetJson, singleJson, explainSingle} from '../../../src/lib/explain.js'
import type {Application} from '../../../src/lib/app.js'
import {EXAMPLE_NOW, examplesIn, issueApp, seedApp} from '../../fixtures/examples.js'
import {healthyApp, NOW} from '../../fixtures/apps.js'
import {validate} from '../../support/json-schema.js'

const schema = JSON.parse(readFileSync(new URL('../../../schemas/explain.schema.json', import.meta.url), 'utf8'))

describe('diagnose', () => {
  it('finds nothing on a healthy app', () => {
    expect(diagnose(seedApp('auth-service-prod'), undefined, EXAMPLE_NOW)).to.deep.equal([])
    expect(diagnose(healthyApp(), undefined, NOW)).to.deep.equal([])
  })

  it('orders findings most important first: severity, then the matcher order', () => {
    const app = seedApp('argocd-config')
    app.status!.reconciledAt = '2026-01-01T20:00:00Z' // stale: the controller-stale warning ranks after the critical one
    const found = diagnose(app, undefined, EXAMPLE_NOW)
    expect(found.map((f) => `${f.severity}:${f.id}`)).to.deep.equal(['critical:argocd-secret-missing', 'warning:controller-stale', 'warning:shared-resource'])
  })

  it('drops findings that a more specific one supersedes', () => {
    const ids = diagnose(seedApp('wealist-apps-prod'), undefined, EXAMPLE_NOW).map((f) => f.id)
    expect(ids).to.deep.equal(['self-wait'])
  })

  it('every finding of every example has a kebab-case id, a fix, and evidence with paths', () => {
    for (const file of ['wealist-prod.yaml', 'argocd-issues.yaml', 'wealist-apps-prod-stuck.yaml']) {
      for (const app of examplesIn(file)) {
        for (const f of diagnose(app, undefined, EXAMPLE_NOW, {style: {bin: 'argo-doctor'}})) {
          expect(f.id, `${app.metadata.name}`).to.match(/^[a-z0-9]+(-[a-z0-9]+)*$/)
          expect(f.fix.command === null || f.fix.command.startsWith(`argo-doctor `)).to.equal(true)
          if (f.fix.command) expect(f.fix.command).to.match(new RegExp(` -n ${app.metadata.namespace}\\b`))
          expect(f.evidence.length, `${app.metadata.name} ${f.id}`).to.be.greaterThan(0)
        }
      }
    }
  })

  it('spells fix commands the way the user invoked us, with their connection flags', () => {
    const [f] = diagnose(issueApp('billing'), undefined, EXAMPLE_NOW, {style: {bin: 'argocd doctor', kubeconfig: '/tmp/my config', context: 'prod'}})
    expect(f.fix.command).to.equal("argocd doctor unstick billing -n argocd --kubeconfig '/tmp/my config' --context prod")
  })

  it('does not throw on odd shapes; a failing matcher becomes an info finding', () => {
    const odd = {apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {name: 'odd', namespace: 'argocd'}, spec: {}, status: {resources: 'nope', conditions: null, operationState: {phase: 'Running'}}} as unknown as Application
    expect(() => diagnose(odd, undefined, EXAMPLE_NOW)).not.to.throw()
    const bare = {apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {name: 'bare'}, spec: {}} as Application
    expect(diagnose(bare, undefined, EXAMPLE_NOW)).to.deep.equal([])
  })

  it('has one matcher per id (ids are unique)', () => {
    const ids = MATCHERS.map((m) => m.id)
    expect(new Set(ids).size).to.equal(ids.length)
  })

  it('exit code: 0 when healthy or info only, 20 with a warning or worse', () => {
    expect(explainExitCode([[]])).to.equal(0)
    expect(explainExitCode([diagnose(seedApp('db-init-prod'), undefined, EXAMPLE_NOW)])).to.equal(0)
    expect(worstSeverity(diagnose(seedApp('db-init-prod'), undefined, EXAMPLE_NOW))).to.equal('info')
    expect(explainExitCode([[], diagnose(seedApp('metrics-server'), undefined, EXAMPLE_NOW)])).to.equal(20)
  })

  it('JSON documents match schemas/explain.schema.json', async () => {
    const style = {bin: 'argo-doctor'}
    const single = singleJson(await explainSingle(seedApp('wealist-apps-prod'), EXAMPLE_NOW, style, {notes: ['offline']}))
    expect(validate(schema, single)).to.deep.equal([])
    const fleet = fleetJson(await explainFleet([...examplesIn('argocd-issues.yaml'), ...examplesIn('wealist-prod.yaml')], EXAMPLE_NOW, style))
    expect(validate(schema, fleet)).to.deep.equal([])
    expect(fleet.summary.apps).to.equal(17)
    expect(validate(schema, {findings: []})).not.to.deep.equal([])
  })

  it('a cluster fleet (byKey) comes out in etcd key order (namespace/name, bytewise), whatever order the apps arrived in; a file keeps its order', async () => {
    const at = (namespace: string, name: string): Application => ({...healthyApp(), metadata: {...healthyApp().metadata, namespace, name}})
    const arrived = [at('a', 'x'), at('a.b', 'x'), at('a-b', 'y'), at('a-b', 'x'), at('a', 'w'), at('b', 'a')]
    const order = (r: {entries: Array<{namespace: string; name: string}>}) => r.entries.map((e) => `${e.namespace}/${e.name}`)
    // '-' (0x2d) < '.' (0x2e) < '/' (0x2f): the namespace "a" sorts after "a-b" and "a.b", as /registry/…/a/x does in etcd
    expect(order(await explainFleet(arrived, NOW, {bin: 'argo-doctor'}, [], {byKey: true}))).to.deep.equal(['a-b/x', 'a-b/y', 'a.b/x', 'a/w', 'a/x', 'b/a'])
    expect(order(await explainFleet(arrived, NOW, {bin: 'argo-doctor'}))).to.deep.equal(['a/x', 'a.b/x', 'a-b/y', 'a-b/x', 'a/w', 'b/a'])
  })

  it('notes a probably-down controller when most apps of a fleet are stale', async () => {
    const apps = examplesIn('wealist-prod.yaml').map((a) => structuredClone(a))
    for (const a of apps) a.status!.reconciledAt = '2026-01-01T18:00:00Z'
    const report = await explainFleet(apps, EXAMPLE_NOW, {bin: 'argo-doctor'})
    expect(report.notes.join(' ')).to.match(/8 of 8 applications have not been reconciled recently: the application-controller itself is probably down/)
  })
})
