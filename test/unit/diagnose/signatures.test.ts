import {expect} from 'chai'
import {diagnose, type Finding, type Related} from '../../../src/lib/diagnose/index.js'
import {relatedFromFile, relatedWants} from '../../../src/lib/diagnose/related.js'
import {EXAMPLE_NOW, issueApp, seedApp} from '../../fixtures/examples.js'
import type {Application} from '../../../src/lib/app.js'

/** One describe per incident signature, on states from the seeds and from real Argo CD issues (examples/). */

const NOW = EXAMPLE_NOW
const at = (iso: string) => new Date(iso)
const run = (app: Application, related?: Related, now = NOW, fleet = false) => diagnose(app, related, now, {style: {bin: 'kubectl argo-doctor'}, fleet})
const ids = (app: Application, related?: Related, now = NOW, fleet = false) => run(app, related, now, fleet).map((f) => f.id)
function one(app: Application, id: string, related?: Related, now = NOW, fleet = false): Finding {
  const f = run(app, related, now, fleet).find((x) => x.id === id)
  if (!f) throw new Error(`no ${id} finding; got: ${ids(app, related, now, fleet).join(', ') || 'none'}`)
  return f
}

const evidence = (f: Finding) => Object.fromEntries(f.evidence.map((e) => [e.path, e.value]))

