import type {CatalogueEntry} from './types.js'

/**
 * Health messages of managed resources: what gitops-engine's health checks and Argo CD's
 * resource_customizations health scripts write into status.resources[].health.message (and what
 * Kubernetes controllers write into the conditions those checks quote).
 */

const GE = 'github.com/argoproj/argo-cd/gitops-engine/v3'
const AE = 'github.com/argoproj/argo-cd/v3'
const HEALTH = 'https://argo-cd.readthedocs.io/en/stable/operator-manual/health/'

export const HEALTH_ENTRIES: CatalogueEntry[] = [
  {
    id: 'health-progress-deadline',
    family: 'health',
    pattern: /Deployment "(?<name>[^"]+)" exceeded its progress deadline/,
    title: 'Deployment {{name}} exceeded its progress deadline',
    cause: 'The new ReplicaSet of {{name}} did not become available within spec.progressDeadlineSeconds (600s by default), so Kubernetes marked the rollout failed and Argo CD reports Degraded. The new Pods cannot start or never get Ready: an image that cannot be pulled, a crash loop, a failing readiness probe, or no room to schedule.',
    fix: {steps: ['See why the new Pods are not ready: kubectl rollout status deployment/{{q:name}}{{nsFlag}}; kubectl get pods{{nsFlag}} (then kubectl describe pod / kubectl logs of a new one).', 'Fix the cause in Git (image tag, probe, resources) and sync; or roll back: kubectl rollout undo deployment/{{q:name}}{{nsFlag}} (then Argo CD shows it OutOfSync until Git matches).']},
    docs: 'https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#failed-deployment',
    source: `${GE}/pkg/health/health_deployment.go@v3.6.2`,
    examples: [{message: 'Deployment "web" exceeded its progress deadline', from: `format string in ${GE}/pkg/health/health_deployment.go@v3.6.2`}],
  },
  {
    id: 'health-image-pull',
    family: 'health',
    pattern: /Back-off pulling image "(?<image>[^"]+)"|(?:ErrImagePull|ImagePullBackOff)|Failed to pull image "(?<image2>[^"]+)"/,
    derive: (g) => ({image: g.image ?? g.image2 ?? 'its image'}),
    title: 'A Pod cannot pull {{image}}',
    cause: 'The kubelet cannot pull {{image}}: the tag does not exist, the registry needs credentials (imagePullSecrets) the Pod does not have, or the registry is unreachable from the node. The Pod waits in ImagePullBackOff and the workload stays Progressing, then Degraded.',
    fix: {steps: ['See the pull error: kubectl describe pod <pod>{{nsFlag}} (Events: "Failed to pull image …: not found / unauthorized").', 'Fix the image reference in Git, or add the registry credentials (imagePullSecrets on the Pod or its ServiceAccount).']},
    docs: 'https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff',
    source: 'k8s.io/kubernetes/pkg/kubelet/images/image_manager.go@v1.32.13 (waiting reason and message quoted by gitops-engine health_pod.go@v3.6.2)',
    examples: [{message: 'Back-off pulling image "registry.example.com/web:1.2.4"', from: 'format string in k8s.io/kubernetes/pkg/kubelet/images/image_manager.go@v1.32.13'}],
  },
  {
    id: 'health-crash-loop',
    family: 'health',
    pattern: /back-off (?<delay>\S+) restarting failed container=(?<container>\S+) pod=(?<pod>\S+)/,
    title: 'Container {{container}} keeps crashing (CrashLoopBackOff)',
    cause: 'Container {{container}} of {{pod}} starts and exits again and again; the kubelet now waits {{delay}} between restarts. The application fails at startup (bad configuration, a missing Secret or dependency, a failing liveness probe, or out of memory).',
    fix: {steps: ['Read why it exits: kubectl logs {{q:podName}}{{nsFlag}} -c {{q:container}} --previous; kubectl describe pod {{q:podName}}{{nsFlag}} (Last State: reason, exit code; OOMKilled).', 'Fix the configuration or image in Git and sync.']},
    derive: (g) => ({podName: g.pod.replace(/_[^_]*\(.*$/, '').replace(/_.*$/, '')}),
    docs: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/',
    source: 'k8s.io/kubernetes/pkg/kubelet/kuberuntime/kuberuntime_manager.go@v1.32.13',
    examples: [{message: 'back-off 5m0s restarting failed container=web pod=web-5d8f7b6c9-x2x4k_my-ns(0b7b4a3e-1f2a-4c5d-9e8f-123456789abc)', from: 'format string in k8s.io/kubernetes/pkg/kubelet/kuberuntime/kuberuntime_manager.go@v1.32.13'}],
  },
  {
    id: 'health-job-backoff-limit',
    family: 'health',
    pattern: /Job has reached the specified backoff limit/,
    title: 'Job {{name}} failed: its Pods failed backoffLimit times',
    cause: 'Every Pod the Job started failed, and after spec.backoffLimit retries (6 by default) Kubernetes marked it Failed. A hook Job fails its sync; a plain Job stays Degraded until it is replaced (Jobs are immutable).',
    fix: {steps: ['Read the failed Pods: kubectl logs job/{{q:name}}{{nsFlag}} --all-containers --tail=100; kubectl describe job/{{q:name}}{{nsFlag}}', 'Fix the cause in Git; a hook needs argocd.argoproj.io/hook-delete-policy: BeforeHookCreation to be re-created by the next sync, a plain Job needs Replace=true or a new name.']},
    docs: 'https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-backoff-failure-policy',
    source: 'k8s.io/kubernetes/pkg/controller/job/job_controller.go@v1.32.13',
    examples: [{message: 'Job has reached the specified backoff limit', from: 'k8s.io/kubernetes/pkg/controller/job/job_controller.go@v1.32.13'}],
  },
  {
    id: 'health-job-deadline',
    family: 'health',
    pattern: /Job was active longer than specified deadline/,
    title: 'Job {{name}} failed: it ran past activeDeadlineSeconds',
    cause: 'The Job was still running when spec.activeDeadlineSeconds elapsed, so Kubernetes killed its Pods and marked it Failed: the work hangs (waiting on a database, a lock, the network) or needs more time.',
    fix: {steps: ['See where it hung: kubectl logs job/{{q:name}}{{nsFlag}} --all-containers --tail=100', 'Fix what it waits for, or raise activeDeadlineSeconds in Git.']},
    docs: 'https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup',
    source: 'k8s.io/kubernetes/pkg/controller/job/job_controller.go@v1.32.13',
    examples: [{message: 'Job was active longer than specified deadline', from: 'k8s.io/kubernetes/pkg/controller/job/job_controller.go@v1.32.13'}],
  },
  {
    id: 'health-rollout-paused',
    family: 'health',
    ownedBy: 'sync-waits-for-resource',
    pattern: /^Rollout is paused$/,
    title: 'Argo Rollout {{name}} is paused',
    cause: 'A paused Argo Rollout (a canary pause step, or a manual pause) reports Suspended until it is promoted or aborted.',
    fix: {steps: ['kubectl argo rollouts promote {{q:name}}{{nsFlag}} (or abort)']},
    docs: HEALTH,
    source: `${AE}/resource_customizations/argoproj.io/Rollout/health.lua@v3.6.2`,
    examples: [{message: 'Rollout is paused', from: `${AE}/resource_customizations/argoproj.io/Rollout/health.lua@v3.6.2`}],
  },
  {
    id: 'health-pod-evicted',
    family: 'health',
    pattern: /The node was low on resource: (?<resource>\w+)/,
    title: 'A Pod was evicted: its node ran low on {{resource}}',
    cause: 'The kubelet evicted the Pod because the node ran out of {{resource}} (node pressure), not because of the app\'s own limits. The Pod stays Failed (Degraded) until it is deleted; its controller has already started a replacement.',
    fix: {steps: ['Delete the evicted Pod (kubectl delete pod <pod>{{nsFlag}}); set requests that match real usage (and ephemeral-storage limits for disk) so the scheduler places it where there is room.']},
    docs: 'https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/',
    source: 'k8s.io/kubernetes/pkg/kubelet/eviction/helpers.go@v1.32.13',
    examples: [{message: 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9Gi. Container web was using 2Gi, request is 0, has larger consumption of ephemeral-storage.', from: 'format string in k8s.io/kubernetes/pkg/kubelet/eviction/helpers.go@v1.32.13'}],
  },
  {
    id: 'health-external-secret-provider',
    family: 'health',
    pattern: /could not get secret data from provider/,
    title: 'ExternalSecret {{name}} cannot read its secret from the provider',
    cause: 'The External Secrets operator could not fetch the data of {{resource}} from its SecretStore\'s provider (the key does not exist there, the store\'s credentials are refused, or the store itself is not Ready). Argo CD\'s ExternalSecret health check reports Degraded with that condition message; the target Secret is stale or missing.',
    fix: {steps: ['Read the detailed error: kubectl describe externalsecret {{q:name}}{{nsFlag}} (Events: "error retrieving secret at .data[N], key: …"), and kubectl get secretstore,clustersecretstore -A (STATUS, READY).', 'Create the key in the provider, fix remoteRef.key in Git, or fix the store\'s credentials.']},
    docs: 'https://external-secrets.io/latest/guides/common-k8s-secret-types/',
    source: 'https://github.com/external-secrets/external-secrets/issues/3094',
    examples: [{message: 'could not get secret data from provider', from: `https://github.com/external-secrets/external-secrets/issues/3094 (the Ready condition's message, shown by ${AE}/resource_customizations/external-secrets.io/ExternalSecret/health.lua@v3.6.2)`}],
  },
]
