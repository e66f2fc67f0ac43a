/**
 * Known, harmless OutOfSync noise and the spec.ignoreDifferences entries that silence it.
 * Pure data + predicates: a rule only fires on evidence in status.resources (and, for HPAs, the
 * HPA objects the command read). Nothing here is a guess about resources no rule knows.
 */
import type {Application, IgnoreDifference, ResourceStatus} from '../app.js'

/** An HPA of the app, as read by the command (or found in the -f file). */
export interface HpaInfo {
  namespace: string
  name: string
  /** spec.scaleTargetRef; undefined when the HPA could not be read. */
  target?: {apiVersion?: string; kind: string; name: string}
  /** Why it could not be read (offline, 403, …). */
  unreadable?: string
}

export interface RelatedObjects {
  hpas: HpaInfo[]
}

export interface IgnoreRule {
  id: string
  title: string
  match(resource: ResourceStatus, app: Application, related: RelatedObjects): boolean
  entries(resource: ResourceStatus): IgnoreDifference[]
  why(resource: ResourceStatus, related: RelatedObjects): string
  /** Ignoring only the diff is not enough: sync would still overwrite the field (RespectIgnoreDifferences=true). */
  needsRespect?: boolean
  /** The entry ignores `/status`, which Argo CD ≥ 3.0 ignores by default. */
  statusField?: boolean
  /** `ServerSideDiff=true` would also make this noise go away. */
  serverSideDiffHelps?: boolean
}

const is = (r: ResourceStatus, group: string, ...kinds: string[]) => (r.group ?? '') === group && kinds.includes(r.kind)

/** The HPA in the app that scales this workload, if any. */
export function hpaTargeting(r: ResourceStatus, related: RelatedObjects): HpaInfo | undefined {
  return related.hpas.find((h) => {
    if (!h.target || h.target.kind !== r.kind || h.target.name !== r.name) return false
    if ((r.namespace ?? '') !== h.namespace) return false
    const group = h.target.apiVersion?.includes('/') ? h.target.apiVersion.split('/')[0] : ''
    return h.target.apiVersion === undefined || group === (r.group ?? '')
  })
}

const SCALABLE: Array<[string, string]> = [['apps', 'Deployment'], ['apps', 'StatefulSet'], ['argoproj.io', 'Rollout']]
export const isScalable = (r: ResourceStatus) => SCALABLE.some(([g, k]) => is(r, g, k))

export const IGNORE_RULES: IgnoreRule[] = [
  {
    id: 'apiservice-status',
    title: 'APIService status written by the aggregator',
    match: (r) => is(r, 'apiregistration.k8s.io', 'APIService'),
    entries: () => [{group: 'apiregistration.k8s.io', kind: 'APIService', jsonPointers: ['/status']}],
    why: () => 'The kube-aggregator writes status.conditions (Available) on every APIService (e.g. metrics-server\'s v1beta1.metrics.k8s.io); Git has no status, so the diff never goes away.',
    statusField: true,
  },
  {
    id: 'hpa-replicas',
    title: 'replicas owned by a HorizontalPodAutoscaler',
    match: (r, _app, related) => isScalable(r) && hpaTargeting(r, related) !== undefined,
    entries: (r) => [{group: r.group, kind: r.kind, name: r.name, ...(r.namespace ? {namespace: r.namespace} : {}), jsonPointers: ['/spec/replicas']}],
    why: (r, related) => {
      const hpa = hpaTargeting(r, related)!
      return `HorizontalPodAutoscaler ${hpa.namespace}/${hpa.name} scales ${r.kind} ${r.name}, so its live spec.replicas differs from Git whenever it scales. Only this workload's replicas are ignored.`
    },
    needsRespect: true,
  },
  {
    id: 'eso-externalsecret-defaults',
    title: 'External Secrets Operator defaults',
    match: (r) => is(r, 'external-secrets.io', 'ExternalSecret'),
    entries: () => [{
      group: 'external-secrets.io',
      kind: 'ExternalSecret',
      jqPathExpressions: [
        '.spec.data[]?.remoteRef.conversionStrategy',
        '.spec.data[]?.remoteRef.decodingStrategy',
        '.spec.data[]?.remoteRef.metadataPolicy',
        '.spec.target.deletionPolicy',
      ],
    }],
    why: () => 'The External Secrets CRDs default remoteRef.conversionStrategy (Default), decodingStrategy (None), metadataPolicy (None) and target.deletionPolicy (Retain); manifests that leave them out show a diff inside spec.data[] forever.',
    serverSideDiffHelps: true,
  },
  {
    id: 'webhook-cabundle',
    title: 'webhook caBundle injected after apply',
    match: (r) => is(r, 'admissionregistration.k8s.io', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'),
    entries: (r) => [{group: 'admissionregistration.k8s.io', kind: r.kind, jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle']}],
    why: (r) => `cert-manager's cainjector (or the webhook's own operator) fills in webhooks[].clientConfig.caBundle of a ${r.kind} after it is applied; Git holds an empty or no caBundle.`,
    serverSideDiffHelps: true,
  },
  {
    id: 'crd-conversion-cabundle',
    title: 'CRD conversion webhook caBundle injected after apply',
    match: (r) => is(r, 'apiextensions.k8s.io', 'CustomResourceDefinition'),
    entries: () => [{group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', jqPathExpressions: ['.spec.conversion.webhook.clientConfig.caBundle']}],
    why: () => 'A CRD with a conversion webhook gets spec.conversion.webhook.clientConfig.caBundle injected (cert-manager cainjector, operators) after it is applied. For a CRD without a conversion webhook this entry matches nothing, and its diff is something else: check it.',
    serverSideDiffHelps: true,
  },
]

export interface RuleMatch {
  rule: IgnoreRule
  resource: ResourceStatus
  entries: IgnoreDifference[]
  why: string
}

/** Every rule that explains this OutOfSync resource. */
export function matchRules(resource: ResourceStatus, app: Application, related: RelatedObjects, rules: IgnoreRule[] = IGNORE_RULES): RuleMatch[] {
  return rules
    .filter((rule) => rule.match(resource, app, related))
    .map((rule) => ({rule, resource, entries: rule.entries(resource), why: rule.why(resource, related)}))
}
