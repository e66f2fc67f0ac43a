import {expect} from 'chai'
import type {ResourceStatus} from '../../../src/lib/app.js'
import {hpaTargeting, IGNORE_RULES, matchRules, type RelatedObjects} from '../../../src/lib/recipes/ignore-rules.js'
import {hpaInfoOf} from '../../../src/lib/diagnose/related.js'
import {platformHpa, platformOutOfSyncApp} from '../../fixtures/seed002.js'

const app = platformOutOfSyncApp()
const related: RelatedObjects = {hpas: [hpaInfoOf(platformHpa())]}
const byName = (name: string) => app.status!.resources!.find((r) => r.name === name)!
const ids = (r: ResourceStatus, rel: RelatedObjects = related) => matchRules(r, app, rel).map((m) => m.rule.id)

describe('ignore rules (knowledge base)', () => {
  it('has unique ids and a why for each rule', () => {
    expect(new Set(IGNORE_RULES.map((r) => r.id)).size).to.equal(IGNORE_RULES.length)
  })

  it('APIService (seed 002 metrics-server): /status, flagged as a status field', () => {
    const [m] = matchRules(byName('v1beta1.metrics.k8s.io'), app, related)
    expect(m.rule.id).to.equal('apiservice-status')
    expect(m.entries).to.deep.equal([{group: 'apiregistration.k8s.io', kind: 'APIService', jsonPointers: ['/status']}])
    expect(m.rule.statusField).to.equal(true)
  })

  it('ExternalSecret (seed 002): the four ESO defaults as jq paths that tolerate a missing spec.data', () => {
    const [m] = matchRules(byName('argocd-notifications-secret'), app, related)
    expect(m.rule.id).to.equal('eso-externalsecret-defaults')
    expect(m.entries).to.deep.equal([{
      group: 'external-secrets.io',
      kind: 'ExternalSecret',
      jqPathExpressions: [
        '.spec.data[]?.remoteRef.conversionStrategy',
        '.spec.data[]?.remoteRef.decodingStrategy',
        '.spec.data[]?.remoteRef.metadataPolicy',
        '.spec.target.deletionPolicy',
      ],
    }])
  })

  it('Deployment scaled by an HPA of the app: /spec/replicas for that one workload, needing RespectIgnoreDifferences', () => {
    const deployment = app.status!.resources!.find((r) => r.kind === 'Deployment' && r.name === 'auth-service')!
    const [m] = matchRules(deployment, app, related)
    expect(m.rule.id).to.equal('hpa-replicas')
    expect(m.entries).to.deep.equal([{group: 'apps', kind: 'Deployment', name: 'auth-service', namespace: 'wealist-prod', jsonPointers: ['/spec/replicas']}])
    expect(m.rule.needsRespect).to.equal(true)
    expect(m.why).to.match(/HorizontalPodAutoscaler wealist-prod\/auth-service-hpa scales Deployment auth-service/)
  })

  it('does not propose replicas without an HPA that targets the workload (name, kind, namespace and group must agree)', () => {
    const deploy: ResourceStatus = {group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'wealist-prod', name: 'auth-service', status: 'OutOfSync'}
    expect(ids(deploy, {hpas: []})).to.deep.equal([])
    expect(ids({...deploy, name: 'board-service'})).to.deep.equal([])
    expect(ids({...deploy, namespace: 'other'})).to.deep.equal([])
    expect(ids({...deploy, kind: 'StatefulSet'})).to.deep.equal([])
    expect(ids(deploy, {hpas: [{namespace: 'wealist-prod', name: 'x', target: {apiVersion: 'argoproj.io/v1alpha1', kind: 'Deployment', name: 'auth-service'}}]})).to.deep.equal([])
    expect(ids(deploy, {hpas: [{namespace: 'wealist-prod', name: 'x', unreadable: 'forbidden'}]})).to.deep.equal([])
    expect(hpaTargeting({...deploy, kind: 'StatefulSet', name: 'redis'}, {hpas: [{namespace: 'wealist-prod', name: 'redis', target: {apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'redis'}}]})?.name).to.equal('redis')
  })

  it('Argo Rollouts scaled by an HPA get the same rule', () => {
    const rollout: ResourceStatus = {group: 'argoproj.io', kind: 'Rollout', namespace: 'wealist-prod', name: 'api', status: 'OutOfSync'}
    expect(ids(rollout, {hpas: [{namespace: 'wealist-prod', name: 'api', target: {apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'api'}}]})).to.deep.equal(['hpa-replicas'])
  })

  it('webhook configurations and CRDs: the injected caBundle', () => {
    const mwc = matchRules({group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'cert-manager-webhook', status: 'OutOfSync'}, app, related)
    expect(mwc[0].entries).to.deep.equal([{group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle']}])
    const vwc = matchRules({group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', name: 'istio-validator-istio-system', status: 'OutOfSync'}, app, related)
    expect(vwc[0].entries[0].kind).to.equal('ValidatingWebhookConfiguration')
    const crd = matchRules({group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', name: 'externalsecrets.external-secrets.io', status: 'OutOfSync'}, app, related)
    expect(crd[0].entries).to.deep.equal([{group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', jqPathExpressions: ['.spec.conversion.webhook.clientConfig.caBundle']}])
  })

  it('has no rule for an ordinary ConfigMap change (seed 002 storage-service-config) or look-alikes in other groups', () => {
    expect(ids(byName('storage-service-config'))).to.deep.equal([])
    expect(ids({group: 'example.com', kind: 'APIService', name: 'x', status: 'OutOfSync'})).to.deep.equal([])
    expect(ids({group: 'external-secrets.io', kind: 'SecretStore', name: 'x', status: 'OutOfSync'})).to.deep.equal([])
  })
})
