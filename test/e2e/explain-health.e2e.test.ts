import {appendFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {createApp, doctor, kubectl, minutesAgo, NS, requireCluster} from './support.js'
import {jsonOut} from '../support/cli.js'

/**
 * Health from live evidence on a real kube-apiserver: an unhealthy resource named by the app is
 * read with its Pods and the Warning Events of the last hour, through real RBAC, discovery and
 * plugin dispatch. There is no kubelet or scheduler here: the Pods' and workloads' status is
 * written with status-subresource patches, exactly as kubelet and the controllers write it.
 * The human output of each diagnosis is appended to $ARGO_DOCTOR_E2E_DIR.health.txt.
 */
const OUT = `${process.env.ARGO_DOCTOR_E2E_DIR ?? join(tmpdir(), 'argo-doctor-e2e')}.health.txt`
const apply = (obj: unknown) => kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], JSON.stringify(obj))
const status = (resource: string, name: string, ns: string, body: unknown) => kubectl(['patch', resource, name, '-n', ns, '--subresource=status', '--type', 'merge', '-p', JSON.stringify(body)])

async function namespace(ns: string): Promise<void> {
  await apply({apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}})
}

async function deployment(ns: string, name: string, image: string, deploymentStatus: Record<string, unknown>): Promise<void> {
  await apply({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name, namespace: ns},
    spec: {replicas: 1, progressDeadlineSeconds: 600, selector: {matchLabels: {app: name}}, template: {metadata: {labels: {app: name}}, spec: {containers: [{name, image}]}}},
  })
  await status('deployment', name, ns, {status: deploymentStatus})
}

async function pod(ns: string, name: string, labels: Record<string, string>, image: string, container: string, podStatus: Record<string, unknown>): Promise<void> {
  await apply({apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: ns, labels}, spec: {containers: [{name: container, image}]}})
  await status('pod', name, ns, {status: podStatus})
}

async function warning(ns: string, name: string, involved: {kind: string; name: string}, reason: string, message: string, count = 1): Promise<void> {
  const at = minutesAgo(2)
  await kubectl(['delete', 'event', name, '-n', ns, '--ignore-not-found'])
  await kubectl(['create', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Event', metadata: {name, namespace: ns}, involvedObject: {apiVersion: 'v1', ...involved, namespace: ns},
    type: 'Warning', reason, message, count, firstTimestamp: minutesAgo(20), lastTimestamp: at, source: {component: 'kubelet'},
  }))
}

function app(ns: string, resources: unknown[], extra: Record<string, unknown> = {}) {
  return {
    spec: {destination: {server: 'https://kubernetes.default.svc', namespace: ns}},
    status: {
      reconciledAt: minutesAgo(1),
      sync: {status: 'Synced', revision: '9e1f2a7c4b'},
      health: {status: 'Degraded'},
      operationState: {phase: 'Succeeded', message: 'successfully synced (all tasks run)', startedAt: minutesAgo(31), finishedAt: minutesAgo(30), operation: {sync: {revision: '9e1f2a7c4b'}}},
      history: [{id: 11, revision: '3b8d0c51aa', deployedAt: minutesAgo(1500)}, {id: 12, revision: '9e1f2a7c4b', deployedAt: minutesAgo(30)}],
      resources,
      ...extra,
    },
  }
}

async function explain(name: string, title: string): Promise<any> {
  const human = await doctor(['explain', name, '-n', NS])
  appendFileSync(OUT, `\n### ${title}\n$ kubectl argo-doctor explain ${name} -n ${NS}\n${human.stdout}\n(exit ${human.exitCode})\n`)
  expect(human.exitCode, human.stderr).to.equal(20)
  const r = await doctor(['explain', name, '-n', NS, '--json'])
  expect(r.stderr).to.equal('')
  return jsonOut(r.stdout)
}

