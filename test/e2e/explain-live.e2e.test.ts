import {expect} from 'chai'
import {createApp, doctor, kubectl, minutesAgo, NS, requireCluster} from './support.js'
import {jsonOut} from '../support/cli.js'

/**
 * The live path on a real kube-apiserver: explain reads the PVC a sync waits for ("waiting for
 * healthy state of /PersistentVolumeClaim/…", argo-cd#12840) and its StorageClass through real RBAC,
 * real discovery and real kubectl plugin dispatch.
 */
describe('e2e: explain reads the resource the controller message names (real kube-apiserver)', () => {
  before(requireCluster)

  it('a sync waiting for a Pending PVC on a WaitForFirstConsumer StorageClass is a legit wait, not a stuck sync', async () => {
    await kubectl(['create', 'namespace', 'monitoring', '--dry-run=client', '-o', 'json']).then((ns) => kubectl(['apply', '-f', '-'], ns))
    await kubectl(['apply', '-f', '-'], JSON.stringify({apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: {name: 'e2e-wffc'}, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer'}))
    await kubectl(['apply', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'data-0', namespace: 'monitoring'}, spec: {storageClassName: 'e2e-wffc', accessModes: ['ReadWriteOnce'], resources: {requests: {storage: '1Gi'}}}}))
    // No controller-manager runs here: set the phase the PV controller would set.
    await kubectl(['patch', 'pvc', 'data-0', '-n', 'monitoring', '--subresource=status', '--type', 'merge', '-p', JSON.stringify({status: {phase: 'Pending'}})])
    await createApp('mimir', {
      spec: {destination: {server: 'https://kubernetes.default.svc', namespace: 'monitoring'}},
      operation: {initiatedBy: {automated: true}, sync: {revision: 'abc123'}},
      status: {
        reconciledAt: minutesAgo(1),
        sync: {status: 'OutOfSync', revision: 'abc123'},
        health: {status: 'Progressing'},
        operationState: {phase: 'Running', message: 'waiting for healthy state of /PersistentVolumeClaim/data-0', startedAt: minutesAgo(70), operation: {sync: {revision: 'abc123'}}},
        resources: [{version: 'v1', kind: 'PersistentVolumeClaim', name: 'data-0', namespace: 'monitoring', status: 'Synced', health: {status: 'Progressing'}}],
      },
    })
    const r = await doctor(['explain', 'mimir', '-n', NS, '--json'])
    expect(r.stderr).to.equal('')
    const j = (await jsonOut(r.stdout))
    expect(j.findings.map((f: any) => f.id)).to.include('sync-waits-for-resource').and.not.include('operation-stuck')
    const f = j.findings.find((x: any) => x.id === 'sync-waits-for-resource')
    expect(f.title).to.match(/PersistentVolumeClaim data-0 is Pending \(StorageClass e2e-wffc binds on first consumer\)$/)
    expect(f.evidence).to.deep.include({path: 'StorageClass e2e-wffc volumeBindingMode', value: 'WaitForFirstConsumer', note: 'read from the cluster'})
    expect(f.fix.command).to.equal(null)
  })
})
