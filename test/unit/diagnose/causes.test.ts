import {expect} from 'chai'
import type {Application, ResourceStatus} from '../../../src/lib/app.js'
import {diagnose, type Finding, type Related} from '../../../src/lib/diagnose/index.js'
import {fieldsOf, liveObjectOf, relatedFromFile, relatedWants} from '../../../src/lib/diagnose/related.js'
import {buildUnstickPlan, UNSTICK_DEFAULTS} from '../../../src/lib/recipes/unstick.js'
import {ARGOCD_FACTS} from '../../../src/lib/argocd-facts.js'
import {THRESHOLDS} from '../../../src/lib/diagnose/index.js'

/**
 * Cause-specific signatures. Every state below is taken from a public Argo CD issue (cited per
 * test): the message is the one the reporter pasted; the surrounding Application is minimal.
 */

const NOW = new Date('2026-01-02T00:12:00Z')
const style = {bin: 'argo-doctor'}
const run = (app: Application, related?: Related) => diagnose(app, related, NOW, {style})
const ids = (app: Application, related?: Related) => run(app, related).map((f) => f.id)
function one(app: Application, id: string, related?: Related): Finding {
  const f = run(app, related).find((x) => x.id === id)
  if (!f) throw new Error(`no ${id}; got ${ids(app, related).join(', ') || 'none'}`)
  return f
}

function app(over: {status?: Record<string, unknown>; spec?: Record<string, unknown>; operation?: Record<string, unknown>} = {}): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {name: 'my-app', namespace: 'argocd', creationTimestamp: '2025-06-01T00:00:00Z'},
    spec: {project: 'default', source: {repoURL: 'https://github.com/example/deploy.git', path: 'apps/my-app', targetRevision: 'HEAD'}, destination: {server: 'https://kubernetes.default.svc', namespace: 'my-ns'}, ...over.spec},
    ...(over.operation ? {operation: over.operation} : {}),
    status: {reconciledAt: '2026-01-02T00:10:00Z', sync: {status: 'Unknown'}, health: {status: 'Healthy'}, ...over.status},
  } as Application
}

const comparison = (message: string, extra: Parameters<typeof app>[0] = {}) =>
  app({...extra, status: {conditions: [{type: 'ComparisonError', message, lastTransitionTime: '2026-01-02T00:05:00Z'}], ...extra.status}})

/** A running sync whose message is gitops-engine's "waiting for healthy state of …". */
function waiting(group: string, kind: string, name: string, resource: Partial<ResourceStatus>, startedAt = '2026-01-01T22:00:00Z'): Application {
  return app({
    operation: {initiatedBy: {automated: true}, sync: {revision: 'abc123'}},
    status: {
      sync: {status: 'OutOfSync', revision: 'abc123'},
      health: {status: 'Progressing'},
      operationState: {phase: 'Running', message: `waiting for healthy state of ${group}/${kind}/${name}`, startedAt, operation: {sync: {revision: 'abc123'}}},
      resources: [{group: group || undefined, version: 'v1', kind, name, namespace: 'my-ns', status: 'Synced', ...resource}],
    },
  })
}

function failed(message: string, resources: Array<Record<string, unknown>>, spec: Record<string, unknown> = {}): Application {
  return app({
    spec,
    status: {
      sync: {status: 'OutOfSync', revision: 'abc123'},
      operationState: {phase: 'Failed', message, startedAt: '2026-01-01T23:00:00Z', finishedAt: '2026-01-01T23:01:00Z', syncResult: {revision: 'abc123', resources}},
    },
  })
}

describe('one source of Argo CD facts', () => {
  it('explain and unstick use the same numbers (controller alive, orphan phase = --min-age)', () => {
    expect(THRESHOLDS.controllerStale).to.equal(ARGOCD_FACTS.controllerAlive)
    expect(UNSTICK_DEFAULTS.controllerFreshSeconds).to.equal(ARGOCD_FACTS.controllerAlive)
    expect(UNSTICK_DEFAULTS.minAgeSeconds).to.equal(THRESHOLDS.orphanPhase)
  })

  it('an app last reconciled 12 minutes ago: explain says controller-stale and unstick does not count on the controller either', () => {
    const a = waiting('apps', 'Deployment', 'web', {health: {status: 'Degraded'}})
    a.status!.reconciledAt = '2026-01-02T00:00:00Z'
    expect(ids(a)).to.include('controller-stale')
    const plan = buildUnstickPlan(a, {now: NOW, ...UNSTICK_DEFAULTS, force: false, skipTerminate: false})
    expect(plan.kind === 'plan' && plan.action).to.equal('clear-operation')
  })
})

