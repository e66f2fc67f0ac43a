import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {parseAllDocuments} from 'yaml'
import {BIN, jsonOut, ROOT, tempDir} from '../support/cli.js'
import {createApp, getApp, kubectl, minutesAgo, NS, requireCluster} from './support.js'

/**
 * deploy/cronjob.yaml on a real kube-apiserver: the manifests are accepted, and the built CLI run
 * the way the CronJob's pod runs it — in-cluster config (KUBERNETES_SERVICE_HOST/PORT, the
 * ServiceAccount's token and CA, no kubeconfig anywhere) — scans every namespace and posts Events
 * with the ServiceAccount's token, which is forbidden everything else. No kubelet runs here, so
 * no pod: the service account directory the kubelet would mount is made by hand
 * (ARGO_DOCTOR_SERVICE_ACCOUNT_DIR) from a real token of the real ServiceAccount.
 */
const SA = 'argo-doctor-scan'
const SUBJECT = `system:serviceaccount:${NS}:${SA}`
const TEAM = 'ic-team' // apps in any namespace, with the events RoleBinding the manifest says to copy
const OTHER = 'ic-other' // apps in any namespace, without it
const MANIFEST = join(ROOT, 'deploy', 'cronjob.yaml')

interface Run {
  exitCode: number
  stdout: string
  stderr: string
}

function manifestDocs(): any[] {
  return parseAllDocuments(readFileSync(MANIFEST, 'utf8')).map((d) => d.toJS()).filter(Boolean)
}