describe('diagnose: incident signatures', () => {
  describe('operation-stuck-no-operation (1: Running with no operation; terminate-op refuses)', () => {
    it('flags the billing app (Running 3h, no top-level operation) and offers unstick', () => {
      const f = one(issueApp('billing'), 'operation-stuck-no-operation')
      expect(f.severity).to.equal('critical')
      expect(f.fix.command).to.equal('kubectl argo-doctor unstick billing -n argocd')
      expect(f.explanation).to.match(/No operation is in progress/)
      expect(evidence(f)).to.include({'status.operationState.phase': 'Running', operation: null})
      expect(f.title).to.include('3h7m')
    })

    it('leaves a young operation alone (info only: it may still be working)', () => {
      const app = issueApp('billing')
      app.status!.operationState!.startedAt = '2026-01-02T00:10:00Z'
      expect(ids(app)).to.deep.equal(['operation-in-progress'])
      expect(run(app)[0].severity).to.equal('info')
    })

    it('also covers a Terminating phase that nothing will finish', () => {
      const app = issueApp('billing')
      app.status!.operationState!.phase = 'Terminating'
      expect(one(app, 'operation-stuck-no-operation').title).to.match(/Terminating/)
    })
  })

  describe('self-wait (2: App-of-Apps waits for its own health; seeds 000/001)', () => {
    it('explains the deadlock, supersedes the generic stuck finding, and gives the temporary and permanent fixes', () => {
      const app = seedApp('wealist-apps-prod')
      expect(ids(app)).to.deep.equal(['self-wait'])
      const f = one(app, 'self-wait')
      expect(f.severity).to.equal('critical')
      expect(f.fix.command).to.equal('kubectl argo-doctor unstick wealist-apps-prod -n argocd')
      expect(f.fix.steps[0]).to.include('kubectl argo-doctor unstick wealist-apps-prod -n argocd --exclude-self <file>')
      expect(f.fix.steps[1]).to.match(/move the root Application's manifest out of the directory it watches \(`k8s\/argocd\/apps\/prod`\)/)
      expect(f.explanation).to.match(/terminate-op` refuses/)
      expect(f.explanation).to.match(/only buys time/)
    })

    it('with a top-level operation set it does not claim terminate-op refuses', () => {
      const app = seedApp('wealist-apps-prod')
      app.operation = {initiatedBy: {automated: true}, sync: {revision: '5f2c9e1a'}}
      const f = one(app, 'self-wait')
      expect(f.explanation).not.to.match(/terminate-op/)
      expect(evidence(f)['operation.initiatedBy.automated']).to.equal(true)
    })

    it('names the source for a multi-source app (--source-index)', () => {
      const app = seedApp('wealist-apps-prod')
      app.spec.sources = [{repoURL: 'https://charts.example.com', chart: 'common', targetRevision: '1.0.0'}, {...app.spec.source!}]
      delete app.spec.source
      expect(one(app, 'self-wait').fix.steps[0]).to.include('--exclude-self <file> --source-index 1 —')
    })

    it('says directory.exclude does not apply to a Helm source', () => {
      const app = seedApp('wealist-apps-prod')
      app.spec.source = {repoURL: 'https://charts.example.com', chart: 'apps', targetRevision: '1.0.0', helm: {valueFiles: ['prod.yaml']}}
      expect(one(app, 'self-wait').fix.steps[0]).to.match(/directory\.exclude does not apply/)
    })

    it('is not triggered by waiting for a different Application', () => {
      const app = seedApp('wealist-apps-prod')
      app.status!.operationState!.message = 'waiting for healthy state of argoproj.io/Application/auth-service-prod'
      expect(ids(app)).to.deep.equal(['operation-stuck-no-operation'])
    })
  })

  describe('hook-never-completes (3: "waiting for completion of hook" forever)', () => {
    it('offers unstick, then force-presync, and names the likely cause without related objects', () => {
      const f = one(issueApp('payments'), 'hook-never-completes')
      expect(f.severity).to.equal('critical')
      expect(f.fix.command).to.equal('kubectl argo-doctor unstick payments -n argocd')
      expect(f.fix.steps[0]).to.include('kubectl argo-doctor force-presync payments -n argocd')
      expect(f.explanation).to.match(/ttlSecondsAfterFinished/)
      expect(f.explanation).to.match(/first asks the controller to terminate/)
      expect(evidence(f)['status.operationState.syncResult.resources[0].hookPhase']).to.equal('Running')
    })

    it('says the Job is gone when the related read got 404', () => {
      const related: Related = {notes: [], jobs: {'payments/db-migrate': {status: 'missing'}}}
      const f = one(issueApp('payments'), 'hook-never-completes', related)
      expect(evidence(f)['Job payments/db-migrate']).to.equal('NotFound')
      expect(f.explanation).to.match(/no longer exists/)
    })

    it('when the Job is still running, the hook itself is the problem: no command, look at the Job', () => {
      const related: Related = {notes: [], jobs: {'payments/db-migrate': {status: 'found', value: {namespace: 'payments', name: 'db-migrate', active: 1, succeeded: 0, failed: 0, startTime: '2026-01-01T22:01:06Z', conditions: []}}}}
      const f = one(issueApp('payments'), 'hook-never-completes', related)
      expect(f.severity).to.equal('warning')
      expect(f.fix.command).to.equal(null)
      expect(f.fix.steps.join('\n')).to.include('kubectl logs job/db-migrate -n payments')
    })

    it('gives a young hook time', () => {
      expect(ids(issueApp('payments'), undefined, at('2026-01-01T22:05:00Z'))).to.deep.equal(['operation-in-progress'])
    })
  })

  describe('presync-never-ran (4: hooks never ran on a Synced app; seed 002)', () => {
    it('tells a single-app explain that revision 9c41d7e2 was never synced, so its hooks did not run', () => {
      const f = one(seedApp('db-init-prod'), 'presync-never-ran')
      expect(f.severity).to.equal('info')
      expect(f.fix.command).to.equal('kubectl argo-doctor force-presync db-init-prod -n argocd')
      expect(evidence(f)).to.include({'status.sync.revision': '9c41d7e2b5a80f3e6d1c2b4a5f6e7d8c9b0a1f23', 'status.operationState.syncResult.revision': '3a9f0e1c7d2b4e6f8a0c1d3e5f7b9a2c4d6e8f01'})
      expect(f.explanation).to.match(/kubectl patch \.operation/)
    })

    it('stays quiet across a fleet without hooks in sight (a monorepo moves every app\'s revision)', () => {
      expect(ids(seedApp('db-init-prod'), undefined, NOW, true)).to.deep.equal([])
    })

    it('is a warning when the app has hooks (a live hook Job), also across a fleet', () => {
      const app = seedApp('db-init-prod')
      app.status!.resources!.push({group: 'batch', kind: 'Job', name: 'db-init-prod', namespace: 'wealist-prod', version: 'v1', hook: true})
      expect(one(app, 'presync-never-ran', undefined, NOW, true).severity).to.equal('warning')
    })

    it('says nothing when the last sync ran at the synced revision', () => {
      const app = seedApp('db-init-prod')
      app.status!.sync!.revision = app.status!.operationState!.syncResult!.revision
      expect(ids(app)).to.deep.equal([])
    })
  })

  describe('hpa-replicas-drift (5: HPA vs replicas OutOfSync loop)', () => {
    it('flags board-service (HPA board-service-hpa) and offers ignore-status', () => {
      const f = one(seedApp('board-service-prod'), 'hpa-replicas-drift')
      expect(f.severity).to.equal('warning')
      expect(f.fix.command).to.equal('kubectl argo-doctor ignore-status board-service-prod -n argocd')
      expect(f.explanation).to.match(/RespectIgnoreDifferences=true/)
      expect(f.explanation).to.match(/selfHeal/)
    })

    it('points at the missing RespectIgnoreDifferences when /spec/replicas is already ignored', () => {
      const app = seedApp('board-service-prod')
      app.spec.ignoreDifferences = [{group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas']}]
      const f = one(app, 'hpa-replicas-drift')
      expect(f.explanation).to.match(/without sync option RespectIgnoreDifferences=true the ignored field is still applied/)
      expect(evidence(f)['spec.ignoreDifferences[0]']).to.equal('apps/Deployment: /spec/replicas')
    })

    it('trusts the HPA objects when they were read: none scales this Deployment → no finding', () => {
      const related: Related = {notes: [], hpas: [{namespace: 'wealist-prod', name: 'board-service-hpa', target: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'board-worker'}}]}
      // No HPA explains it: the OutOfSync Deployment is still reported, generically.
      expect(ids(seedApp('board-service-prod'), related)).to.deep.equal(['resources-out-of-sync'])
    })

    it('needs an HPA: an OutOfSync Deployment alone is not blamed on one (unexplained-drift names it instead)', () => {
      const app = seedApp('board-service-prod')
      app.status!.resources = app.status!.resources!.filter((r) => r.kind !== 'HorizontalPodAutoscaler')
      expect(ids(app)).to.deep.equal(['unexplained-drift'])
    })
  })

  describe('operator-defaults-drift (6: ESO / CRD defaults)', () => {
    it('flags the ExternalSecret of external-secrets-config-prod and mentions ServerSideDiff', () => {
      const f = one(seedApp('external-secrets-config-prod'), 'operator-defaults-drift')
      expect(f.fix.command).to.equal('kubectl argo-doctor ignore-status external-secrets-config-prod -n argocd')
      expect(f.explanation).to.match(/conversionStrategy/).and.match(/ServerSideDiff=true/)
    })

    it('does not blame defaults for a resource another app also owns (SharedResourceWarning explains it)', () => {
      expect(ids(seedApp('argocd-config'))).not.to.include('operator-defaults-drift')
    })
  })

  describe('webhook-cabundle-drift (7: caBundle / APIService)', () => {
    it('teaches that /status on an APIService only matters on Argo CD 2.x', () => {
      const f = one(seedApp('metrics-server'), 'webhook-cabundle-drift')
      expect(f.explanation).to.match(/since 3\.0 resource status is ignored in diffs by default/)
      expect(f.fix.command).to.equal('kubectl argo-doctor ignore-status metrics-server -n argocd')
    })

    it('covers a MutatingWebhookConfiguration whose caBundle cert-manager injects', () => {
      const app = seedApp('metrics-server')
      app.status!.resources = [{group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', name: 'cert-manager-webhook', status: 'OutOfSync', version: 'v1'}]
      expect(one(app, 'webhook-cabundle-drift').explanation).to.match(/cainjector/)
    })
  })

  describe('manifest-generation-cached (8) and other ComparisonErrors', () => {
    it('a cached error whose cause is in Git: fix first, hard-refresh last (never first)', () => {
      const f = one(issueApp('platform-ingress'), 'comparison-error-render')
      expect(f.refines).to.equal('manifest-generation-cached')
      expect(f.fix.command).to.equal(null)
      expect(f.explanation).to.include('values-prod.yaml: no such file or directory')
      expect(f.fix.steps.at(-1)).to.match(/^Then: kubectl argo-doctor hard-refresh platform-ingress -n argocd — the repo-server serves this error from its cache/)
      expect(ids(issueApp('platform-ingress'))).to.deep.equal(['comparison-error-render'])
    })

    it('a cached error with no known cause still offers hard-refresh (manifest-generation-cached)', () => {
      const app = issueApp('platform-ingress')
      app.status!.conditions = [{type: 'ComparisonError', message: 'rpc error: code = Unknown desc = Manifest generation error (cached): something odd happened', lastTransitionTime: '2026-01-02T00:05:00Z'}]
      const f = one(app, 'manifest-generation-cached')
      expect(f.fix.command).to.equal('kubectl argo-doctor hard-refresh platform-ingress -n argocd')
    })

    it('tells a repo-server outage from a manifest error by its text', () => {
      const app = issueApp('platform-ingress')
      app.status!.conditions = [{type: 'ComparisonError', message: 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.96.143.7:8081: connect: connection refused"', lastTransitionTime: '2026-01-02T00:05:00Z'}]
      const f = one(app, 'repo-server-unavailable')
      expect(f.fix.command).to.equal(null)
      expect(f.fix.steps.join(' ')).to.include('argocd-repo-server')
      expect(ids(app)).not.to.include('comparison-error')
    })

    it('reports a genuine generation error by its tool (comparison-error-render, refines comparison-error)', () => {
      const app = issueApp('platform-ingress')
      app.status!.conditions = [{type: 'ComparisonError', message: 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `kustomize build <path to cached source>/apps/x` failed exit status 1: Error: accumulating resources: accumulation err=\'accumulating resources from \'../base\': no such file or directory\''}]
      expect(ids(app)).to.deep.equal(['comparison-error-render'])
      expect(one(app, 'comparison-error-render').refines).to.equal('comparison-error')
      app.status!.conditions = [{type: 'ComparisonError', message: 'something no rule knows'}]
      expect(ids(app)).to.deep.equal(['comparison-error'])
    })
  })

  describe('deletion-stuck-finalizer (9: unstick does not help)', () => {
    it('PreDelete hooks cannot run (namespace gone, argocd-diff-preview #414): quotes the DeletionError and names unblock-delete', () => {
      const f = one(issueApp('zookeeper-operator'), 'deletion-stuck-finalizer')
      expect(f.severity).to.equal('critical')
      expect(f.fix.command).to.equal('kubectl argo-doctor unblock-delete zookeeper-operator -n argocd')
      expect(f.explanation).to.match(/`unstick` does not help/)
      expect(f.explanation).to.include('namespaces "zookeeper-operator" not found')
      expect(f.fix.steps.join('\n')).not.to.include('"path":"/metadata/finalizers"')
      expect(ids(issueApp('zookeeper-operator'))).not.to.include('condition-deletion-error')
    })

    it('when a leftover operation blocks the deletion, clearing it is the fix', () => {
      const app = issueApp('zookeeper-operator')
      app.operation = {initiatedBy: {automated: true}, sync: {revision: '0.2.15'}}
      expect(one(app, 'deletion-stuck-finalizer').fix.command).to.equal('kubectl argo-doctor unstick zookeeper-operator -n argocd')
    })

    it('names the silent wait for Delete=confirm approval, and approve-prune as the fix', () => {
      const app = issueApp('zookeeper-operator')
      app.status!.conditions = []
      app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
      app.status!.resources![0].requiresDeletionConfirmation = true
      const f = one(app, 'deletion-stuck-finalizer')
      expect(f.explanation).to.match(/waiting, without any error, for approval/)
      expect(f.fix.command).to.equal('kubectl argo-doctor approve-prune zookeeper-operator -n argocd')
      expect(f.fix.steps[0]).to.include('argocd app confirm-deletion zookeeper-operator')
    })

    it('an approval written after the deletion was requested counts (IsDeletionConfirmed(deletionTimestamp))', () => {
      const app = issueApp('zookeeper-operator')
      app.status!.conditions = []
      app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
      app.status!.resources![0].requiresDeletionConfirmation = true
      app.metadata.annotations = {'argocd.argoproj.io/deletion-approved': '2026-01-01T23:40:12Z'}
      expect(one(app, 'deletion-stuck-finalizer').fix.command).to.equal('kubectl argo-doctor unblock-delete zookeeper-operator -n argocd')
    })

    it('an unreachable destination cluster (argo-cd #4198: "dial tcp … no such host") names unblock-delete', () => {
      const app = issueApp('zookeeper-operator')
      app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
      app.spec.destination = {server: 'https://58BE80313EAF.sk1.us-east-1.eks.amazonaws.com', namespace: 'zk'}
      app.status!.conditions = [{type: 'DeletionError', message: 'Get "https://58BE80313EAF.sk1.us-east-1.eks.amazonaws.com/version?timeout=32s": dial tcp: lookup 58BE80313EAF.sk1.us-east-1.eks.amazonaws.com on 172.20.0.10:53: no such host'}]
      const f = one(app, 'deletion-stuck-finalizer')
      expect(f.fix.command).to.equal('kubectl argo-doctor unblock-delete zookeeper-operator -n argocd')
      expect(f.explanation).to.match(/cannot be reached/)
      expect(evidence(f)).to.include({'spec.destination': 'https://58BE80313EAF.sk1.us-east-1.eks.amazonaws.com'})
    })

    it('a DeletionError that is not about the destination (RBAC): fix the error; unblock-delete --force only as the last resort', () => {
      const app = issueApp('zookeeper-operator')
      app.metadata.finalizers = ['resources-finalizer.argocd.argoproj.io']
      app.status!.conditions = [{type: 'DeletionError', message: 'clusterroles.rbac.authorization.k8s.io "zookeeper-operator" is forbidden: User "system:serviceaccount:argocd:argocd-application-controller" cannot delete resource "clusterroles"'}]
      const f = one(app, 'deletion-stuck-finalizer')
      expect(f.fix.command).to.equal(null)
      expect(f.fix.steps.at(-1)).to.include('unblock-delete zookeeper-operator -n argocd --force')
    })

    it('a PreDelete hook Job that runs (requiresPruning and hook both set by the controller) is the hook the deletion waits for, not a resource waiting to be pruned', () => {
      const app = issueApp('zookeeper-operator')
      app.status!.conditions = []
      app.metadata.finalizers = ['pre-delete-finalizer.argocd.argoproj.io', 'resources-finalizer.argocd.argoproj.io']
      app.status!.resources!.push({group: 'batch', version: 'v1', kind: 'Job', namespace: 'zookeeper-operator', name: 'drain', hook: true, requiresPruning: true})
      expect(ids(app)).to.include('deletion-stuck-finalizer').and.not.include('resources-require-pruning')
      const plain = issueApp('zookeeper-operator')
      plain.status!.resources!.push({version: 'v1', kind: 'ConfigMap', namespace: 'zookeeper-operator', name: 'old', status: 'OutOfSync', requiresPruning: true})
      expect(ids(plain), 'a resource (not a hook) no longer in Git still is').to.include('resources-require-pruning')
    })

    it('gives a fresh deletion time', () => {
      const app = issueApp('zookeeper-operator')
      app.status!.conditions = []
      expect(ids(app, undefined, at('2026-01-01T23:41:00Z'))).to.deep.equal(['app-deleting'])
    })
  })

  describe('prune-awaiting-confirmation (10: deletion-approved, not unstick)', () => {
    it('says the sync is waiting for a human and names approve-prune (argo-cd #25193)', () => {
      const f = one(issueApp('legacy-crons'), 'prune-awaiting-confirmation')
      expect(f.fix.command).to.equal('kubectl argo-doctor approve-prune legacy-crons -n argocd')
      expect(f.explanation).to.match(/not stuck/).and.match(/Unsticking would throw the sync away/)
      expect(f.fix.steps[0]).to.include('argocd app confirm-deletion legacy-crons')
      expect(ids(issueApp('legacy-crons'))).to.deep.equal(['prune-awaiting-confirmation'])
    })

    it('infers it without the message, from requiresPruning and Prune=confirm', () => {
      const app = issueApp('legacy-crons')
      app.status!.operationState!.message = 'waiting for healthy state of batch/CronJob/weekly-digest'
      expect(one(app, 'prune-awaiting-confirmation').title).to.match(/2 resources/)
    })

    it('requiresPruning alone (no Prune=confirm anywhere, no message) is not a confirmation wait', () => {
      const app = issueApp('legacy-crons')
      app.status!.operationState!.message = 'waiting for healthy state of batch/CronJob/weekly-digest'
      app.spec.syncPolicy = {}
      app.operation!.sync!.syncOptions = []
      app.status!.operationState!.operation!.sync!.syncOptions = []
      expect(ids(app)).not.to.include('prune-awaiting-confirmation')
    })

    it('an approval older than the operation does not count', () => {
      const app = issueApp('legacy-crons')
      app.metadata.annotations = {'argocd.argoproj.io/deletion-approved': '2025-12-01T00:00:00Z'}
      expect(one(app, 'prune-awaiting-confirmation').explanation).to.match(/only covers operations that started at or before that time/)
    })

    it('an approval at or after the operation start already covers it: no command to run', () => {
      const app = issueApp('legacy-crons')
      app.metadata.annotations = {'argocd.argoproj.io/deletion-approved': '2026-01-01T21:30:12Z'}
      const f = one(app, 'prune-awaiting-confirmation')
      expect(f.fix.command).to.equal(null)
      expect(f.explanation).to.match(/already covers this operation/)
    })
  })

  describe('sync-window-blocked (11: wait or change the window)', () => {
    it('has no command and says unstick will not help', () => {
      const f = one(issueApp('staging-gitops'), 'sync-window-blocked')
      expect(f.fix.command).to.equal(null)
      expect(f.explanation).to.match(/Do not unstick first/)
      expect(f.fix.steps[0]).to.include('argocd proj windows list staging')
    })

    it('lists the project\'s windows as evidence when the AppProject was read', () => {
      const related: Related = {notes: [], project: {status: 'found', value: {name: 'staging', sourceNamespaces: [], syncWindows: [
        {kind: 'deny', schedule: '0 17 * * *', duration: '14h', applications: ['*'], timeZone: 'UTC'},
      ]}}}
      const f = one(issueApp('staging-gitops'), 'sync-window-blocked', related)
      const line = f.evidence.find((e) => e.path === 'AppProject staging spec.syncWindows[0]')!
      expect(line.value).to.match(/^deny window "0 17 \* \* \*" for 14h/)
      expect(line.note).to.equal('open now')
    })
  })

  describe('config-not-rolled-out (12: Synced, but pods still run the old config)', () => {
    it('gives the exact rollout restart and the checksum annotation fix', () => {
      const f = one(seedApp('storage-service-prod'), 'config-not-rolled-out')
      expect(f.fix.command).to.equal(null)
      expect(f.fix.steps[0]).to.equal('kubectl rollout restart deployment/storage-service -n wealist-prod')
      expect(f.fix.steps[1]).to.match(/checksum\/config/)
    })

    it('is quiet when the Deployment changed in the same sync (checksum annotation works)', () => {
      const app = seedApp('storage-service-prod')
      app.status!.operationState!.syncResult!.resources![2].message = 'deployment.apps/storage-service configured'
      expect(ids(app)).to.deep.equal([])
    })
  })

  describe('argocd-secret-missing (13: Argo CD pruned its own secret; seeds 000/001)', () => {
    it('finds the prune in the last sync result of argocd-config and says to stop pruning first', () => {
      const f = one(seedApp('argocd-config'), 'argocd-secret-missing')
      expect(f.severity).to.equal('critical')
      expect(f.fix.command).to.equal(null)
      expect(f.fix.steps[0]).to.match(/^Stop the pruning first/)
      expect(f.explanation).to.match(/Recreating it by hand does not last/)
    })

    it('reports a missing secret read from the cluster, even from an app that does not manage it', () => {
      const related: Related = {notes: [], argocdSecret: {status: 'missing'}}
      const f = one(seedApp('auth-service-prod'), 'argocd-secret-missing', related)
      expect(f.title).to.equal('argocd-secret is missing in argocd')
      expect(f.explanation).to.match(/does not appear to manage it/)
      expect(evidence(f)['Secret argocd/argocd-secret']).to.equal('NotFound')
    })

    it('without a Secret read (403 under the default RBAC): argocd-server crash-looping on argocd-secret is the evidence', () => {
      const related: Related = {
        notes: [], argocdSecret: {status: 'unreadable', reason: 'forbidden by RBAC'},
        serverPods: {status: 'found', namespace: 'argocd', value: [{name: 'argocd-server-7d9f-x2x', phase: 'Running', ready: false, restarts: 12, waitingReason: 'CrashLoopBackOff',
          lastMessage: 'time="2026-01-02T00:10:00Z" level=fatal msg="error retrieving argocd-secret: secret \\"argocd-secret\\" not found"'}]},
      }
      const f = one(seedApp('auth-service-prod'), 'argocd-secret-missing', related)
      expect(f.title).to.equal('argocd-secret is missing in argocd')
      expect(evidence(f)['pod argocd/argocd-server-7d9f-x2x']).to.equal('CrashLoopBackOff')
      expect(f.evidence.find((e) => e.path === 'pod argocd/argocd-server-7d9f-x2x')?.note).to.match(/12 restarts; last message: .*error retrieving argocd-secret/)
      expect(evidence(f)).to.not.have.property('Secret argocd/argocd-secret')
    })

    it('a server crash-looping for another reason does not claim the secret is missing', () => {
      const related: Related = {notes: [], argocdSecret: {status: 'unreadable', reason: 'forbidden by RBAC'},
        serverPods: {status: 'found', namespace: 'argocd', value: [{name: 's', ready: false, restarts: 3, waitingReason: 'CrashLoopBackOff', lastMessage: 'redis: connection refused'}]}}
      expect(ids(seedApp('auth-service-prod'), related)).to.not.include('argocd-secret-missing')
    })

    it('never puts Secret data in the evidence', () => {
      const f = one(seedApp('argocd-config'), 'argocd-secret-missing', {notes: [], argocdSecret: {status: 'found', value: {namespace: 'argocd', name: 'argocd-secret'}}})
      expect(JSON.stringify(f)).not.to.match(/server\.secretkey\s*[:=]|admin\.password\s*[:=]/)
    })
  })

  describe('shared-resource (14: SharedResourceWarning)', () => {
    it('names the other owner', () => {
      const f = one(seedApp('argocd-config'), 'shared-resource')
      expect(f.title).to.equal('Resource also owned by external-secrets-config-prod')
      expect(f.fix.steps.join('\n')).to.include('kubectl get externalsecret.external-secrets.io argocd-oauth-secret -n argocd')
    })

    it('reads the older wording too', () => {
      const app = seedApp('argocd-config')
      app.status!.conditions = [{type: 'SharedResourceWarning', message: 'ExternalSecret/argocd-oauth-secret is part of a different application: external-secrets-config-prod'}]
      expect(one(app, 'shared-resource').title).to.equal('Resource also owned by external-secrets-config-prod')
    })
  })

  describe('controller-cannot-clear-operation-v353 (15) and operation-leftover', () => {
    it('flags the leftover operation of orders-api (phase Succeeded, no finishedAt/syncResult)', () => {
      const f = one(issueApp('orders-api'), 'operation-leftover')
      expect(f.severity).to.equal('critical')
      expect(f.fix.command).to.equal('kubectl argo-doctor unstick orders-api -n argocd')
      expect(f.explanation).to.match(/another operation is already in progress/).and.match(/no finishedAt and no syncResult/)
      expect(f.fix.steps[0]).to.match(/v3\.5\.3/)
    })

    it('names the v3.5.3 regression when the controller image says so', () => {
      const related: Related = {notes: [], argocdVersion: 'v3.5.3', controllerPods: {status: 'found', namespace: 'argocd', value: [{name: 'argocd-application-controller-0', ready: true, restarts: 0, phase: 'Running', image: 'quay.io/argoproj/argocd:v3.5.3'}]}}
      const app = issueApp('orders-api')
      expect(ids(app, related)).to.deep.equal(['controller-cannot-clear-operation-v353'])
      const f = one(app, 'controller-cannot-clear-operation-v353', related)
      expect(f.fix.docs).to.equal('https://github.com/argoproj/argo-cd/issues/29741')
      expect(f.fix.steps[0]).to.match(/Upgrade Argo CD past v3\.5\.3/)
    })

    it('other versions get the plain leftover finding', () => {
      expect(ids(issueApp('orders-api'), {notes: [], argocdVersion: 'v3.5.2'})).to.deep.equal(['operation-leftover'])
    })
  })

  describe('controller-stale (stale reconciledAt: is the controller down?)', () => {
    it('flags an app not reconciled for 6h', () => {
      const f = one(issueApp('notifications'), 'controller-stale')
      expect(f.severity).to.equal('warning')
      expect(f.fix.steps[0]).to.equal('kubectl get pods -n argocd -l app.kubernetes.io/name=argocd-application-controller')
      expect(f.fix.steps[2]).to.include('kubectl argo-doctor hard-refresh notifications -n team-a')
    })

    it('is critical when no controller pod is ready', () => {
      const related: Related = {notes: [], controllerPods: {status: 'found', namespace: 'argocd', value: [{name: 'argocd-application-controller-0', ready: false, restarts: 41, phase: 'Running', waitingReason: 'CrashLoopBackOff'}]}}
      const f = one(issueApp('notifications'), 'controller-stale', related)
      expect(f.severity).to.equal('critical')
      expect(evidence(f)['Pod argocd/argocd-application-controller-0']).to.equal('Running, not ready, CrashLoopBackOff, 41 restarts')
    })

    it('an app never reconciled since its creation long ago', () => {
      const app = issueApp('notifications')
      delete app.status!.reconciledAt
      expect(one(app, 'controller-stale').title).to.equal('Never reconciled by the application-controller')
    })
  })

  describe('sync failures and retries', () => {
    it('sync-failed: auto-sync will not retry the revision; the SyncError condition is not repeated', () => {
      const app = issueApp('reports')
      // A message no catalogue entry knows: the generic finding stays.
      for (const r of app.status!.operationState!.syncResult!.resources!) r.message = 'the cluster answered something argo-doctor has never seen'
      app.status!.operationState!.message = 'one or more objects failed to apply'
      const f = one(app, 'sync-failed')
      expect(f.explanation).to.match(/Auto-sync does not retry a revision/)
      expect(f.title).to.equal('Last sync Failed')
      expect(ids(app)).to.deep.equal(['sync-failed'])
    })

    it('sync-failed by cause: the immutable Job field of the reports app (refines sync-failed)', () => {
      const f = one(issueApp('reports'), 'sync-failed-immutable-field')
      expect(f.refines).to.equal('sync-failed')
      expect(f.title).to.equal('Sync failed after 5 retries: an immutable field changed (Deployment reports)')
      expect(ids(issueApp('reports'))).to.deep.equal(['sync-failed-immutable-field'])
    })

    it('sync-retrying: "Retrying attempt #N" while Running', () => {
      const app = issueApp('payments')
      app.status!.operationState!.message = 'one or more objects failed to apply, reason: namespaces "payments-v2" not found. Retrying attempt #2 at 11:59PM.'
      app.status!.operationState!.retryCount = 2
      expect(ids(app)).to.deep.equal(['sync-retrying'])
    })

    it('operation-stuck: an operation that runs for hours, waiting on a kind without a health check', () => {
      const app = issueApp('billing')
      app.operation = {initiatedBy: {username: 'carol'}, sync: {revision: '6a8c0e2b'}}
      app.status!.operationState!.message = 'waiting for healthy state of rbac.authorization.k8s.io/ClusterRole/billing-reader'
      const f = one(app, 'operation-stuck')
      expect(f.explanation).to.match(/missing from the controller's cache/)
      expect(f.fix.command).to.equal('kubectl argo-doctor unstick billing -n argocd')
    })
  })

  describe('conditions', () => {
    it('project-not-permitted: apps in any namespace refused by the project (UnknownError)', () => {
      const app = issueApp('notifications')
      app.status!.reconciledAt = '2026-01-02T00:11:00Z'
      app.status!.conditions = [{type: 'UnknownError', message: "application 'notifications' in namespace 'team-a' is not permitted to use project 'team-a'"}]
      const f = one(app, 'project-not-permitted')
      expect(f.fix.steps[0]).to.include('Add team-a to spec.sourceNamespaces of AppProject team-a')
      expect(ids(app)).to.deep.equal(['project-not-permitted'])
    })

    it('surfaces the others with a stable id per type', () => {
      const app = seedApp('auth-service-prod')
      app.status!.conditions = [
        {type: 'InvalidSpecError', message: 'Unable to generate manifests in k8s/helm/charts/auth-service: rpc error'},
        {type: 'OrphanedResourceWarning', message: 'Application has 2 orphaned resources'},
        {type: 'SyncError', message: 'Skipping sync attempt to 9c41d7e: auto-sync will wipe out all resources'},
      ]
      const fs = run(app)
      expect(fs.map((f) => [f.id, f.severity])).to.deep.equal([
        ['condition-invalid-spec-error', 'critical'],
        ['condition-sync-error', 'warning'],
        ['condition-orphaned-resource-warning', 'info'],
      ])
      expect(fs[1].explanation).to.match(/allowEmpty/)
    })
  })

  describe('app health Missing while the first sync runs (Argo CD v3.4+: Missing = none of the resources exists yet)', () => {
    // What a v3.6.2 controller wrote while a PreSync hook of the first sync ran (the e2e tier's S2).
    const firstSync = (): Application => ({
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {name: 'shop', namespace: 'argocd'},
      spec: {project: 'default', destination: {server: 'https://kubernetes.default.svc', namespace: 'shop'}, source: {repoURL: 'https://git.example/shop.git', path: 'app', targetRevision: 'main'}, syncPolicy: {automated: {}}},
      operation: {initiatedBy: {automated: true}, sync: {revision: 'abc'}},
      status: {
        sync: {status: 'OutOfSync', revision: 'abc'}, health: {status: 'Missing'}, reconciledAt: '2026-01-02T00:11:58Z',
        resources: [{version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'settings', status: 'OutOfSync'}],
        operationState: {phase: 'Running', message: 'waiting for completion of hook batch/Job/db-migrate', startedAt: '2026-01-02T00:11:40Z', operation: {sync: {revision: 'abc'}},
          syncResult: {revision: 'abc', resources: [{group: 'batch', version: 'v1', kind: 'Job', namespace: 'shop', name: 'db-migrate', hookType: 'PreSync', hookPhase: 'Running', message: 'job running'}]}},
      },
    } as Application)

    it('is information, not a warning, and says which versions mean what', () => {
      const f = one(firstSync(), 'app-health-missing')
      expect(f.severity).to.equal('info')
      expect(f.explanation).to.include('A sync is running and has not created them yet')
      expect(f.explanation).to.include('From Argo CD v3.4: an app is Missing only when none of its resources exists (argo-cd#25962)')
      expect(f.explanation).to.include('Before v3.4: one missing resource')
      expect(run(firstSync()).map((x) => x.severity)).to.not.include.members(['warning', 'critical'])
    })

    it('with the controller version known, says only what that version does', () => {
      const f = one(firstSync(), 'app-health-missing', {notes: [], argocdVersion: 'v3.6.2'})
      expect(f.explanation).to.include('This controller runs Argo CD v3.6.2: an app is Missing only when none of its resources exists')
      expect(f.explanation).to.not.include('Before v3.4')
      expect(one(firstSync(), 'app-health-missing', {notes: [], argocdVersion: 'v3.2.11'}).explanation).to.include('This controller runs Argo CD v3.2.11: one missing resource')
    })

    it('is a warning again once the sync is no longer young, or when no sync runs', () => {
      const idle = firstSync()
      delete idle.operation
      idle.status!.operationState = {...idle.status!.operationState!, phase: 'Failed', message: 'boom', finishedAt: '2026-01-02T00:11:50Z'}
      expect(one(idle, 'app-health-missing').severity).to.equal('warning')
      expect(one(firstSync(), 'app-health-missing', undefined, new Date('2026-01-02T00:45:00Z')).severity).to.equal('warning')
    })
  })

  describe('resource health kept in the app tree (Argo CD 3.x default: status.resourceHealthSource appTree)', () => {
    // As a v3.6.2 controller writes it: the app is Degraded, status.resources has no health at all.
    const app = (): Application => ({
      apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {name: 'web', namespace: 'argocd'},
      spec: {project: 'default', destination: {server: 'https://kubernetes.default.svc', namespace: 'shop'}, source: {repoURL: 'https://git.example/shop.git', path: 'web', targetRevision: 'main'}},
      status: {
        sync: {status: 'Synced', revision: 'b2'}, health: {status: 'Degraded', lastTransitionTime: '2026-01-02T00:05:00Z'}, resourceHealthSource: 'appTree', reconciledAt: '2026-01-02T00:11:50Z',
        resources: [{group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop', name: 'web', status: 'Synced'}, {version: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'cfg', status: 'Synced'}],
        operationState: {phase: 'Succeeded', message: 'successfully synced (all tasks run)', startedAt: '2026-01-02T00:04:00Z', finishedAt: '2026-01-02T00:04:05Z', operation: {sync: {revision: 'b2'}}},
      },
    } as Application)
    const image = 'registry.example/web:2'
    const objects = [
      {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'web', namespace: 'shop', generation: 2}, spec: {selector: {matchLabels: {app: 'web'}}, template: {spec: {containers: [{name: 'web', image}]}}},
        status: {observedGeneration: 2, replicas: 1, unavailableReplicas: 1, conditions: [{type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-6d4" has timed out progressing.'}]}},
      {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web-6d4-x', namespace: 'shop', labels: {app: 'web'}}, spec: {containers: [{name: 'web', image}]},
        status: {phase: 'Pending', containerStatuses: [{name: 'web', image, ready: false, restartCount: 0, state: {waiting: {reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"`}}}]}},
    ]

    it('reads the workloads (not the ConfigMap) and names the one whose live objects say why', () => {
      expect(relatedWants(app(), NOW).health!.map((w) => w.key)).to.deep.equal(['apps/Deployment/shop/web'])
      const related = relatedFromFile(objects, app(), relatedWants(app(), NOW))
      const f = one(app(), 'resource-degraded', related)
      expect(f.title).to.equal(`Deployment.apps shop/web is Degraded: container "web" of pod web-6d4-x cannot pull image "${image}" (ImagePullBackOff): Back-off pulling image "${image}"`)
      expect(f.evidence[0]).to.deep.include({path: 'status.health.status', value: 'Degraded'})
      expect(f.evidence[0].note).to.include('status.resourceHealthSource: appTree')
    })

    it('with health persisted in status.resources, nothing changes (no extra reads)', () => {
      const inline = app()
      delete inline.status!.resourceHealthSource
      expect(relatedWants(inline, NOW).health).to.deep.equal([])
    })
  })
})

