/**
 * A realistic fleet of Applications for benchmarks and load tests: Helm/Kustomize/directory
 * apps with status.resources and syncResult lists of realistic size (5–60 resources), mostly
 * healthy, some OutOfSync for the usual reasons, a few stuck. Deterministic for a given seed.
 */
import type {Application, ResourceStatus} from '../../src/lib/app.js'

const KINDS: Array<[string, string, string]> = [
  ['', 'v1', 'ConfigMap'], ['', 'v1', 'Secret'], ['', 'v1', 'Service'], ['', 'v1', 'ServiceAccount'],
  ['apps', 'v1', 'Deployment'], ['apps', 'v1', 'StatefulSet'], ['autoscaling', 'v2', 'HorizontalPodAutoscaler'],
  ['policy', 'v1', 'PodDisruptionBudget'], ['networking.k8s.io', 'v1', 'Ingress'], ['networking.k8s.io', 'v1', 'NetworkPolicy'],
  ['rbac.authorization.k8s.io', 'v1', 'Role'], ['rbac.authorization.k8s.io', 'v1', 'RoleBinding'],
  ['monitoring.coreos.com', 'v1', 'ServiceMonitor'], ['external-secrets.io', 'v1', 'ExternalSecret'], ['batch', 'v1', 'CronJob'],
]

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

const sha = (r: () => number) => Array.from({length: 40}, () => Math.floor(r() * 16).toString(16)).join('')

export interface FleetOptions {
  count: number
  namespace?: string
  now: Date
  seed?: number
}

/** Built as plain objects (the Application type only models the fields argo-doctor reads). */
export function makeFleet(opts: FleetOptions): Application[] {
  const r = rng(opts.seed ?? 42)
  const ns = opts.namespace ?? 'argocd'
  const iso = (secondsAgo: number) => new Date(opts.now.getTime() - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
  const apps: Application[] = []
  for (let i = 0; i < opts.count; i++) {
    const team = `team-${String(i % 40).padStart(2, '0')}`
    const name = `${team}-svc-${String(i).padStart(4, '0')}`
    const dest = `${team}-prod`
    const rev = sha(r)
    const resourceCount = 5 + Math.floor(r() * 56)
    const resources: ResourceStatus[] = []
    for (let k = 0; k < resourceCount; k++) {
      const [group, version, kind] = KINDS[k % KINDS.length]
      resources.push({...(group ? {group} : {}), version, kind, name: `${name}-${kind.toLowerCase()}-${Math.floor(k / KINDS.length)}`, namespace: dest, status: 'Synced'})
    }

    const roll = r()
    const kind = roll < 0.8 ? 'healthy' : roll < 0.88 ? 'drift' : roll < 0.92 ? 'stuck' : roll < 0.95 ? 'hook' : roll < 0.98 ? 'failed' : 'error'
    if (kind === 'drift') resources[4].status = 'OutOfSync'
    const source = i % 3 === 0
      ? {repoURL: 'https://git.example.com/platform/apps.git', path: `charts/${name}`, targetRevision: 'main', helm: {valueFiles: ['values.yaml', 'values-prod.yaml']}}
      : i % 3 === 1
        ? {repoURL: 'https://git.example.com/platform/apps.git', path: `apps/${name}/overlays/prod`, targetRevision: 'main'}
        : {repoURL: 'https://git.example.com/platform/apps.git', path: `apps/${name}`, targetRevision: 'main', directory: {recurse: true}}
    const startedAgo = 60 + Math.floor(r() * 86_400)
    // What the last sync changed: usually the image (Deployment configured), sometimes config and
    // workload together (checksum annotation), rarely config alone (pods keep the old config).
    const change = r()
    const changed = (k: string) => (k === 'Deployment' && change < 0.4) || (k === 'ConfigMap' && change < 0.12)
    const results = resources.map((res) => ({
      group: res.group ?? '', version: res.version, kind: res.kind, name: res.name, namespace: res.namespace,
      status: 'Synced', syncPhase: 'Sync', message: `${res.kind.toLowerCase()}${res.group ? `.${res.group}` : ''}/${res.name} ${changed(res.kind) ? 'configured' : 'unchanged'}`,
    }))
    if (change >= 0.4 && change < 0.42) for (const res of results) if (res.kind === 'ConfigMap') res.message = res.message.replace('unchanged', 'configured')
    const operation = {initiatedBy: {automated: true}, retry: {limit: 5}, sync: {prune: true, revision: rev}}
    const app = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: {
        name, namespace: ns, labels: {team, 'app.kubernetes.io/part-of': 'platform'}, annotations: {'notifications.argoproj.io/subscribe.on-sync-failed.slack': team},
        finalizers: ['resources-finalizer.argocd.argoproj.io'], creationTimestamp: iso(90 * 86_400), generation: 1 + Math.floor(r() * 400), uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      },
      spec: {
        project: team,
        source,
        destination: {server: 'https://kubernetes.default.svc', namespace: dest},
        syncPolicy: {automated: {prune: true, selfHeal: true}, syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'], retry: {limit: 5}},
      },
      status: {
        controllerNamespace: ns,
        reconciledAt: iso(Math.floor(r() * 170)),
        resourceHealthSource: 'appTree',
        sourceType: i % 3 === 0 ? 'Helm' : i % 3 === 1 ? 'Kustomize' : 'Directory',
        summary: {images: [`registry.example.com/${team}/${name}:${rev.slice(0, 7)}`]},
        health: {status: 'Healthy'},
        sync: {status: kind === 'drift' ? 'OutOfSync' : 'Synced', revision: rev, comparedTo: {source, destination: {server: 'https://kubernetes.default.svc', namespace: dest}}},
        resources,
        operationState: {
          operation, phase: 'Succeeded', message: 'successfully synced (all tasks run)', startedAt: iso(startedAgo), finishedAt: iso(startedAgo - 20),
          syncResult: {resources: results, revision: rev, source},
        },
        history: Array.from({length: 10}, (_, h) => ({id: h, revision: sha(r), deployedAt: iso(startedAgo + h * 86_400), deployStartedAt: iso(startedAgo + h * 86_400 + 30), source, initiatedBy: {automated: true}})),
      },
    } as unknown as Application
    const state = app.status!.operationState!
    if (kind === 'stuck') {
      state.phase = 'Running'
      state.message = `waiting for healthy state of apps/Deployment/${resources[4].name} and 3 more resources`
      delete state.finishedAt
      app.status!.health = {status: 'Progressing'}
    } else if (kind === 'hook') {
      app.operation = operation
      state.phase = 'Running'
      state.message = `waiting for completion of hook batch/Job/${name}-migrate`
      delete state.finishedAt
      state.syncResult!.resources!.push({group: 'batch', version: 'v1', kind: 'Job', name: `${name}-migrate`, namespace: dest, status: 'Synced', hookType: 'PreSync', hookPhase: 'Running', syncPhase: 'PreSync', message: `job.batch/${name}-migrate created`})
    } else if (kind === 'failed') {
      state.phase = 'Failed'
      state.message = `one or more objects failed to apply, reason: Deployment.apps "${resources[4].name}" is invalid: spec.selector: Invalid value: field is immutable (retried 5 times).`
      app.status!.sync!.status = 'OutOfSync'
    } else if (kind === 'error') {
      app.status!.sync = {status: 'Unknown'}
      app.status!.conditions = [{type: 'ComparisonError', message: `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Manifest generation error (cached): \`helm template . --name-template ${name}\` failed exit status 1: Error: values-prod.yaml: no such file or directory`, lastTransitionTime: iso(600)}]
    }

    apps.push(app)
  }

  return apps
}
