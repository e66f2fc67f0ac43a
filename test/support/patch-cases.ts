/**
 * Requests and patches shared by the fake API server's own tests (test/integration) and the
 * differential run against a real kube-apiserver (test/e2e): the same table goes to both.
 */
import {type FakeApiServer, loadFixture} from './fake-apiserver.js'
import {expect} from 'chai'
import type {Endpoint} from './kube-raw-client.js'

export const GROUP = 'argoproj.io'
export const VERSION = 'v1alpha1'
export const APPS = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications'
export const APP_NAME = 'wealist-apps-prod'
export const APP = `${APPS}/${APP_NAME}`
export const JSON_PATCH = 'application/json-patch+json'
export const MERGE_PATCH = 'application/merge-patch+json'

export function stuckApp(name = APP_NAME): any {
  const app = loadFixture('stuck-app.yaml')
  app.metadata.name = name
  return app
}

/** An endpoint for the fake; `null` = no credentials (anonymous). */
export function ep(s: FakeApiServer, token: string | null = 'admin-token'): Endpoint {
  return {server: s.url, token: token ?? undefined, ca: s.caPem}
}

export interface PatchCase {
  name: string
  type: 'json' | 'merge'
  patch: (before: any) => unknown
  /**
   * What a real API server does beyond the patch itself (kubectl --local only
   * applies the patch): `prunes` — paths the server's decoding removes (a
   * null in a non-nullable CRD field, an unknown field, an emptied ObjectMeta
   * map); `rejects` — a status code for a server-side check.
   */
  server?: {prunes?: string[][]; rejects?: number}
  /** needs the real CRD schema (unknown-field pruning) */
  needsSchema?: boolean
}

