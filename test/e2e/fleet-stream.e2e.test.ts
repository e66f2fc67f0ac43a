import {expect} from 'chai'
import {jsonOut} from '../support/cli.js'
import {makeFleet} from '../support/fleet.js'
import {doctor, KUBECONFIG, kubectl, requireCluster} from './support.js'

/**
 * The fleet LIST on a real kube-apiserver: one unpaginated request, answered from the watch cache
 * (gzip-compressed and streamed, as it is over 128 KB), read item by item, gives the same apps in
 * the same order as paging through etcd; RBAC refusals keep their exit code.
 */
const FLEET_NS = 'e2e-fleet-stream'
const COUNT = 60

describe('e2e: explain on a fleet streams one unpaginated LIST (real kube-apiserver)', function () {
  this.timeout(120_000)

  before(async () => {
    requireCluster()
    await kubectl(['create', 'namespace', FLEET_NS, '--dry-run=client', '-o', 'json']).then((ns) => kubectl(['apply', '-f', '-'], ns))
    await kubectl(['delete', 'applications.argoproj.io', '--all', '-n', FLEET_NS, '--wait=false'])
    // No finalizers: nothing here would honour them, and the apps are deleted after the test.
    const items = makeFleet({count: COUNT, now: new Date()}).map((a) => {
      const {uid: _uid, creationTimestamp: _created, generation: _generation, finalizers: _finalizers, ...metadata} = a.metadata as unknown as Record<string, unknown>
      return {...a, metadata: {...metadata, namespace: FLEET_NS}}
    })
    await kubectl(['create', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'List', items}))
  })

  after(async () => {
    await kubectl(['delete', 'applications.argoproj.io', '--all', '-n', FLEET_NS, '--wait=false'])
  })

  it('streamApps gives what paging gives: the same objects, in the same (namespace/name) order, with no fallback', async () => {
    const {connect} = await import('../../src/lib/cluster/kube.js')
    const cluster = connect({kubeconfig: KUBECONFIG, requestTimeout: 30})
    const fallbacks: string[] = []
    const streamed: string[] = []
    for await (const app of cluster.streamApps({namespace: FLEET_NS, onFallback: (why) => fallbacks.push(why)})) streamed.push(`${app.metadata.name}@${app.metadata.resourceVersion}`)
    const paged: string[] = []
    for await (const page of cluster.listAllApps({namespace: FLEET_NS, pageSize: 7})) paged.push(...page.map((app) => `${app.metadata.name}@${app.metadata.resourceVersion}`))
    expect(fallbacks).to.deep.equal([])
    expect(streamed).to.have.length(COUNT)
    expect(streamed).to.deep.equal(paged)

    // All namespaces, with a label selector the server applies.
    const selected: string[] = []
    for await (const app of cluster.streamApps({labelSelector: 'team=team-03', onFallback: (why) => fallbacks.push(why)})) selected.push(`${app.metadata.namespace}/${app.metadata.name}`)
    expect(fallbacks).to.deep.equal([])
    expect(selected.filter((k) => k.startsWith(`${FLEET_NS}/`))).to.deep.equal(['team-03-svc-0003', 'team-03-svc-0043'].map((n) => `${FLEET_NS}/${n}`))
  })

  it('explain --all -n NS --json through kubectl plugin dispatch: every app, as kubectl lists them', async () => {
    const r = await doctor(['explain', '--all', '-n', FLEET_NS, '--json'])
    expect(r.exitCode, r.stderr).to.be.oneOf([0, 20])
    const out = await jsonOut(r.stdout)
    const names = (await kubectl(['get', 'applications.argoproj.io', '-n', FLEET_NS, '-o', 'name'])).split('\n').map((l) => l.replace(/^.*\//, ''))
    expect(out.summary.apps).to.equal(COUNT)
    expect(out.apps.map((a: {name: string}) => a.name)).to.deep.equal(names)
  })

  it('a user RBAC does not let list there: exit 5 with the server\'s reason, as before', async () => {
    const r = await doctor(['explain', '--all', '-n', FLEET_NS, '--context', 'restricted', '--json'])
    expect(r.exitCode).to.equal(5)
    const out = await jsonOut(r.stdout)
    expect(out.error.message).to.equal(`Forbidden: you may not list applications.argoproj.io in namespace "${FLEET_NS}" (context "restricted").`)
    expect(out.error.hint).to.match(/User "restricted" cannot list resource "applications" in API group "argoproj\.io" in the namespace/)
  })
})
