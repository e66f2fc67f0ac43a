import {expect} from 'chai'
import {apiServerPerTest} from '../support/api-per-test.js'
import {runCli, jsonOut} from '../support/cli.js'

/**
 * The live path: explain reads the resource the controller's message names (the PVC a sync waits
 * for and its StorageClass; the managedFields of a drifting webhook) from a real HTTP API server.
 * States from argo-cd#12840 (PVC + WaitForFirstConsumer) and a webhook whose failurePolicy an
 * operator rewrites (never reported as caBundle drift).
 */
const env = {ARGO_DOCTOR_NOW: '2026-01-02T00:12:00Z'}

function waitingForPvc(): any {
  return {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
    metadata: {name: 'mimir', namespace: 'argocd'},
    spec: {project: 'default', source: {repoURL: 'https://github.com/example/deploy.git', path: 'mimir'}, destination: {server: 'https://kubernetes.default.svc', namespace: 'monitoring'}},
    operation: {initiatedBy: {automated: true}, sync: {revision: 'abc123'}},
    status: {
      reconciledAt: '2026-01-02T00:11:00Z',
      sync: {status: 'OutOfSync', revision: 'abc123'},
      health: {status: 'Progressing'},
      operationState: {phase: 'Running', message: 'waiting for healthy state of /PersistentVolumeClaim/data-0', startedAt: '2026-01-01T23:00:00Z', operation: {sync: {revision: 'abc123'}}},
      resources: [{version: 'v1', kind: 'PersistentVolumeClaim', name: 'data-0', namespace: 'monitoring', status: 'Synced', health: {status: 'Progressing'}}],
    },
  }
}

function driftingWebhook(): any {
  return {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
    metadata: {name: 'policy', namespace: 'argocd'},
    spec: {project: 'default', source: {repoURL: 'https://github.com/example/deploy.git', path: 'policy'}, destination: {server: 'https://kubernetes.default.svc', namespace: 'kyverno'}, syncPolicy: {automated: {selfHeal: true}}},
    status: {
      reconciledAt: '2026-01-02T00:11:00Z',
      sync: {status: 'OutOfSync', revision: 'abc123'},
      health: {status: 'Healthy'},
      operationState: {phase: 'Succeeded', startedAt: '2026-01-01T23:00:00Z', finishedAt: '2026-01-01T23:01:00Z', syncResult: {revision: 'abc123'}},
      resources: [{group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration', name: 'kyverno-policy', status: 'OutOfSync'}],
    },
  }
}

describe('explain reads the resource the message names (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  const api = apiServerPerTest()

  it('a sync waiting for a Pending PVC: reads the PVC and its StorageClass, says WaitForFirstConsumer, no unstick', async () => {
    api.server.put(waitingForPvc(), {validate: false})
    api.server.put({apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'data-0', namespace: 'monitoring'}, spec: {storageClassName: 'gp3-csi', accessModes: ['ReadWriteOnce'], resources: {requests: {storage: '1Gi'}}}, status: {phase: 'Pending'}}, {validate: false})
    api.server.put({apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: {name: 'gp3-csi'}, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'WaitForFirstConsumer'}, {validate: false})
    const r = await runCli(['explain', 'mimir', '--kubeconfig', api.kubeconfig, '--json'], {env})
    expect(r.stderr).to.equal('')
    const j = (await jsonOut(r.stdout))
    expect(j.findings.map((f: any) => f.id)).to.deep.equal(['sync-waits-for-resource'])
    const f = j.findings[0]
    expect(f.title).to.equal('Sync waits 72m for PersistentVolumeClaim data-0 is Pending (StorageClass gp3-csi binds on first consumer)')
    expect(f.fix.command).to.equal(null)
    expect(f.evidence).to.deep.include({path: 'StorageClass gp3-csi volumeBindingMode', value: 'WaitForFirstConsumer', note: 'read from the cluster'})
    const paths = api.server.requests.map((q) => q.path)
    expect(paths).to.include('/api/v1/namespaces/monitoring/persistentvolumeclaims/data-0')
    expect(paths).to.include('/apis/storage.k8s.io/v1/storageclasses/gp3-csi')
  })

  it('a PVC that cannot be read (403): a note, and the diagnosis says "if" instead of guessing', async () => {
    api.server.put(waitingForPvc(), {validate: false})
    api.server.failNext({pathIncludes: '/persistentvolumeclaims/data-0'}, 403, 'Forbidden', 'persistentvolumeclaims "data-0" is forbidden: User "readonly" cannot get resource "persistentvolumeclaims"')
    const r = await runCli(['explain', 'mimir', '--kubeconfig', api.kubeconfig, '--json'], {env})
    const j = (await jsonOut(r.stdout))
    expect(j.findings[0].explanation).to.include('If its StorageClass uses volumeBindingMode: WaitForFirstConsumer')
    expect(j.notes.join('\n')).to.match(/Could not read PersistentVolumeClaim monitoring\/data-0 \(forbidden by RBAC\)/)
  })

  it('a webhook whose live writer owns failurePolicy: not caBundle drift; the exact ignore-status --jq command', async () => {
    api.server.put(driftingWebhook(), {validate: false})
    api.server.put({apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: {name: 'kyverno-policy', managedFields: [
      {manager: 'argocd-controller', operation: 'Apply', apiVersion: 'admissionregistration.k8s.io/v1', time: '2026-01-01T23:01:00Z', fieldsType: 'FieldsV1', fieldsV1: {'f:webhooks': {'k:{"name":"validate.kyverno.svc"}': {'.': {}, 'f:name': {}, 'f:rules': {}}}}},
      {manager: 'kyverno', operation: 'Update', apiVersion: 'admissionregistration.k8s.io/v1', time: '2026-01-01T23:05:00Z', fieldsType: 'FieldsV1', fieldsV1: {'f:webhooks': {'k:{"name":"validate.kyverno.svc"}': {'f:failurePolicy': {}}}}},
    ]}, webhooks: [{name: 'validate.kyverno.svc', failurePolicy: 'Ignore'}]}, {validate: false})
    const r = await runCli(['explain', 'policy', '--kubeconfig', api.kubeconfig, '--json'], {env})
    const j = (await jsonOut(r.stdout))
    expect(j.findings.map((f: any) => f.id)).to.deep.equal(['unexplained-drift'])
    expect(j.findings[0].fix.steps[0]).to.equal(`If kyverno owns that field by design, ignore exactly it: argo-doctor ignore-status policy -n argocd --kind ValidatingWebhookConfiguration --group admissionregistration.k8s.io --name kyverno-policy --jq '.webhooks[] | select(.name == "validate.kyverno.svc") | .failurePolicy' --kubeconfig ${api.kubeconfig}`)
  })
})