describe('unknown is not fine: an operation with no startedAt', () => {
  it('Running with an operation but no startedAt: the age is unknown, with the conditional unstick', () => {
    // argo-cd#18613: "stuck at Syncing, can't terminate it" — the state shows no usable start time.
    const a = app({operation: {initiatedBy: {username: 'admin'}, sync: {}}, status: {sync: {status: 'OutOfSync'}, operationState: {phase: 'Running', message: 'one or more tasks are running'}}})
    const f = one(a, 'operation-age-unknown')
    expect(f.severity).to.equal('warning')
    expect(f.refines).to.equal('operation-in-progress')
    expect(f.title).to.equal('Sync Running for an unknown time (no startedAt)')
    expect(f.fix.steps.at(-1)).to.equal('If it has been Running for more than 30 min: argo-doctor unstick my-app -n argocd')
    expect(ids(a)).not.to.include('operation-in-progress')
  })

  it('Terminating with no startedAt: shorter limit', () => {
    const a = app({operation: {sync: {}}, status: {operationState: {phase: 'Terminating'}}})
    expect(one(a, 'operation-age-unknown').fix.steps.at(-1)).to.include('more than 10 min')
  })
})

describe('ComparisonError by cause (configuration causes never put hard-refresh first)', () => {
  const configFirst = (f: Finding) => {
    expect(f.fix.command).to.equal(null)
    expect(f.fix.steps.at(-1)).to.match(/^Then: argo-doctor hard-refresh my-app -n argocd/)
    expect(f.fix.steps.slice(0, -1).join(' ')).not.to.include('hard-refresh my-app')
  }

  it('repository credentials: "authentication required" (argo-cd#9875, #13023)', () => {
    const f = one(comparison('rpc error: code = Unknown desc = authentication required'), 'comparison-error-repo-access')
    configFirst(f)
    expect(f.refines).to.equal('comparison-error')
    expect(f.fix.steps[0]).to.include('https://github.com/example/deploy.git')
    expect(f.explanation).to.include('trailing slash')
  })

  it('a cached "repository not found" refines manifest-generation-cached and still fixes first (argo-cd#26363)', () => {
    const a = comparison('Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Manifest generation error (cached): failed to list refs: authentication required: Repository not found.')
    expect(ids(a)).to.deep.equal(['comparison-error-repo-access'])
    const f = one(a, 'comparison-error-repo-access')
    expect(f.refines).to.equal('manifest-generation-cached')
    configFirst(f)
  })

  it('RBAC forbidden for the controller (argo-cd#6643)', () => {
    const f = one(comparison('failed to sync cluster https://10.68.0.1:443: failed to load initial state of resource AuthorizationPolicy.security.istio.io: authorizationpolicies.security.istio.io is forbidden: User "system:serviceaccount:argocd-system:argocd-application-controller" cannot list resource "authorizationpolicies" in API group "security.istio.io" at the cluster scope'), 'comparison-error-forbidden')
    configFirst(f)
    expect(f.fix.steps[0]).to.equal('Confirm: kubectl auth can-i list authorizationpolicies.security.istio.io --as system:serviceaccount:argocd-system:argocd-application-controller -A')
  })

  it('gRPC message size (argo-cd#3117)', () => {
    const f = one(comparison('rpc error: code = ResourceExhausted desc = grpc: received message larger than max (4245897 vs. 4194304)'), 'comparison-error-message-size')
    expect(f.fix.steps[0]).to.include('ARGOCD_GRPC_MAX_SIZE_MB')
    configFirst(f)
  })

  it('schema of an unsupported Kubernetes version (argo-cd#18778)', () => {
    const f = one(comparison('Failed to compare desired state to live state: failed to calculate diff: error calculating structured merge diff: error building typed value from live resource: errors: .spec.podReplacementPolicy: field not declared in schema .status.terminating: field not declared in schema'), 'comparison-error-schema')
    expect(f.fix.steps.join(' ')).to.include('ServerSideDiff=true')
    configFirst(f)
  })

  it('config-management plugin not matched (argo-cd#19614)', () => {
    const f = one(comparison('rpc error: code = Unknown desc = Manifest generation error (cached): plugin sidecar failed. couldn\'t find cmp-server plugin with name "helmchart-ytt" supporting the given repository'), 'comparison-error-plugin')
    configFirst(f)
    expect(f.refines).to.equal('manifest-generation-cached')
  })

  it('multi-source $values file missing: explains that $ref resolves to the repository root (argo-cd#15463, #14567)', () => {
    const a = comparison('Failed to load target state: failed to generate manifest for source 1 of 2: rpc error: code = Unknown desc = `helm template . --name-template helm-guestbook --values <path to cached source>/argocd/guestbook/values.yaml` failed exit status 1: Error: open <path to cached source>/argocd/guestbook/values.yaml: no such file or directory', {
      spec: {source: undefined, sources: [
        {repoURL: 'https://github.com/argoproj/argocd-example-apps.git', path: 'helm-guestbook', targetRevision: 'master', helm: {valueFiles: ['$values/argocd/guestbook/values.yaml']}},
        {repoURL: 'https://bitbucket.org/vktest12/mbbdo.git', targetRevision: 'master', ref: 'values', path: 'envs'},
      ]},
    })
    expect(ids(a)).to.deep.equal(['comparison-error-values-missing'])
    const f = one(a, 'comparison-error-values-missing')
    expect(f.fix.steps[0]).to.equal('$values/argocd/guestbook/values.yaml → repository https://bitbucket.org/vktest12/mbbdo.git, whose path envs is NOT prepended: check that the file exists there at the targetRevision.')
    configFirst(f)
  })

  it('Helm render error (argo-cd#24981): quotes the tool\'s own error line', () => {
    const f = one(comparison('rpc error: code = Unknown desc = failed to execute helm template command: `helm template . --name-template api-dev` failed exit status 1: Error: template: base-chart/templates/deployment.yaml:12:20: executing "x" at <.Values.image.tag>: nil pointer evaluating interface {}.tag'), 'comparison-error-render')
    expect(f.explanation).to.include('Error: template: base-chart/templates/deployment.yaml:12:20')
    configFirst(f)
  })

  it('a repo-server outage stays repo-server-unavailable (not a configuration cause)', () => {
    expect(ids(comparison('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.96.143.7:8081: connect: connection refused"'))).to.deep.equal(['repo-server-unavailable'])
  })
})

