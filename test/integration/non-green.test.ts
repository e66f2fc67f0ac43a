import {join} from 'node:path'
import {expect} from 'chai'
import {ROOT, runCli, jsonOut} from '../support/cli.js'

/**
 * Hand-made non-green states (test/fixtures/non-green/), explained offline by the built CLI: each
 * one names the resource and the cause, and exits 20. Several are `kind: List` files that hold the
 * workload, its Pods and Events next to the Application, as `kubectl get … -o yaml` saves them.
 */
const fixture = (name: string) => join(ROOT, 'test', 'fixtures', 'non-green', `${name}.yaml`)

async function explain(name: string, extra: string[] = []): Promise<{text: string; findings: any[]; exitCode: number}> {
  const human = await runCli(['explain', '-f', fixture(name), ...extra], {env: {NO_COLOR: '1', ARGO_DOCTOR_NOW: undefined}})
  const json = await runCli(['explain', '-f', fixture(name), '--json', ...extra], {env: {ARGO_DOCTOR_NOW: undefined}})
  expect(human.exitCode, human.stderr).to.equal(json.exitCode)
  return {text: human.stdout, findings: (await jsonOut(json.stdout)).findings, exitCode: human.exitCode}
}

describe('explain names the resource and the cause of hand-made non-green states (built CLI, -f)', function () {
  this.timeout(60_000)

  it('Degraded: a Deployment past its progress deadline, because its image cannot be pulled; roll back', async () => {
    const r = await explain('degraded-progress-deadline')
    expect(r.exitCode).to.equal(20)
    const f = r.findings.find((x) => x.id === 'resource-degraded')
    expect(f.severity).to.equal('warning')
    expect(f.title).to.match(/^Deployment\.apps shop\/web is Degraded: container "web" of pod web-7c9f8d6b5-x2k4q cannot pull image "registry\.example\.com\/shop\/web:1\.4\.3" \(ImagePullBackOff\)/)
    expect(f.evidence).to.deep.include({path: 'Deployment shop/web status.conditions[Progressing]', value: 'ProgressDeadlineExceeded', note: 'ReplicaSet "web-7c9f8d6b5" has timed out progressing.'})
    expect(f.evidence.map((e: any) => e.path)).to.include('Event Pod/web-7c9f8d6b5-x2k4q Failed')
    expect(f.fix.steps.join('\n')).to.include('revision 9e1f2a7c4b, deployed 20m ago; before it the app ran 3b8d0c51aa').and.include('argo-doctor rollback shop -n argocd')
    expect(r.text).to.not.include('No problems found')
  })

  it('Missing: a Service in Git that was never created; sync it', async () => {
    const r = await explain('missing')
    expect(r.exitCode).to.equal(20)
    const f = r.findings.find((x) => x.id === 'resource-missing')
    expect(f.title).to.equal('Service checkout/checkout-internal is Missing')
    expect(f.explanation).to.include('does not exist in the cluster')
    expect(f.fix.steps.join('\n')).to.include('argocd app sync checkout --app-namespace argocd --resource :Service:checkout/checkout-internal')
  })

  it('Unknown: a custom resource whose Lua health check errors; the check is at fault, and the file lacks the object', async () => {
    const r = await explain('unknown-lua-health')
    const f = r.findings.find((x) => x.id === 'resource-unknown')
    expect(f.severity).to.equal('warning')
    expect(f.title).to.equal('KafkaTopic.kafka.strimzi.io kafka/orders is Unknown: <string>:6: attempt to index a non-table object(nil) with key \'conditions\'')
    expect(f.fix.steps.join('\n')).to.include('resource.customizations.health.kafka.strimzi.io_KafkaTopic')
      .and.include('The -f file does not hold the KafkaTopic itself (kubectl get kafkatopic.kafka.strimzi.io orders -n kafka -o yaml)')
  })

  it('Suspended: a CronJob suspended in Git is informational, still not green (exit 20)', async () => {
    const r = await explain('suspended-cronjob')
    expect(r.exitCode).to.equal(20)
    expect(r.findings.map((x) => `${x.severity}:${x.id}`)).to.deep.equal(['info:resource-suspended'])
    expect(r.findings[0].title).to.equal('CronJob.batch reports/nightly-report is Suspended: CronJob nightly-report is suspended (spec.suspend: true): no new Jobs are scheduled')
    expect(r.text).to.not.include('No problems found')
    // Exit 20 and "nothing needs fixing" would contradict each other.
    expect(r.text).to.include('1 finding: 1 info (nothing to fix yet, but the app is not green: look again soon)').and.not.include('nothing needs fixing')
  })

  it('a failed PreSync hook at its backoff limit: a warning, with the container that failed and how', async () => {
    const r = await explain('failed-presync-hook')
    expect(r.findings.map((x) => `${x.severity}:${x.id}`)).to.deep.equal(['warning:health-job-backoff-limit', 'warning:hook-failed'])
    const f = r.findings[1]
    expect(f.title).to.equal('PreSync hook Job.batch payments/db-migrate ended Failed: container "migrate" of pod db-migrate-7kq2p exited with an error: last exit code 1 (Error), last message: FATAL:  password authentication failed for user "migrate"')
    expect(f.evidence).to.deep.include({path: 'Job payments/db-migrate status.conditions[Failed]', value: 'BackoffLimitExceeded', note: 'Job has reached the specified backoff limit'})
  })

  it('SyncFailed: the resource the API server refused, with its message', async () => {
    const r = await explain('syncfailed-resource')
    expect(r.exitCode).to.equal(20)
    const f = r.findings.find((x) => x.evidence.some((e: any) => e.path === 'status.operationState.syncResult.resources[0].message'))
    expect(f.evidence.find((e: any) => e.path === 'status.operationState.syncResult.resources[0].message')).to.deep.equal({
      path: 'status.operationState.syncResult.resources[0].message',
      value: 'Ingress.networking.k8s.io "storefront" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
      note: 'Ingress.networking.k8s.io storefront/storefront',
    })
    expect(f.evidence.map((e: any) => e.path)).to.include.members(['status.resources[0].status', 'status.sync.status'])
  })

  it('Error phase: the operation\'s message is quoted, and the sync status Unknown with it', async () => {
    const r = await explain('error-phase')
    expect(r.exitCode).to.equal(20)
    const f = r.findings.find((x) => x.evidence.some((e: any) => e.path === 'status.operationState.phase' && e.value === 'Error'))
    expect(f.evidence.map((e: any) => e.path)).to.include.members(['status.operationState.message', 'status.sync.status'])
    expect(JSON.stringify(f.evidence)).to.include('authentication required: Repository not found.')
  })

  it('offline, an operation whose only timestamp is its own startedAt runs for an unknown time, not "0s, normal"; --as-of gives the age', async () => {
    const r = await explain('running-age-unknown')
    expect(r.findings.map((x) => `${x.severity}:${x.id}`)).to.deep.equal(['warning:operation-age-unknown'])
    expect(r.text).to.include('operation Running for an unknown time').and.not.match(/for 0s|normal for now/)
    expect(r.findings[0].fix.steps[1]).to.equal('If it has been Running for more than 30 min: argo-doctor unstick inventory -n argocd')
    const asOf = await explain('running-age-unknown', ['--as-of', '2026-02-10T11:00:00Z'])
    expect(asOf.findings.map((x) => x.id)).to.not.include('operation-age-unknown')
    expect(asOf.text).to.include('operation Running for 2h')
  })
})
