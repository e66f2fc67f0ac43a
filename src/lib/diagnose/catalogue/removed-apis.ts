/**
 * Built-in API versions Kubernetes has removed: applying a manifest with one of them fails on a
 * cluster at or past that version, however the message words it. From the Kubernetes deprecated
 * API migration guide (https://kubernetes.io/docs/reference/using-api/deprecation-guide/).
 */
export interface RemovedApi {
  group: string
  version: string
  kinds: string[]
  /** The Kubernetes minor version that stopped serving it. */
  removedIn: string
  /** apiVersion to use instead; undefined when there is no replacement. */
  replacement?: string
  note?: string
}

export const REMOVED_APIS: readonly RemovedApi[] = [
  {group: 'extensions', version: 'v1beta1', kinds: ['Deployment', 'DaemonSet', 'ReplicaSet'], removedIn: '1.16', replacement: 'apps/v1'},
  {group: 'apps', version: 'v1beta1', kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'], removedIn: '1.16', replacement: 'apps/v1'},
  {group: 'apps', version: 'v1beta2', kinds: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'], removedIn: '1.16', replacement: 'apps/v1'},
  {group: 'extensions', version: 'v1beta1', kinds: ['NetworkPolicy'], removedIn: '1.16', replacement: 'networking.k8s.io/v1'},
  {group: 'extensions', version: 'v1beta1', kinds: ['PodSecurityPolicy'], removedIn: '1.16', replacement: 'policy/v1beta1', note: 'PodSecurityPolicy itself was removed in 1.25: use Pod Security Admission'},
  {group: 'extensions', version: 'v1beta1', kinds: ['Ingress'], removedIn: '1.22', replacement: 'networking.k8s.io/v1'},
  {group: 'networking.k8s.io', version: 'v1beta1', kinds: ['Ingress', 'IngressClass'], removedIn: '1.22', replacement: 'networking.k8s.io/v1'},
  {group: 'apiextensions.k8s.io', version: 'v1beta1', kinds: ['CustomResourceDefinition'], removedIn: '1.22', replacement: 'apiextensions.k8s.io/v1'},
  {group: 'admissionregistration.k8s.io', version: 'v1beta1', kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], removedIn: '1.22', replacement: 'admissionregistration.k8s.io/v1'},
  {group: 'apiregistration.k8s.io', version: 'v1beta1', kinds: ['APIService'], removedIn: '1.22', replacement: 'apiregistration.k8s.io/v1'},
  {group: 'authentication.k8s.io', version: 'v1beta1', kinds: ['TokenReview'], removedIn: '1.22', replacement: 'authentication.k8s.io/v1'},
  {group: 'authorization.k8s.io', version: 'v1beta1', kinds: ['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview'], removedIn: '1.22', replacement: 'authorization.k8s.io/v1'},
  {group: 'certificates.k8s.io', version: 'v1beta1', kinds: ['CertificateSigningRequest'], removedIn: '1.22', replacement: 'certificates.k8s.io/v1'},
  {group: 'coordination.k8s.io', version: 'v1beta1', kinds: ['Lease'], removedIn: '1.22', replacement: 'coordination.k8s.io/v1'},
  {group: 'rbac.authorization.k8s.io', version: 'v1beta1', kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], removedIn: '1.22', replacement: 'rbac.authorization.k8s.io/v1'},
  {group: 'scheduling.k8s.io', version: 'v1beta1', kinds: ['PriorityClass'], removedIn: '1.22', replacement: 'scheduling.k8s.io/v1'},
  {group: 'storage.k8s.io', version: 'v1beta1', kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], removedIn: '1.22', replacement: 'storage.k8s.io/v1'},
  {group: 'batch', version: 'v1beta1', kinds: ['CronJob'], removedIn: '1.25', replacement: 'batch/v1'},
  {group: 'discovery.k8s.io', version: 'v1beta1', kinds: ['EndpointSlice'], removedIn: '1.25', replacement: 'discovery.k8s.io/v1'},
  {group: 'events.k8s.io', version: 'v1beta1', kinds: ['Event'], removedIn: '1.25', replacement: 'events.k8s.io/v1'},
  {group: 'autoscaling', version: 'v2beta1', kinds: ['HorizontalPodAutoscaler'], removedIn: '1.25', replacement: 'autoscaling/v2'},
  {group: 'policy', version: 'v1beta1', kinds: ['PodDisruptionBudget'], removedIn: '1.25', replacement: 'policy/v1'},
  {group: 'policy', version: 'v1beta1', kinds: ['PodSecurityPolicy'], removedIn: '1.25', note: 'no replacement: use Pod Security Admission (namespace labels pod-security.kubernetes.io/enforce) or a policy engine'},
  {group: 'node.k8s.io', version: 'v1beta1', kinds: ['RuntimeClass'], removedIn: '1.25', replacement: 'node.k8s.io/v1'},
  {group: 'autoscaling', version: 'v2beta2', kinds: ['HorizontalPodAutoscaler'], removedIn: '1.26', replacement: 'autoscaling/v2'},
  {group: 'flowcontrol.apiserver.k8s.io', version: 'v1beta1', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], removedIn: '1.26', replacement: 'flowcontrol.apiserver.k8s.io/v1'},
  {group: 'storage.k8s.io', version: 'v1beta1', kinds: ['CSIStorageCapacity'], removedIn: '1.27', replacement: 'storage.k8s.io/v1'},
  {group: 'flowcontrol.apiserver.k8s.io', version: 'v1beta2', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], removedIn: '1.29', replacement: 'flowcontrol.apiserver.k8s.io/v1'},
  {group: 'flowcontrol.apiserver.k8s.io', version: 'v1beta3', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], removedIn: '1.32', replacement: 'flowcontrol.apiserver.k8s.io/v1'},
]

/** The removal of this group/version/kind, if Kubernetes removed it. */
export function removedApi(group: string, version: string, kind: string): RemovedApi | undefined {
  return REMOVED_APIS.find((r) => r.group === group && r.version === version && r.kinds.includes(kind))
}

/** "extensions/v1beta1" → {group, version}; "v1" → core. */
export function splitApiVersion(apiVersion: string): {group: string; version: string} {
  const i = apiVersion.lastIndexOf('/')
  return i < 0 ? {group: '', version: apiVersion} : {group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1)}
}
