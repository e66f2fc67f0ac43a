import type {CatalogueEntry} from './types.js'

/** Deletion of managed resources (prune, app deletion) and the finalizers that hold it. */

const GE = 'github.com/argoproj/argo-cd/gitops-engine/v3'
const AE = 'github.com/argoproj/argo-cd/v3'

export const DELETION: CatalogueEntry[] = [
  {
    id: 'deletion-blocked-by-finalizers',
    family: 'deletion',
    pattern: /Pending deletion; blocked by finalizers: (?<finalizers>[^\n]+)/,
    title: '{{resource}} is being deleted, held by finalizers {{finalizers}}',
    cause: '{{resource}} has a deletionTimestamp but stays because finalizers ({{finalizers}}) are still on it: each belongs to a controller that must clean something up and then remove its finalizer. That controller is down, uninstalled, or cannot finish (a cloud resource it cannot delete). A prune or an app deletion that includes it waits for it.',
    fix: {steps: ['See who should finish it: kubectl get {{kubectlTarget}} -o jsonpath=\'{.metadata.finalizers}\' and the logs of the controller that owns each finalizer.', 'Fix or reinstall that controller. Only if it is gone for good and nothing needs cleaning up: kubectl patch {{kubectlTarget}} --type=merge -p \'{"metadata":{"finalizers":null}}\' (this skips its cleanup).']},
    docs: 'https://kubernetes.io/docs/concepts/overview/working-with-objects/finalizers/',
    source: `${GE}/pkg/health/health.go@v3.6.2`,
    argocd: 'v3.6.2 names the finalizers; v3.2.11 (gitops-engine 5baed56 health.go) writes only "Pending deletion"',
    examples: [{message: 'Pending deletion; blocked by finalizers: kubernetes.io/pvc-protection', from: `format string in ${GE}/pkg/health/health.go@v3.6.2`}],
  },
  {
    id: 'deletion-prune-failed',
    family: 'deletion',
    wrapper: true,
    pattern: /(?:Failed to delete|failed to delete resource): (?<reason>[^\n]+)/,
    title: 'Argo CD could not delete {{resource}}',
    cause: 'Pruning or a hook cleanup tried to delete {{resource}} and the API server refused: {{reason}}.',
    fix: {steps: ['Fix what the reason names (RBAC of the controller, an admission webhook that blocks DELETE), or delete it yourself: kubectl delete {{kubectlTarget}}', 'Then sync again: {{cmd:force-presync}}']},
    docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/auto_sync/#automatic-pruning',
    source: `${GE}/pkg/sync/sync_context.go@v3.6.2`,
    examples: [{message: 'failed to delete resource: admission webhook "validation.gatekeeper.sh" denied the request: [ns-must-stay] deleting namespaces is not allowed', from: `format string in ${GE}/pkg/sync/sync_context.go@v3.6.2`}],
  },
  {
    id: 'deletion-app-resources',
    family: 'deletion',
    ownedBy: 'deletion-stuck-finalizer',
    pattern: /Unable to delete application resources: (?<reason>[^\n]+)/,
    title: 'Argo CD cannot delete the app\'s resources',
    cause: 'The app has the resources-finalizer and is being deleted, but deleting its resources fails: {{reason}}.',
    fix: {steps: ['{{cmd:unblock-delete}}']},
    docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/app_deletion/',
    source: `${AE}/controller/appcontroller.go@v3.6.2`,
    examples: [{message: 'Unable to delete application resources: failed to get cluster info for "https://gone.example.com": the server has asked for the client to provide credentials', from: `format string in ${AE}/controller/appcontroller.go@v3.6.2`}],
  },
]