describe('e2e: explain says why a resource is unhealthy, from its Pods and Events (real kube-apiserver)', () => {
  before(requireCluster)

  it('Deployment past its progress deadline: the container that cannot pull its image, and roll back', async () => {
    const ns = 'shop-e2e'
    const image = 'registry.example.com/shop/web:1.4.3'
    await namespace(ns)
    await deployment(ns, 'web', image, {
      observedGeneration: 1, replicas: 1, updatedReplicas: 1, unavailableReplicas: 1,
      conditions: [
        {type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: minutesAgo(20), lastTransitionTime: minutesAgo(20)},
        {type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-7c9f8d6b5" has timed out progressing.', lastUpdateTime: minutesAgo(10), lastTransitionTime: minutesAgo(10)},
      ],
    })
    await pod(ns, 'web-7c9f8d6b5-x2k4q', {app: 'web'}, image, 'web', {
      phase: 'Pending',
      conditions: [{type: 'PodScheduled', status: 'True', lastTransitionTime: minutesAgo(20)}],
      containerStatuses: [{name: 'web', image, imageID: '', ready: false, restartCount: 0, started: false, state: {waiting: {reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"`}}}],
    })
    await warning(ns, 'web-7c9f8d6b5-x2k4q.1822c6a1f0e3b7d2', {kind: 'Pod', name: 'web-7c9f8d6b5-x2k4q'}, 'Failed',
      `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`, 14)
    await createApp('shop-web', app(ns, [{group: 'apps', version: 'v1', kind: 'Deployment', namespace: ns, name: 'web', status: 'Synced', health: {status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline'}}]))

    const j = await explain('shop-web', 'Degraded Deployment: image pull')
    const f = j.findings.find((x: any) => x.id === 'resource-degraded')
    expect(f, JSON.stringify(j.findings)).to.not.equal(undefined)
    expect(f.severity).to.equal('warning')
    expect(f.title).to.equal(`Deployment.apps ${ns}/web is Degraded: container "web" of pod web-7c9f8d6b5-x2k4q cannot pull image "${image}" (ImagePullBackOff): Back-off pulling image "${image}"`)
    const paths = f.evidence.map((e: any) => e.path)
    expect(paths).to.include.members([`Deployment ${ns}/web status.conditions[Progressing]`, `Pod ${ns}/web-7c9f8d6b5-x2k4q web state.waiting.reason`, 'Event Pod/web-7c9f8d6b5-x2k4q Failed', 'status.resources[0].health.status'])
    expect(f.evidence.find((e: any) => e.path === `Deployment ${ns}/web status.conditions[Progressing]`).note).to.equal('ReplicaSet "web-7c9f8d6b5" has timed out progressing.')
    expect(f.fix.steps.join('\n')).to.include('argo-doctor rollback shop-web -n argocd').and.include('revision 9e1f2a7c4b')
  })

  it('a container killed for memory (OOMKilled, CrashLoopBackOff): raise its limit in Git', async () => {
    const ns = 'api-e2e'
    const image = 'registry.example.com/api:2.0.1'
    await namespace(ns)
    await deployment(ns, 'api', image, {
      observedGeneration: 1, replicas: 1, updatedReplicas: 1, unavailableReplicas: 1,
      conditions: [{type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: minutesAgo(15), lastTransitionTime: minutesAgo(15)}],
    })
    await pod(ns, 'api-5b7d9c8f4-q8z2n', {app: 'api'}, image, 'api', {
      phase: 'Running',
      conditions: [{type: 'PodScheduled', status: 'True', lastTransitionTime: minutesAgo(15)}],
      containerStatuses: [{
        name: 'api', image, imageID: '', ready: false, restartCount: 6, started: false,
        state: {waiting: {reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=api pod=api-5b7d9c8f4-q8z2n_api-e2e(0c1e…)'}},
        lastState: {terminated: {reason: 'OOMKilled', exitCode: 137, startedAt: minutesAgo(4), finishedAt: minutesAgo(3)}},
      }],
    })
    await warning(ns, 'api-5b7d9c8f4-q8z2n.1822c6a1f0e3c001', {kind: 'Pod', name: 'api-5b7d9c8f4-q8z2n'}, 'BackOff', 'Back-off restarting failed container api in pod api-5b7d9c8f4-q8z2n_api-e2e(0c1e3f6a-55b2-4c1e-9d7a-2f8e6b0c1d2e)', 31)
    await createApp('api', app(ns, [{group: 'apps', version: 'v1', kind: 'Deployment', namespace: ns, name: 'api', status: 'Synced', health: {status: 'Degraded', message: 'Deployment does not have minimum availability.'}}]))

    const j = await explain('api', 'Degraded Deployment: OOMKilled')
    const f = j.findings.find((x: any) => x.id === 'resource-degraded')
    expect(f.title).to.equal(`Deployment.apps ${ns}/api is Degraded: container "api" of pod api-5b7d9c8f4-q8z2n was killed for using more memory than its limit (OOMKilled, exit code 137, 6 restarts)`)
    expect(f.evidence).to.deep.include({path: `Pod ${ns}/api-5b7d9c8f4-q8z2n api lastState.terminated.reason`, value: 'OOMKilled', note: 'exit code 137'})
    expect(f.fix.steps.join('\n')).to.include('raise resources.limits.memory of container "api" in Git').and.include('kubectl logs api-5b7d9c8f4-q8z2n -n api-e2e -c api --previous')
  })

  it('a rollout still Progressing an hour after the sync: the scheduler\'s constraint no node meets', async () => {
    const ns = 'batch-e2e'
    const image = 'registry.example.com/worker:7.3.0'
    const unschedulable = '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.'
    await namespace(ns)
    await deployment(ns, 'worker', image, {
      observedGeneration: 1, replicas: 1, updatedReplicas: 1, unavailableReplicas: 1,
      conditions: [{type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "worker-6f4b8d9c7" is progressing.', lastUpdateTime: minutesAgo(5), lastTransitionTime: minutesAgo(60)}],
    })
    await pod(ns, 'worker-6f4b8d9c7-m4k7t', {app: 'worker'}, image, 'worker', {
      phase: 'Pending',
      conditions: [{type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: unschedulable, lastTransitionTime: minutesAgo(60)}],
    })
    await warning(ns, 'worker-6f4b8d9c7-m4k7t.1822c6a1f0e3d002', {kind: 'Pod', name: 'worker-6f4b8d9c7-m4k7t'}, 'FailedScheduling', unschedulable, 12)
    await createApp('worker', app(ns, [{group: 'apps', version: 'v1', kind: 'Deployment', namespace: ns, name: 'worker', status: 'Synced', health: {status: 'Progressing', message: 'Waiting for rollout to finish: 0 of 1 updated replicas are available...'}}], {
      health: {status: 'Progressing'},
      operationState: {phase: 'Succeeded', message: 'successfully synced (all tasks run)', startedAt: minutesAgo(61), finishedAt: minutesAgo(60), operation: {sync: {revision: '9e1f2a7c4b'}}},
    }))

    const j = await explain('worker', 'Progressing Deployment: unschedulable')
    const f = j.findings.find((x: any) => x.id === 'resource-progressing')
    expect(f, JSON.stringify(j.findings.map((x: any) => x.id))).to.not.equal(undefined)
    expect(f.title).to.equal(`Deployment.apps ${ns}/worker is Progressing: pod worker-6f4b8d9c7-m4k7t cannot be scheduled: ${unschedulable}`)
    expect(f.evidence).to.deep.include({path: `Pod ${ns}/worker-6f4b8d9c7-m4k7t status.conditions[PodScheduled]`, value: 'Unschedulable', note: unschedulable})
    expect(f.fix.steps.join('\n')).to.include('add capacity in the cluster, or relax the constraint in Git')
  })

  it('a PreSync hook Job at its backoff limit: which container failed and how', async () => {
    const ns = 'pay-e2e'
    const image = 'registry.example.com/payments/migrate:4.2.0'
    await namespace(ns)
    await kubectl(['delete', 'job', 'db-migrate', '-n', ns, '--ignore-not-found'])
    await apply({
      apiVersion: 'batch/v1', kind: 'Job', metadata: {name: 'db-migrate', namespace: ns},
      spec: {backoffLimit: 2, template: {metadata: {labels: {'e2e-job': 'db-migrate'}}, spec: {restartPolicy: 'Never', containers: [{name: 'migrate', image}]}}},
    })
    await status('job', 'db-migrate', ns, {status: {failed: 3, startTime: minutesAgo(9), conditions: [
      {type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: minutesAgo(5), lastTransitionTime: minutesAgo(5)},
      {type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastProbeTime: minutesAgo(5), lastTransitionTime: minutesAgo(5)},
    ]}})
    const job = JSON.parse(await kubectl(['get', 'job', 'db-migrate', '-n', ns, '-o', 'json']))
    const labels = job.spec.selector.matchLabels as Record<string, string>
    await pod(ns, 'db-migrate-7kq2p', labels, image, 'migrate', {
      phase: 'Failed',
      containerStatuses: [{name: 'migrate', image, imageID: '', ready: false, restartCount: 0, started: false, state: {terminated: {reason: 'Error', exitCode: 1, message: 'FATAL:  password authentication failed for user "migrate"', startedAt: minutesAgo(6), finishedAt: minutesAgo(5)}}}],
    })
    await createApp('payments-migrate', {
      spec: {destination: {server: 'https://kubernetes.default.svc', namespace: ns}},
      status: {
        reconciledAt: minutesAgo(1),
        sync: {status: 'Synced', revision: '4f5e6d7c8b'},
        health: {status: 'Healthy'},
        operationState: {
          phase: 'Failed', message: 'one or more synchronization tasks completed unsuccessfully', startedAt: minutesAgo(10), finishedAt: minutesAgo(5), operation: {sync: {revision: '4f5e6d7c8b'}},
          syncResult: {revision: '4f5e6d7c8b', resources: [{group: 'batch', version: 'v1', kind: 'Job', namespace: ns, name: 'db-migrate', hookType: 'PreSync', hookPhase: 'Failed', syncPhase: 'PreSync', message: 'Job has reached the specified backoff limit'}]},
        },
        resources: [],
      },
    })

    const j = await explain('payments-migrate', 'Failed PreSync hook Job')
    const f = j.findings.find((x: any) => x.id === 'hook-failed')
    expect(f, JSON.stringify(j.findings.map((x: any) => x.id))).to.not.equal(undefined)
    expect(f.severity).to.equal('warning')
    expect(f.title).to.equal(`PreSync hook Job.batch ${ns}/db-migrate ended Failed: container "migrate" of pod db-migrate-7kq2p exited with an error: last exit code 1 (Error), last message: FATAL:  password authentication failed for user "migrate"`)
    expect(f.evidence).to.deep.include({path: `Job ${ns}/db-migrate status.conditions[Failed]`, value: 'BackoffLimitExceeded', note: 'Job has reached the specified backoff limit'})
  })
})