describe('SyncFailed by cause', () => {
  it('immutable Job field of a hook: BeforeHookCreation (argo-cd#7430)', () => {
    const a = failed('one or more objects failed to apply, reason: Job.batch "db-migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable', [
      {group: 'batch', version: 'v1', kind: 'Job', name: 'db-migrate', namespace: 'my-ns', status: 'SyncFailed', hookType: 'PreSync', hookPhase: 'Failed', message: 'Job.batch "db-migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable'},
    ])
    const f = one(a, 'sync-failed-immutable-field')
    expect(f.fix.steps[0]).to.include('hook-delete-policy: BeforeHookCreation')
    expect(ids(a)).to.deep.equal(['sync-failed-immutable-field'])
  })

  it('immutable field of a plain Job: Replace=true or delete it once, names quoted (argo-cd#7430)', () => {
    const a = failed('one or more objects failed to apply, reason: Job.batch "wait-vault-tls" is invalid: spec.selector: Invalid value: "null": field is immutable', [
      {group: 'batch', kind: 'Job', name: 'wait-vault-tls', namespace: 'vault', status: 'SyncFailed', message: 'Job.batch "wait-vault-tls" is invalid: spec.selector: Invalid value: "null": field is immutable'},
    ])
    const f = one(a, 'sync-failed-immutable-field')
    expect(f.fix.steps[0]).to.include('Replace=true').and.include('kubectl delete job.batch wait-vault-tls -n vault')
    expect(f.fix.steps.at(-1)).to.equal('Then sync again: argo-doctor force-presync my-app -n argocd (a full sync with hooks, built like argocd app sync)')
  })

  it('missing CRD: install it first / SkipDryRunOnMissingResource=true (argo-cd#6489)', () => {
    const a = failed('one or more synchronization tasks are not valid', [
      {group: 'keycloak.org', kind: 'Keycloak', name: 'sso', namespace: 'my-ns', status: 'SyncFailed', message: 'the server could not find the requested resource'},
    ])
    const f = one(a, 'sync-failed-missing-crd')
    expect(f.title).to.equal('Sync failed: the API server does not know Keycloak.keycloak.org (CRD missing)')
    expect(f.fix.steps.join(' ')).to.include('SkipDryRunOnMissingResource=true')
  })

  it('namespace being terminated (argo-cd#2257)', () => {
    const a = failed('one or more objects failed to apply, reason: deployments.apps "t-maeve-api-maeve" is forbidden: unable to create new content in namespace t-maeve-api because it is being terminated', [])
    const f = one(a, 'sync-failed-namespace-terminating')
    expect(f.title).to.equal('Sync failed: namespace t-maeve-api is being deleted')
    expect(f.fix.steps[0]).to.include("kubectl get namespace t-maeve-api -o jsonpath='{.status.conditions}'")
  })

  it('namespace not found that is not the destination: CreateNamespace does not create it (argo-cd#11625)', () => {
    const a = failed('one or more objects failed to apply, reason: namespaces "mock-opcua" not found', [], {syncPolicy: {syncOptions: ['CreateNamespace=true']}})
    const f = one(a, 'sync-failed-namespace-missing')
    expect(f.explanation).to.include('CreateNamespace=true only creates the destination namespace (my-ns)')
    const dest = failed('one or more objects failed to apply, reason: namespaces "my-ns" not found', [])
    expect(one(dest, 'sync-failed-namespace-missing').fix.steps[0]).to.include('Add CreateNamespace=true').and.include('managedNamespaceMetadata')
  })

  it('a Kyverno denial after retries names the policy engine, not only "retries exhausted" (argo-cd#24020)', () => {
    const a = failed('one or more objects failed to apply, reason: admission webhook "validate.kyverno.svc" denied the request (retried 3 times).', [{kind: 'ConfigMap', name: 'x', namespace: 'my-ns', status: 'SyncFailed', message: 'admission webhook "validate.kyverno.svc" denied the request'}], {syncPolicy: {automated: {}, retry: {limit: 3}}})
    const f = one(a, 'sync-failed-kyverno')
    expect(f.title).to.equal('Sync failed after 3 retries: a Kyverno policy blocks the resource')
    expect(f.refines).to.equal('sync-failed')
    expect(f.fix.steps.join(' ')).to.include('PolicyException')
  })

  it('retries exhausted with no other known cause', () => {
    const a = failed('one or more objects failed to apply, reason: the cluster answered something new (retried 3 times).', [{kind: 'ConfigMap', name: 'x', namespace: 'my-ns', status: 'SyncFailed', message: 'the cluster answered something new'}], {syncPolicy: {automated: {}, retry: {limit: 3}}})
    const f = one(a, 'sync-failed-retries-exhausted')
    expect(f.explanation).to.include('retried it 3 time(s) (spec.syncPolicy.retry.limit 3)')
    expect(f.refines).to.equal('sync-failed')
  })
})