describe('e2e: in-cluster mode (deploy/cronjob.yaml, the ServiceAccount\'s token, real kube-apiserver)', function () {
  this.timeout(180_000)
  let saDir: string
  let token: string
  let server: string
  let caFile: string

  /** The built CLI with only what a container has: no kubeconfig, an empty HOME, the in-cluster env. */
  async function inPod(args: string[], env: Record<string, string> = {}, opts: {uid?: number} = {}): Promise<Run> {
    const {hostname, port} = new URL(server)
    // As the pod's runAsUser (a uid with no passwd entry here), without capabilities, when we can switch user.
    const user = opts.uid !== undefined && process.getuid?.() === 0
      ? ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs']
      : []
    const [cmd, ...rest] = [...user, 'node', BIN, ...args]
    const r = await execa(cmd, rest, {
      reject: false,
      stdin: 'ignore',
      timeout: 60_000,
      extendEnv: false,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: tempDir('in-cluster-home-'),
        NO_COLOR: '1',
        KUBERNETES_SERVICE_HOST: hostname,
        KUBERNETES_SERVICE_PORT: port,
        ARGO_DOCTOR_SERVICE_ACCOUNT_DIR: saDir,
        ARGO_DOCTOR_BACKUP_DIR: tempDir('in-cluster-backups-'),
        ...env,
      },
    })
    return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }

  /** kubectl with the ServiceAccount's token and nothing else. */
  async function asScan(args: string[], input?: string): Promise<Run> {
    const r = await execa('kubectl', ['--kubeconfig', '/dev/null', '--server', server, '--certificate-authority', caFile, '--token', token, ...args], {reject: false, input})
    return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }

  async function events(namespace: string): Promise<any[]> {
    return JSON.parse(await kubectl(['get', 'events', '-n', namespace, '-o', 'json'])).items
      .filter((e: any) => e.metadata.name.includes('.argo-doctor.') && e.involvedObject.name.startsWith('ic-'))
  }

  before(async () => {
    requireCluster()
    const config = JSON.parse(await kubectl(['config', 'view', '--raw', '--minify', '-o', 'json']))
    server = config.clusters[0].cluster.server
    const caData = config.clusters[0].cluster['certificate-authority-data']
    // cluster.sh falls back to insecure-skip-tls-verify when its CA does not verify: the in-cluster config always verifies.
    if (!caData) throw new Error('the e2e kubeconfig has no certificate-authority-data: the in-cluster config needs the API server\'s CA (see cluster.sh)')
    for (const ns of [TEAM, OTHER]) await kubectl(['create', 'namespace', ns, '--dry-run=client', '-o', 'json']).then((y) => kubectl(['apply', '-f', '-'], y))
  })

  after(async () => {
    for (const [ns, name] of [[NS, 'ic-stale'], [TEAM, 'ic-team-app'], [OTHER, 'ic-other-app']]) {
      await kubectl(['delete', 'applications.argoproj.io', name, '-n', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined)
    }
  })

  it('the manifests are accepted by the API server (server-side dry run, strict field validation), and it keeps what they ask for', async () => {
    const out = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', MANIFEST, '-f', 'deploy/rbac.yaml', '-f', 'deploy/rbac-secret-check.yaml'])
    // A fresh e2e cluster says "created"; a rerun on a live one "configured"/"unchanged": either way every object is accepted.
    const objects = [
      `serviceaccount/${SA}`, `clusterrole.rbac.authorization.k8s.io/${SA}`, `clusterrolebinding.rbac.authorization.k8s.io/${SA}`,
      `clusterrole.rbac.authorization.k8s.io/${SA}-events`, `rolebinding.rbac.authorization.k8s.io/${SA}-events`, `cronjob.batch/${SA}`,
      'role.rbac.authorization.k8s.io/argo-doctor', 'clusterrole.rbac.authorization.k8s.io/argo-doctor-read-workloads', 'role.rbac.authorization.k8s.io/argo-doctor-secret-check',
    ]
    expect(out.trim().split('\n').map((line) => line.replace(/ (created|configured|unchanged)( \(server dry run\))?$/, ''))).to.deep.equal(objects)
    // What the server would store (defaults filled in, nothing dropped).
    const stored = JSON.parse(await kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(manifestDocs().find((d) => d.kind === 'CronJob'))))
    expect(stored.spec).to.include({schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 120, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 3, suspend: false})
    const job = stored.spec.jobTemplate.spec
    expect(job).to.include({backoffLimit: 1, activeDeadlineSeconds: 240})
    const pod = job.template.spec
    expect(pod).to.include({serviceAccountName: SA, automountServiceAccountToken: true, restartPolicy: 'Never'})
    expect(pod.securityContext).to.deep.include({runAsNonRoot: true, seccompProfile: {type: 'RuntimeDefault'}})
    const [c] = pod.containers
    expect(c.args).to.deep.equal(['explain', '--all-namespaces', '--json', '--emit-events', '--exit-zero'])
    expect(c.securityContext).to.deep.equal({allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: {drop: ['ALL']}})
    expect(c.env.find((e: any) => e.name === 'POD_NAMESPACE').valueFrom.fieldRef).to.deep.include({fieldPath: 'metadata.namespace'})
    expect(c.resources).to.deep.equal({requests: {cpu: '100m', memory: '256Mi'}, limits: {cpu: '1', memory: '512Mi'}})
  })

  describe('with the ServiceAccount installed for real', () => {
    let apps: any[]
    before(async () => {
      await kubectl(['apply', '-f', MANIFEST])
      // The manifest's own advice for apps in another namespace: its events RoleBinding, copied there.
      const binding = manifestDocs().find((d) => d.kind === 'RoleBinding')
      await kubectl(['apply', '-f', '-'], JSON.stringify({...binding, metadata: {...binding.metadata, namespace: TEAM}}))
      // What the kubelet mounts: a token of the ServiceAccount, the cluster's CA, the namespace.
      saDir = join(tempDir('in-cluster-sa-'), 'serviceaccount')
      mkdirSync(saDir)
      token = (await kubectl(['create', 'token', SA, '-n', NS, '--duration=10m'])).trim()
      caFile = join(saDir, 'ca.crt')
      const config = JSON.parse(await kubectl(['config', 'view', '--raw', '--minify', '-o', 'json']))
      writeFileSync(join(saDir, 'token'), token)
      writeFileSync(caFile, Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64'))
      writeFileSync(join(saDir, 'namespace'), NS)
      // Readable by the pod's runAsUser, as the kubelet's mount is.
      for (const d of [dirname(saDir), saDir]) chmodSync(d, 0o755)

      // Three apps the controller has not looked at for 2 h (controller-stale: a warning), in three namespaces.
      const stale = {status: {reconciledAt: minutesAgo(120), sync: {status: 'Synced', revision: 'abc'}, health: {status: 'Healthy'}}}
      for (const [ns, name] of [[NS, 'ic-stale'], [TEAM, 'ic-team-app'], [OTHER, 'ic-other-app']]) {
        await kubectl(['delete', 'events', '-n', ns, '--field-selector', `involvedObject.name=${name}`]) // a rerun on a live cluster starts from count 1
      }

      apps = [await createApp('ic-stale', stale)]
      for (const [ns, name] of [[TEAM, 'ic-team-app'], [OTHER, 'ic-other-app']]) {
        await kubectl(['apply', '-f', '-'], JSON.stringify({...apps[0], metadata: {name, namespace: ns}, status: undefined}))
        await kubectl(['patch', 'applications.argoproj.io', name, '-n', ns, '--type', 'merge', '-p', JSON.stringify(stale)])
        apps.push(JSON.parse(await kubectl(['get', 'applications.argoproj.io', name, '-n', ns, '-o', 'json'])))
      }
    })

    it('explain -A --emit-events with the in-cluster config and the ServiceAccount\'s token: every namespace scanned, Events where RBAC allows, exit 20', async () => {
      const r = await inPod(['explain', '-A', '--json', '--emit-events'])
      expect(r.exitCode, r.stderr).to.equal(20)
      expect(r.stderr).to.equal('')
      const j = await jsonOut(r.stdout)
      const ours = j.apps.filter((a: any) => a.name.startsWith('ic-')).map((a: any) => [a.namespace, a.name, a.findings.map((f: any) => f.id)])
      expect(ours).to.have.deep.members([[NS, 'ic-stale', ['controller-stale']], [TEAM, 'ic-team-app', ['controller-stale']], [OTHER, 'ic-other-app', ['controller-stale']]])
      expect(j.notes[0]).to.equal(`In-cluster config: acting as ${SUBJECT} (its token: ${join(saDir, 'token')}), API server ${server}.`)
      const posted = j.notes.find((n: string) => n.startsWith('Posted'))
      expect(posted).to.match(/; 1 could not be posted: RBAC does not allow create on events/)

      for (const [ns, app] of [[NS, apps[0]], [TEAM, apps[1]]]) {
        const [e] = await events(ns)
        expect(e, `Event in ${ns}`).to.not.equal(undefined)
        expect(e.metadata.name).to.match(new RegExp(`^${app.metadata.name}\\.argo-doctor\\.controller-stale\\.\\d{10}$`))
        expect(e).to.deep.include({type: 'Warning', reason: 'ArgoDoctorControllerStale', count: 1})
        expect(e.involvedObject).to.deep.include({kind: 'Application', name: app.metadata.name, namespace: ns, uid: app.metadata.uid})
      }

      expect(await events(OTHER)).to.deep.equal([]) // no RoleBinding there: nothing written

      // Exactly what the CronJob runs — its args, env and runAsUser, read from the manifest (POD_NAMESPACE as the
      // downward API would fill it): findings are not a failed Job; within the hour the Event is left as it is (create only).
      const pod = manifestDocs().find((d) => d.kind === 'CronJob').spec.jobTemplate.spec.template.spec
      const [container] = pod.containers
      const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? (e.valueFrom.fieldRef.fieldPath === 'metadata.namespace' ? NS : '')]))
      const again = await inPod(container.args, env, {uid: pod.securityContext.runAsUser})
      expect(again.exitCode, again.stderr).to.equal(0)
      expect((await jsonOut(again.stdout)).summary.warning).to.be.at.least(3)
      for (const ns of [NS, TEAM]) {
        const after = await events(ns)
        expect(after.length, ns).to.be.within(1, 2) // 2 only when the hour turned between the runs
        expect(after.every((e) => e.count === 1), ns).to.equal(true)
      }
    })

    it('the token is forbidden everything else: hard-refresh is refused (exit 5, nothing changed), no Secrets, Pods, gets or writes', async () => {
      const before = await getApp('ic-stale')
      const r = await inPod(['hard-refresh', 'ic-stale', '--yes', '--no-wait'])
      expect(r.exitCode, r.stdout + r.stderr).to.equal(5)
      expect(r.stderr).to.include('Forbidden: you may not get applications.argoproj.io in namespace "argocd" (context "in-cluster").')
      expect(r.stderr).to.include(`User "${SUBJECT}" cannot get resource "applications"`)
      const after = await getApp('ic-stale')
      expect(after.metadata.resourceVersion).to.equal(before.metadata.resourceVersion)
      expect(after.metadata.annotations?.['argocd.argoproj.io/refresh']).to.equal(undefined)

      // Everything the token may do, as the API server's authorizer sees it (SelfSubjectRulesReview), minus the self-review rules every authenticated user has.
      const rules = async (namespace: string) => {
        // --validate=false: kubectl's client-side schema check lists CRDs, which the token may not.
      const review = await asScan(['create', '--validate=false', '-o', 'json', '-f', '-'], JSON.stringify({apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: {namespace}}))
        expect(review.exitCode, review.stderr).to.equal(0)
        return JSON.parse(review.stdout).status.resourceRules
          .filter((rule: any) => !rule.apiGroups.every((g: string) => g === 'authorization.k8s.io' || g === 'authentication.k8s.io'))
          .map((rule: any) => ({apiGroups: rule.apiGroups, resources: rule.resources, verbs: [...rule.verbs].sort()}))
      }

      const list = {apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['list']}
      expect(await rules(NS)).to.have.deep.members([list, {apiGroups: [''], resources: ['events'], verbs: ['create']}])
      expect(await rules('default')).to.deep.equal([list])
      for (const args of [['get', 'secrets', '-n', NS], ['get', 'secret', 'argocd-secret', '-n', NS], ['get', 'pods', '-A'], ['get', 'appprojects.argoproj.io', '-n', NS], ['delete', 'events', '--all', '-n', NS], ['get', 'applications.argoproj.io', 'ic-stale', '-n', NS], ['get', 'events', '-n', NS]]) {
        const denied = await asScan(args)
        expect(denied.exitCode, args.join(' ')).to.not.equal(0)
        expect(denied.stderr, args.join(' ')).to.include('Forbidden')
      }

      // The audit Event of a person's change cannot be rewritten by the scan: no update, no patch.
      const audit = JSON.parse(await kubectl(['create', '--validate=false', '-o', 'json', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'Event', metadata: {generateName: 'alice-change.', namespace: NS}, involvedObject: {apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: 'ic-stale', namespace: NS}, reason: 'ManualSyncDisabled', message: 'alice disabled auto-sync', type: 'Normal'})))
      for (const args of [['replace', '--validate=false', '-f', '-'], ['patch', 'event', audit.metadata.name, '-n', NS, '--type', 'merge', '-p', '{"message":"nothing happened"}']]) {
        const rewrite = await asScan(args, JSON.stringify({...audit, message: 'nothing happened'}))
        expect(rewrite.stderr, args[0]).to.include('Forbidden')
      }

      expect(JSON.parse(await kubectl(['get', 'event', audit.metadata.name, '-n', NS, '-o', 'json'])).message).to.equal('alice disabled auto-sync')

      // Events only where the RoleBinding is: not in a namespace without one.
      const forged = await asScan(['create', '--validate=false', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'Event', metadata: {name: 'forged', namespace: 'default'}, involvedObject: {kind: 'Pod', name: 'x', namespace: 'default'}, reason: 'Forged', message: 'no'}))
      expect(forged.stderr).to.include('Forbidden')
    })

    it('the default namespace in a pod: -n > $ARGOCD_NAMESPACE > $POD_NAMESPACE > the service account\'s namespace; a kubeconfig wins over all of it', async () => {
      const namespaces = async (args: string[], env: Record<string, string> = {}) => {
        const r = await inPod(['explain', '--all', '--json', ...args], env)
        expect(r.exitCode, r.stderr).to.equal(20)
        return [...new Set((await jsonOut(r.stdout)).apps.map((a: any) => a.namespace))]
      }

      expect(await namespaces([])).to.deep.equal([NS]) // the service account's namespace file
      expect(await namespaces([], {POD_NAMESPACE: TEAM})).to.deep.equal([TEAM])
      expect(await namespaces([], {POD_NAMESPACE: TEAM, ARGOCD_NAMESPACE: OTHER})).to.deep.equal([OTHER])
      expect(await namespaces(['-n', OTHER], {POD_NAMESPACE: TEAM})).to.deep.equal([OTHER])
      const bad = await inPod(['explain', '--all'], {POD_NAMESPACE: 'Not_A_Namespace'})
      expect(bad.exitCode).to.equal(2)
      expect(bad.stderr).to.include('"Not_A_Namespace" is not a valid namespace (from $POD_NAMESPACE)')

      // An explicit kubeconfig (here $KUBECONFIG, the admin's) wins over the in-cluster config, as in kubectl: admin can read one app; $POD_NAMESPACE is not used.
      const admin = await inPod(['explain', 'ic-stale', '--json'], {KUBECONFIG: process.env.KUBECONFIG ?? '', POD_NAMESPACE: TEAM})
      expect(admin.exitCode, admin.stderr).to.equal(20)
      const single = await jsonOut(admin.stdout)
      expect(single.app).to.deep.equal({name: 'ic-stale', namespace: NS})
      expect(single.notes.join('\n')).to.not.include('In-cluster config')
    })
  })
})
