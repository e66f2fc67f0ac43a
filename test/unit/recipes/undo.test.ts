import {expect} from 'chai'
import type {Application} from '../../../src/lib/app.js'
import {touchedPaths, type ChangeRecord, type TouchedPath} from '../../../src/lib/backup.js'
import {buildUndoPlan} from '../../../src/lib/recipes/undo.js'
import {selfWaitApp} from '../../fixtures/apps.js'

const A = {group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas']}
const B = {group: 'apiregistration.k8s.io', kind: 'APIService', jsonPointers: ['/status']}

function record(touched: TouchedPath[], extra: Partial<ChangeRecord> = {}): ChangeRecord {
  return {
    kind: 'ArgoDoctorChangeRecord', version: 1, state: 'applied', app: {namespace: 'argocd', name: 'wealist-apps-prod'},
    recipe: 'ignore-status', action: 'add-ignore-differences', summary: 'wealist-apps-prod: ignore things.', time: '2026-01-02T00:12:00.000Z',
    user: 'alice', object: 'x.json', patch: [], resourceVersion: {before: '10', after: '11'}, touched, ...extra,
  }
}

const build = (app: Application, r: ChangeRecord) => buildUndoPlan(app, {record: r, backupFile: '/b/x.change.json', id: 'x.change.json'})

describe('undo recipe', () => {
  it('after ignore-status: restores the list argo-doctor replaced, guarded by what it wrote and the resourceVersion', () => {
    const app = selfWaitApp()
    app.spec.ignoreDifferences = [A, B]
    app.spec.syncPolicy!.syncOptions = ['CreateNamespace=true', 'RespectIgnoreDifferences=true']
    const outcome = build(app, record([
      {path: '/spec/ignoreDifferences', before: [A], after: [A, B]},
      {path: '/spec/syncPolicy/syncOptions', before: ['CreateNamespace=true'], after: ['CreateNamespace=true', 'RespectIgnoreDifferences=true']},
    ]))
    if (outcome.kind !== 'plan') throw new Error(outcome.reason)
    expect(outcome.patch).to.deep.equal([
      {op: 'test', path: '/metadata/resourceVersion', value: '48213377'},
      {op: 'test', path: '/spec/ignoreDifferences', value: [A, B]},
      {op: 'replace', path: '/spec/ignoreDifferences', value: [A]},
      {op: 'test', path: '/spec/syncPolicy/syncOptions', value: ['CreateNamespace=true', 'RespectIgnoreDifferences=true']},
      {op: 'replace', path: '/spec/syncPolicy/syncOptions', value: ['CreateNamespace=true']},
    ])
    expect(outcome.summary).to.include('restore spec.ignoreDifferences, spec.syncPolicy.syncOptions')
    expect(outcome.verify.kind).to.equal('reconcile')
  })

  it('after unstick --exclude-self: removes the directory it added, leaves the rewritten status, the operation and the refresh request alone', () => {
    const app = selfWaitApp()
    app.spec.source!.directory = {exclude: 'root-app.yaml'}
    app.status!.operationState = {phase: 'Succeeded', message: 'successfully synced', startedAt: '2026-01-02T00:13:00Z'}
    const outcome = build(app, record([
      {path: '/status/operationState', before: {phase: 'Running'}},
      {path: '/metadata/annotations', after: {'argocd.argoproj.io/refresh': 'hard', 'argocd.argoproj.io/refresh-timestamp': 't'}},
      {path: '/spec/source/directory', after: {exclude: 'root-app.yaml'}},
    ], {recipe: 'unstick'}))
    if (outcome.kind !== 'plan') throw new Error(outcome.reason)
    expect(outcome.patch.slice(1)).to.deep.equal([
      {op: 'test', path: '/spec/source/directory', value: {exclude: 'root-app.yaml'}},
      {op: 'remove', path: '/spec/source/directory'},
    ])
    expect(outcome.notes.join('\n')).to.match(/Left alone: status\.operationState: status is written by the application-controller/)
      .and.match(/Left alone: metadata\.annotations: only a refresh request/)
  })

  it('restores a value argo-doctor removed (add), and the old value it replaced', () => {
    const app = selfWaitApp()
    app.spec.syncPolicy = {automated: {prune: false, selfHeal: true}}
    const outcome = build(app, record([
      {path: '/spec/syncPolicy/automated/prune', before: true, after: false},
      {path: '/metadata/labels', before: {team: 'a'}},
    ]))
    if (outcome.kind !== 'plan') throw new Error(outcome.reason)
    expect(outcome.patch.slice(1)).to.deep.equal([
      {op: 'test', path: '/spec/syncPolicy/automated/prune', value: false},
      {op: 'replace', path: '/spec/syncPolicy/automated/prune', value: true},
      {op: 'add', path: '/metadata/labels', value: {team: 'a'}},
    ])
  })

  it('refuses, naming the paths, when someone changed what argo-doctor wrote', () => {
    const app = selfWaitApp()
    const C = {kind: 'Service', jsonPointers: ['/spec/clusterIP']}
    app.spec.ignoreDifferences = [A, B, C]
    const outcome = build(app, record([{path: '/spec/ignoreDifferences', before: [A], after: [A, B]}]))
    expect(outcome.kind).to.equal('refused')
    if (outcome.kind === 'plan') return
    expect(outcome.reason).to.match(/^Someone changed what ignore-status of 2026-01-02T00:12:00.000Z wrote since; .*nothing was written\. Conflicting: spec\.ignoreDifferences \(argo-doctor wrote 2 item\(s\); now 3, first difference at \[2\]: \{"kind":"Service","jsonPointers":\["\/spec\/clusterIP"\]\}\)\.$/)
    expect(outcome.hint).to.include('/b/x.json')
  })

  it('nothing to do when every path is already back; refused for a change that was never applied', () => {
    const app = selfWaitApp()
    app.spec.ignoreDifferences = [A]
    expect(build(app, record([{path: '/spec/ignoreDifferences', before: [A], after: [A, B]}])).kind).to.equal('nothing')
    const r = build(app, record([], {state: 'not-applied', error: 'guard failed'}))
    expect(r.kind).to.equal('refused')
    expect(r.kind !== 'plan' && r.reason).to.match(/was never applied \(guard failed\)/)
    expect(build(app, record([], {app: {namespace: 'argocd', name: 'other'}})).kind).to.equal('refused')
  })

  it('compares objects regardless of key order', () => {
    const app = selfWaitApp()
    app.spec.source!.directory = {include: 'a', exclude: 'b'} as never
    const outcome = build(app, record([{path: '/spec/source/directory', after: {exclude: 'b', include: 'a'}}]))
    expect(outcome.kind).to.equal('plan')
  })
})

describe('touchedPaths', () => {
  it('an append or an insert into a list stands for the list; replace of an item stays; tests are ignored; ancestors win', () => {
    const before = {spec: {syncPolicy: {syncOptions: ['A']}, list: [1, 2]}, metadata: {}}
    expect(touchedPaths([
      {op: 'test', path: '/metadata/resourceVersion', value: '1'},
      {op: 'add', path: '/spec/syncPolicy/syncOptions/-', value: 'B'},
      {op: 'replace', path: '/spec/list/0', value: 3},
      {op: 'add', path: '/metadata/annotations', value: {}},
      {op: 'add', path: '/metadata/annotations/x', value: 'y'},
    ], before)).to.deep.equal(['/spec/syncPolicy/syncOptions', '/spec/list/0', '/metadata/annotations'])
    expect(touchedPaths([{op: 'add', path: '/spec/list/1', value: 9}], before)).to.deep.equal(['/spec/list'])
  })
})