export const PATCH_CASES: PatchCase[] = [
  {
    name: 'json: guarded unstick (test rv + test phase + remove operation + remove operationState)',
    type: 'json',
    patch: (b) => [
      {op: 'test', path: '/metadata/resourceVersion', value: b.metadata.resourceVersion},
      {op: 'test', path: '/status/operationState/phase', value: 'Running'},
      {op: 'remove', path: '/operation'},
      {op: 'remove', path: '/status/operationState'},
    ],
  },
  {name: 'json: test stale resourceVersion fails', type: 'json', patch: () => [{op: 'test', path: '/metadata/resourceVersion', value: '1'}, {op: 'remove', path: '/operation'}]},
  {
    name: 'json: terminate (test Running, replace phase)',
    type: 'json',
    patch: () => [
      {op: 'test', path: '/status/operationState/phase', value: 'Running'},
      {op: 'replace', path: '/status/operationState/phase', value: 'Terminating'},
    ],
  },
  {name: 'json: test wrong phase fails', type: 'json', patch: () => [{op: 'test', path: '/status/operationState/phase', value: 'Succeeded'}]},
  {name: 'json: test the whole operation object', type: 'json', patch: (b) => [{op: 'test', path: '/operation', value: b.operation}, {op: 'remove', path: '/operation'}]},
  {name: 'json: remove a missing key fails', type: 'json', patch: () => [{op: 'remove', path: '/status/operationState/finishedAt'}]},
  {name: 'json: remove /operation twice fails', type: 'json', patch: () => [{op: 'remove', path: '/operation'}, {op: 'remove', path: '/operation'}]},
  {name: 'json: add under a missing parent fails', type: 'json', patch: () => [{op: 'add', path: '/spec/source/directory/exclude', value: 'apps.yaml'}]},
  {name: 'json: add the parent object', type: 'json', patch: () => [{op: 'add', path: '/spec/source/directory', value: {exclude: 'wealist-apps-prod.yaml'}}]},
  {name: 'json: replace a missing object key adds it (evanphx v4)', type: 'json', patch: () => [{op: 'replace', path: '/status/operationState/finishedAt', value: '2026-01-02T00:00:00Z'}]},
  {name: 'json: test a missing key against null passes (evanphx v4)', type: 'json', patch: () => [{op: 'test', path: '/status/operationState/finishedAt', value: null}]},
  {
    name: 'json: add null is accepted and the server prunes it',
    type: 'json',
    patch: () => [{op: 'add', path: '/status/operationState', value: null}],
    server: {prunes: [['status', 'operationState']]},
  },
  {
    name: 'json: replace with null is accepted and the server prunes it',
    type: 'json',
    patch: () => [{op: 'replace', path: '/operation', value: null}],
    server: {prunes: [['operation']]},
  },
  {
    name: 'json: copy from a missing key adds null (evanphx v4), pruned by the server',
    type: 'json',
    patch: () => [{op: 'copy', from: '/spec/source/chart', path: '/spec/source/helm'}],
    server: {prunes: [['spec', 'source', 'helm']]},
  },
  {name: 'json: add annotation (~1 escaping)', type: 'json', patch: () => [{op: 'add', path: '/metadata/annotations/argocd.argoproj.io~1refresh', value: 'hard'}]},
  {name: 'json: append to a list', type: 'json', patch: () => [{op: 'add', path: '/spec/syncPolicy/syncOptions/-', value: 'RespectIgnoreDifferences=true'}]},
  {name: 'json: negative list index counts from the end (evanphx v4)', type: 'json', patch: () => [{op: 'add', path: '/spec/syncPolicy/syncOptions/-1', value: 'ServerSideApply=true'}]},
  {name: 'json: list index out of range fails', type: 'json', patch: () => [{op: 'add', path: '/spec/syncPolicy/syncOptions/5', value: 'x'}]},
  {name: 'json: remove a list item', type: 'json', patch: () => [{op: 'remove', path: '/spec/syncPolicy/syncOptions/0'}]},
  {name: 'json: move', type: 'json', patch: () => [{op: 'move', from: '/spec/source/path', path: '/spec/source/chart'}]},
  {
    name: 'json: an unknown field is accepted and the server prunes it (with a warning)',
    type: 'json',
    patch: () => [{op: 'move', from: '/spec/syncPolicy/retry', path: '/spec/syncPolicy/retryOld'}],
    server: {prunes: [['spec', 'syncPolicy', 'retryOld']]},
    needsSchema: true,
  },
  {name: 'json: unknown op fails', type: 'json', patch: () => [{op: 'frobnicate', path: '/spec'}]},
  {name: 'json: replace metadata.name (server: 400)', type: 'json', patch: () => [{op: 'replace', path: '/metadata/name', value: 'other'}], server: {rejects: 400}},
  {name: 'json: replace resourceVersion with a stale one (server: 409)', type: 'json', patch: () => [{op: 'replace', path: '/metadata/resourceVersion', value: '1'}], server: {rejects: 409}},
  {name: 'merge: null deletes operation and operationState', type: 'merge', patch: () => ({operation: null, status: {operationState: null}})},
  {name: 'merge: add an annotation', type: 'merge', patch: () => ({metadata: {annotations: {'argocd.argoproj.io/refresh': 'hard'}}})},
  {
    name: 'merge: null deletes the only annotation; the server drops the empty map',
    type: 'merge',
    patch: () => ({metadata: {annotations: {'argocd.argoproj.io/sync-wave': null}}}),
    server: {prunes: [['metadata', 'annotations']]},
  },
  {name: 'merge: replace a scalar', type: 'merge', patch: () => ({status: {operationState: {phase: 'Terminating'}}})},
  {name: 'merge: a list is replaced wholesale', type: 'merge', patch: () => ({spec: {syncPolicy: {syncOptions: ['RespectIgnoreDifferences=true']}}})},
  {name: 'merge: nulls inside a new object are dropped', type: 'merge', patch: () => ({spec: {source: {directory: {exclude: 'x.yaml', include: null}}}})},
  {name: 'merge: null for a missing key is a no-op', type: 'merge', patch: () => ({status: {operationState: {finishedAt: null}}})},
  {name: 'merge: stale resourceVersion (server: 409)', type: 'merge', patch: () => ({metadata: {resourceVersion: '1'}, operation: null}), server: {rejects: 409}},
]

export function deletePath(o: any, path: string[]): void {
  let cur = o
  for (const p of path.slice(0, -1)) cur = cur?.[p]
  expect(cur, `kubectl's result has ${path.join('.')}`).to.have.property(path[path.length - 1])
  delete cur[path[path.length - 1]]
}