describe('legit waits are not stuck syncs', () => {
  it('a Suspended (paused) Rollout: promote it; unstick only repeats the wait (argo-cd#19422)', () => {
    const a = waiting('argoproj.io', 'Rollout', 'core', {version: 'v1alpha1', health: {status: 'Suspended', message: 'Rollout is paused'}})
    expect(ids(a)).to.deep.equal(['sync-waits-for-resource'])
    const f = one(a, 'sync-waits-for-resource')
    expect(f.title).to.equal('Sync waits 2h12m for Rollout core is Suspended')
    expect(f.fix.command).to.equal(null)
    expect(f.fix.steps[0]).to.equal('Promote it when the canary is good: kubectl argo rollouts promote core -n my-ns (or abort: kubectl argo rollouts abort core -n my-ns); see kubectl argo rollouts get rollout core -n my-ns')
    expect(f.fix.steps.at(-1)).to.match(/^unstick does not help: it ends this sync, and the next sync waits for the same resource/)
  })

  it('a Pending PVC: WaitForFirstConsumer confirmed from the live PVC and its StorageClass (argo-cd#12840)', () => {
    const a = waiting('', 'PersistentVolumeClaim', 'data', {health: {status: 'Progressing'}})
    const offline = one(a, 'sync-waits-for-resource')
    expect(offline.explanation).to.include('If its StorageClass uses volumeBindingMode: WaitForFirstConsumer')
    const related: Related = {notes: [], live: {'/PersistentVolumeClaim/my-ns/data': {status: 'found', value: {kind: 'PersistentVolumeClaim', name: 'data', namespace: 'my-ns', phase: 'Pending', storageClassName: 'gp3-csi', volumeBindingMode: 'WaitForFirstConsumer'}}}}
    const f = one(a, 'sync-waits-for-resource', related)
    expect(f.title).to.equal('Sync waits 2h12m for PersistentVolumeClaim data is Pending (StorageClass gp3-csi binds on first consumer)')
    expect(f.evidence.map((e) => `${e.path}=${e.value}`)).to.include('StorageClass gp3-csi volumeBindingMode=WaitForFirstConsumer')
  })

  it('a Job that is still running (not a hook) (argo-cd#7933)', () => {
    const a = waiting('batch', 'Job', 'adobuildagent-5', {health: {status: 'Progressing'}})
    const f = one(a, 'sync-waits-for-resource')
    expect(f.title).to.equal('Sync waits 2h12m for Job adobuildagent-5 is still running')
    expect(f.fix.steps[0]).to.include('kubectl logs job/adobuildagent-5 -n my-ns')
  })

  it('a Degraded Deployment is not a legit wait: operation-stuck stays', () => {
    expect(ids(waiting('apps', 'Deployment', 'web', {health: {status: 'Degraded'}}))).to.deep.equal(['operation-stuck', 'resource-degraded'])
  })

  it('relatedWants asks for the waited-for resource; liveObjectOf reads phase, pause, active', () => {
    const a = waiting('', 'PersistentVolumeClaim', 'data', {health: {status: 'Progressing'}})
    expect(relatedWants(a, NOW).live).to.deep.equal([{apiVersion: 'v1', group: '', kind: 'PersistentVolumeClaim', namespace: 'my-ns', name: 'data'}])
    expect(liveObjectOf({apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: {name: 'core', namespace: 'my-ns'}, spec: {}, status: {pauseConditions: [{reason: 'CanaryPauseStep'}]}})).to.deep.include({paused: true, pauseReasons: ['CanaryPauseStep']})
  })

  it('offline: a PVC and StorageClass saved next to the app are used', () => {
    const a = waiting('', 'PersistentVolumeClaim', 'data', {health: {status: 'Progressing'}})
    const related = relatedFromFile([
      {apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: {name: 'data', namespace: 'my-ns'}, spec: {storageClassName: 'gp3-csi'}, status: {phase: 'Pending'}},
      {apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: {name: 'gp3-csi'}, volumeBindingMode: 'WaitForFirstConsumer'},
    ], a)
    expect(one(a, 'sync-waits-for-resource', related).title).to.include('binds on first consumer')
  })
})

describe('sync window (also in Terminating): wait or change the window, never unstick first', () => {
  it('Terminating held by the window (argo-cd#25361)', () => {
    const a = app({operation: {initiatedBy: {automated: true}, sync: {}}, status: {sync: {status: 'OutOfSync'}, operationState: {phase: 'Terminating', message: 'Sync operation blocked by sync window', startedAt: '2026-01-01T23:00:00Z'}}})
    const f = one(a, 'sync-window-blocked')
    expect(ids(a)).to.deep.equal(['sync-window-blocked'])
    expect(f.title).to.equal('Termination waits for a sync window')
    expect(f.explanation).to.include('before v3.3 the controller checks the window').and.include('from v3.3 a terminate goes through the window')
    expect(f.fix.steps.join(' ')).to.include('From Argo CD v3.5: so that syncs already running when a deny window starts can finish instead of being held, set syncOverrun: true on the window (argo-cd#25510). Before v3.5: a sync already running')
    expect(f.fix.command).to.equal(null)
    expect(f.fix.steps.join(' ')).to.include('syncOverrun: true')
    expect(f.fix.steps.at(-1)).to.match(/^Only if the operation must go now/)
  })
})

describe('drift no rule knows', () => {
  // argo-cd#13598: a live change to a resource (an HPA's minReplicas, a Secret) with auto-sync and no selfHeal.
  const drifted = (r: Partial<ResourceStatus>, automated: Record<string, unknown> | undefined = {prune: true, selfHeal: true}) => app({
    spec: {syncPolicy: automated ? {automated} : {}},
    status: {
      sync: {status: 'OutOfSync', revision: 'abc123'},
      operationState: {phase: 'Succeeded', startedAt: '2026-01-01T23:00:00Z', finishedAt: '2026-01-01T23:01:00Z', syncResult: {revision: 'abc123'}},
      resources: [{version: 'v1', kind: 'Secret', name: 'tls', namespace: 'my-ns', status: 'OutOfSync', ...r}],
    },
  })

  it('offline: names the resource, the likely writer and the exact ignore-status command to fill in', () => {
    const f = one(drifted({}), 'unexplained-drift')
    expect(f.title).to.equal('OutOfSync with no change in Git: Secret tls')
    expect(f.explanation).to.include('likely writer something in the cluster that writes Secret data')
    expect(f.fix.steps[0]).to.include("argo-doctor ignore-status my-app -n argocd --kind Secret --name tls --resource-namespace my-ns --json-pointer '<pointer>'")
    expect(f.fix.steps.join(' ')).to.include('ServerSideDiff=true')
  })

  it('live managedFields name the writer and the field: the exact command', () => {
    const obj = liveObjectOf({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'tls', namespace: 'my-ns', managedFields: [
      {manager: 'argocd-controller', operation: 'Apply', time: '2026-01-01T23:01:00Z', fieldsType: 'FieldsV1', fieldsV1: {'f:data': {'f:ca.crt': {}}}},
      {manager: 'reflector', operation: 'Update', time: '2026-01-01T23:05:00Z', fieldsType: 'FieldsV1', fieldsV1: {'f:data': {'f:tls.crt': {}, 'f:tls.key': {}}, 'f:metadata': {'f:annotations': {'f:reflector.v1.k8s.emberstack.com/reflected-version': {}}}}},
    ]}})
    expect(obj.writers?.map((w) => w.manager)).to.deep.equal(['reflector'])
    const f = one(drifted({}), 'unexplained-drift', {notes: [], live: {'/Secret/my-ns/tls': {status: 'found', value: obj}}})
    expect(f.fix.steps[0]).to.equal("If reflector owns those fields by design, ignore exactly them: argo-doctor ignore-status my-app -n argocd --kind Secret --name tls --resource-namespace my-ns --json-pointer /data/tls.crt --json-pointer /data/tls.key --json-pointer '/metadata/annotations/reflector.v1.k8s.emberstack.com~1reflected-version'")
  })

  it('client-side apply: last-applied-configuration pins the changed field, managedFields name who (the exact command, no <pointer>)', () => {
    const applied = {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'web', namespace: 'my-ns', labels: {app: 'web'}}, spec: {replicas: 2, template: {spec: {containers: [{name: 'web', image: 'web:1.0', ports: [{containerPort: 80}]}]}}}}
    const live = {
      ...applied,
      metadata: {...applied.metadata, annotations: {'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied)}, managedFields: [
        {manager: 'argocd-controller', operation: 'Update', time: '2026-01-01T23:01:00Z', fieldsV1: {'f:spec': {'f:replicas': {}}}},
        {manager: 'image-bumper', operation: 'Update', time: '2026-01-01T23:20:00Z', fieldsV1: {'f:spec': {'f:template': {'f:spec': {'f:containers': {'k:{"name":"web"}': {'f:image': {}}}}}}}},
      ]},
      // Defaults the API server added are not changes; the image is.
      spec: {replicas: 2, strategy: {type: 'RollingUpdate'}, template: {spec: {containers: [{name: 'web', image: 'web:1.1', imagePullPolicy: 'IfNotPresent', ports: [{containerPort: 80, protocol: 'TCP'}]}]}}},
    }
    const obj = liveObjectOf(live)
    expect(obj.changedSinceApply).to.deep.equal([{jq: '.spec.template.spec.containers[] | select(.name == "web") | .image'}])
    const f = one(drifted({group: 'apps', kind: 'Deployment', name: 'web'}), 'unexplained-drift', {notes: [], live: {'apps/Deployment/my-ns/web': {status: 'found', value: obj}}})
    expect(f.explanation).to.include('Deployment.apps my-ns/web: .spec.template.spec.containers[] | select(.name == "web") | .image changed by image-bumper')
    expect(f.fix.steps[0]).to.equal(`If image-bumper owns that field by design, ignore exactly it: argo-doctor ignore-status my-app -n argocd --kind Deployment --group apps --name web --resource-namespace my-ns --jq '.spec.template.spec.containers[] | select(.name == "web") | .image'`)
    expect(f.fix.steps[1]).to.include('--managed-fields-manager image-bumper').and.include('RespectIgnoreDifferences=true')
    expect(f.fix.steps.join(' ')).not.to.include('<pointer>')
  })

  it('a change made with kubectl edit is reverted, not ignored', () => {
    const applied = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cfg', namespace: 'my-ns'}, data: {mode: 'safe', level: 'info'}}
    const obj = liveObjectOf({...applied, data: {mode: 'fast', level: 'info'}, metadata: {...applied.metadata, annotations: {'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied)}, managedFields: [
      {manager: 'kubectl-edit', operation: 'Update', time: '2026-01-01T23:30:00Z', fieldsV1: {'f:data': {'f:mode': {}}}},
    ]}})
    const f = one(drifted({kind: 'ConfigMap', name: 'cfg'}), 'unexplained-drift', {notes: [], live: {'/ConfigMap/my-ns/cfg': {status: 'found', value: obj}}})
    expect(f.fix.steps[0]).to.match(/^ConfigMap my-ns\/cfg: kubectl-edit is a person's kubectl, not a controller — revert it rather than ignore it: sync \(argo-doctor force-presync my-app -n argocd\)/)
    expect(f.fix.steps[0]).to.include('--json-pointer /data/mode')
  })

  it('offline: the live object saved next to the app in a List file pins the field the same way', () => {
    const applied = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cfg', namespace: 'my-ns'}, data: {mode: 'safe'}}
    const liveCm = {...applied, data: {mode: 'fast'}, metadata: {...applied.metadata, annotations: {'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied)}}}
    const a = drifted({kind: 'ConfigMap', name: 'cfg'})
    const related = relatedFromFile([liveCm] as never, a)
    const f = one(a, 'unexplained-drift', related)
    expect(f.fix.steps[0]).to.equal('If a writer the object does not name (no managedFields) owns that field by design, ignore exactly it: argo-doctor ignore-status my-app -n argocd --kind ConfigMap --name cfg --resource-namespace my-ns --json-pointer /data/mode')
  })

  it('last-applied of a Secret is never compared (its data is not read)', () => {
    const applied = {apiVersion: 'v1', kind: 'Secret', metadata: {name: 's', namespace: 'my-ns'}, data: {k: 'dg=='}}
    expect(liveObjectOf({...applied, metadata: {...applied.metadata, annotations: {'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied)}}}).changedSinceApply).to.equal(undefined)
  })

  it('never claims caBundle drift when the live writer owns another field of a webhook', () => {
    const hook = {group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', name: 'policy', namespace: undefined}
    const a = drifted(hook)
    expect(ids(a)).to.deep.equal(['webhook-cabundle-drift'])
    const obj = liveObjectOf({apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: {name: 'policy', managedFields: [
      {manager: 'kyverno', operation: 'Update', time: '2026-01-01T23:05:00Z', fieldsV1: {'f:webhooks': {'k:{"name":"validate.kyverno.svc"}': {'f:failurePolicy': {}}}}},
    ]}})
    const related: Related = {notes: [], live: {'admissionregistration.k8s.io/ValidatingWebhookConfiguration//policy': {status: 'found', value: obj}}}
    expect(ids(a, related)).to.deep.equal(['unexplained-drift'])
    expect(one(a, 'unexplained-drift', related).fix.steps[0]).to.include(`--jq '.webhooks[] | select(.name == "validate.kyverno.svc") | .failurePolicy'`)
    const injected = liveObjectOf({apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: {name: 'policy', managedFields: [
      {manager: 'cainjector', operation: 'Update', time: '2026-01-01T23:05:00Z', fieldsV1: {'f:webhooks': {'k:{"name":"validate.kyverno.svc"}': {'f:clientConfig': {'f:caBundle': {}}}}}},
    ]}})
    expect(ids(a, {notes: [], live: {'admissionregistration.k8s.io/ValidatingWebhookConfiguration//policy': {status: 'found', value: injected}}})).to.deep.equal(['webhook-cabundle-drift'])
  })

  it('fieldsOf: pointers for maps, jq for keyed lists, status left out', () => {
    expect(fieldsOf({'f:spec': {'f:replicas': {}}, 'f:status': {'f:x': {}}, 'f:metadata': {'f:resourceVersion': {}}})).to.deep.equal([{pointer: '/spec/replicas', jq: '.spec.replicas'}])
  })

  it('auto-sync without selfHeal after a live change: info with the selfHeal note (argo-cd#1736)', () => {
    const a = drifted({kind: 'Service', name: 'guestbook-ui'}, {prune: true})
    const f = one(a, 'auto-sync-no-self-heal')
    expect(f.severity).to.equal('info')
    expect(f.explanation).to.include('without spec.syncPolicy.automated.selfHeal nothing reverts it')
    expect(ids(drifted({kind: 'Service', name: 'guestbook-ui'}))).not.to.include('auto-sync-no-self-heal')
  })

  it('a new commit not yet synced is not drift', () => {
    const a = drifted({})
    a.status!.sync!.revision = 'def456'
    // Not drift, but not green either: the coverage pass says it is OutOfSync and how to see the difference.
    expect(ids(a)).to.deep.equal(['resources-out-of-sync'])
  })
})

describe('Progressing after a completed sync names what keeps it so', () => {
  it('an Ingress without a load-balancer address (argo-cd#14607)', () => {
    const a = app({status: {
      sync: {status: 'Synced', revision: 'abc123'},
      health: {status: 'Progressing'},
      operationState: {phase: 'Succeeded', startedAt: '2026-01-01T20:00:00Z', finishedAt: '2026-01-01T20:01:00Z', syncResult: {revision: 'abc123'}},
      resources: [
        {group: 'apps', kind: 'Deployment', name: 'nginx', namespace: 'nginx-ingress', status: 'Synced', health: {status: 'Healthy'}},
        {group: 'networking.k8s.io', kind: 'Ingress', name: 'ingress-master', namespace: 'nginx-ingress', status: 'Synced', health: {status: 'Progressing'}},
      ],
    }})
    const f = one(a, 'progressing-after-sync')
    expect(f.severity).to.equal('warning')
    expect(f.title).to.equal('Synced 4h11m ago, but health stays Progressing (Ingress ingress-master)')
    expect(f.explanation).to.include('Ingress ingress-master has no load-balancer address yet')
    expect(f.fix.steps[0]).to.equal('kubectl describe ingress.networking.k8s.io ingress-master -n nginx-ingress')
  })
})

describe('destination-cluster-unavailable: the controller cannot build its cache of the destination', () => {
  it('unreachable: the wording Argo CD v3.2 writes for a cluster that refuses connections (seen on the real controller; argo-cd #4198)', () => {
    const f = one(comparison('Failed to load live state: failed to get cluster info for "https://10.1.2.3:6443": error synchronizing cache state : failed to get server version: Get "https://10.1.2.3:6443/version?timeout=32s": dial tcp 10.1.2.3:6443: connect: connection refused'), 'destination-cluster-unavailable')
    expect(f.title).to.equal('Destination cluster https://10.1.2.3:6443 is unreachable')
    expect(f.severity).to.equal('critical')
    expect(f.fix.command).to.equal(null)
    expect(f.fix.steps.join(' ')).to.include('argocd cluster get https://10.1.2.3:6443')
    // Not mistaken for the repo-server (the old reading of "connection refused").
    expect(ids(comparison('Failed to load live state: failed to get cluster info for "https://10.1.2.3:6443": dial tcp 10.1.2.3:6443: connect: connection refused'))).to.not.include('repo-server-unavailable')
  })

  it('a broken API on the destination (kubernetes-sigs/kueue#9051): names the schema workaround, not hard-refresh', () => {
    const f = one(comparison('Failed to load target state: failed to get cluster version for cluster "https://x.x.x.x": failed to get cluster info for "https://x.x.x.x": error synchronizing cache state: failed to load open api schema while syncing cluster cache: error getting openapi resources: SchemaError(sigs.k8s.io/kueue/apis/visibility/v1beta1.PendingWorkloadsSummary.items): unknown model in reference: "sigs.k8s.io~1kueue~1apis~1visibility~1v1beta1.PendingWorkload"'), 'destination-cluster-unavailable')
    expect(f.title).to.equal('A broken API on https://x.x.x.x stops the controller\'s cluster cache')
    expect(f.fix.steps.join(' ')).to.include('ARGOCD_CLUSTER_CACHE_LOAD_OPEN_API_SCHEMA=false')
    expect(f.fix.steps.join(' ')).to.not.include('hard-refresh')
  })

  it('a plain repo-server timeout is still the repo-server', () => {
    expect(ids(comparison('rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.96.0.12:8081: connect: connection refused"'))).to.include('repo-server-unavailable')
  })
})

describe('causes from the message catalogue (messages from the emitters)', () => {
  it('a built-in kind at a removed apiVersion is the removal, not a missing CRD (util/argo/argo.go@v3.6.2 wording)', () => {
    const msg = 'The Kubernetes API could not find extensions/Ingress for requested resource my-ns/web. Make sure the "Ingress" CRD is installed on the destination cluster.'
    const a = failed(`one or more synchronization tasks are not valid: ${msg}`, [{group: 'extensions', version: 'v1beta1', kind: 'Ingress', name: 'web', namespace: 'my-ns', status: 'SyncFailed', message: msg}])
    expect(ids(a)).to.deep.equal(['sync-failed-removed-api'])
    const f = one(a, 'sync-failed-removed-api')
    expect(f.title).to.equal('Sync failed: Ingress extensions/v1beta1 was removed in Kubernetes 1.22')
    expect(f.fix.steps[0]).to.include('apiVersion: networking.k8s.io/v1')
    expect(f.refines).to.equal('sync-failed')
  })

  it('a bare "one or more synchronization tasks are not valid" is not called a missing CRD', () => {
    const a = failed('one or more synchronization tasks are not valid', [])
    expect(ids(a)).to.deep.equal(['sync-failed-tasks-not-valid'])
  })

  it('a repo-server whose helm was killed (OOM) is not a Helm error in Git (bitnami/charts#27091)', () => {
    const a = comparison('Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `helm template . --name-template api --namespace prod --values /tmp/values.yaml` failed signal: killed')
    expect(ids(a)).to.deep.equal(['comparison-error-repo-server-killed'])
    const f = one(a, 'comparison-error-repo-server-killed')
    expect(f.explanation).to.include('OOM').and.not.include('fixed in Git')
    expect(f.fix.steps[0]).to.include('argocd-repo-server').and.include('OOMKilled')
  })

  it('quota exceeded names the quota and the numbers (resourcequota/controller.go@v0.35.0)', () => {
    const m = 'pods "db-migrate-x" is forbidden: exceeded quota: compute-quota, requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi'
    const f = one(failed(`one or more objects failed to apply, reason: ${m}`, [{kind: 'Pod', version: 'v1', name: 'db-migrate-x', namespace: 'my-ns', status: 'SyncFailed', message: m}]), 'sync-failed-quota-exceeded')
    expect(f.title).to.equal('Sync failed: ResourceQuota compute-quota is exceeded')
    expect(f.fix.steps[0]).to.equal('See the quota: kubectl describe resourcequota compute-quota -n my-ns')
  })

  it('annotations too long: server-side apply, with the retry command (both API server wordings)', () => {
    for (const words of ['must have at most', 'may not be more than']) {
      const m = `CustomResourceDefinition.apiextensions.k8s.io "prometheuses.monitoring.coreos.com" is invalid: metadata.annotations: Too long: ${words} 262144 bytes`
      const f = one(failed(`one or more objects failed to apply, reason: ${m}`, [{group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', name: 'prometheuses.monitoring.coreos.com', status: 'SyncFailed', message: m}]), 'sync-failed-annotations-too-long')
      expect(f.fix.steps[0]).to.equal('Sync it with server-side apply, which stores no such annotation: argo-doctor retry-sync my-app -n argocd --server-side')
    }
  })

  it('a Degraded Deployment past its progress deadline gets the cause from its health message (health_deployment.go@v3.6.2)', () => {
    const a = app({status: {sync: {status: 'Synced'}, health: {status: 'Degraded'}, resources: [{group: 'apps', version: 'v1', kind: 'Deployment', name: 'web', namespace: 'my-ns', status: 'Synced', health: {status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline'}}]}})
    const f = one(a, 'health-progress-deadline')
    expect(f.severity).to.equal('warning')
    expect(f.fix.steps[0]).to.include('kubectl rollout status deployment/web -n my-ns')
  })

  it('an image that cannot be pulled (image_manager.go): info while Progressing, and left out across a fleet', () => {
    const a = app({status: {sync: {status: 'Synced'}, health: {status: 'Progressing'}, resources: [{group: 'apps', version: 'v1', kind: 'Deployment', name: 'web', namespace: 'my-ns', status: 'Synced', health: {status: 'Progressing', message: 'Back-off pulling image "registry.example.com/web:1.2.4"'}}]}})
    expect(one(a, 'health-image-pull').severity).to.equal('info')
    expect(diagnose(a, undefined, NOW, {style, fleet: true}).map((f) => f.id)).not.to.include('health-image-pull')
  })

  it('a resource held by finalizers while deleted (health.go@v3.6.2)', () => {
    const a = app({status: {sync: {status: 'Synced'}, health: {status: 'Progressing'}, resources: [{version: 'v1', kind: 'PersistentVolumeClaim', name: 'data', namespace: 'my-ns', status: 'Synced', health: {status: 'Progressing', message: 'Pending deletion; blocked by finalizers: kubernetes.io/pvc-protection'}}]}})
    const f = one(a, 'deletion-blocked-by-finalizers')
    expect(f.title).to.equal('PersistentVolumeClaim my-ns/data is being deleted, held by finalizers kubernetes.io/pvc-protection')
    expect(f.fix.steps[0]).to.include('kubectl get persistentvolumeclaim data -n my-ns')
  })

  it('cluster text in a capture is shell-quoted inside commands', () => {
    const m = 'pods "x" is forbidden: exceeded quota: q$(id), requested: cpu=1, used: cpu=1, limited: cpu=1'
    const f = one(failed(m, [{kind: 'Pod', version: 'v1', name: 'x', namespace: 'my ns', status: 'SyncFailed', message: m}]), 'sync-failed-quota-exceeded')
    expect(f.fix.steps[0]).to.equal("See the quota: kubectl describe resourcequota 'q$(id)' -n 'my ns'")
  })
})
