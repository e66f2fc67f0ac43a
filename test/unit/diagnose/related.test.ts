import {expect} from 'chai'
import {argocdVersionOf, gatherRelated, podSummary, relatedFromFile, relatedWants, type RelatedReader} from '../../../src/lib/diagnose/related.js'
import {DoctorError} from '../../../src/lib/errors.js'
import {EXAMPLE_NOW, issueApp, seedApp} from '../../fixtures/examples.js'

const forbidden = (what: string) => new DoctorError('FORBIDDEN', `Forbidden: you may not get ${what}`)
const notFound = (what: string) => new DoctorError('NOT_FOUND', `${what} not found`)

function reader(over: Partial<RelatedReader> = {}): RelatedReader & {calls: string[]} {
  const calls: string[] = []
  return {
    calls,
    async getProject(ns, name) {
      calls.push(`project ${ns}/${name}`)
      return {metadata: {name}, spec: {syncWindows: [{kind: 'deny', schedule: '0 17 * * *', duration: '14h', applications: ['*']}], sourceNamespaces: []}}
    },
    async readObject(kind, ns, name) {
      calls.push(`${kind} ${ns}/${name}`)
      throw notFound(`${kind} ${name}`)
    },
    async listPods(ns, selector) {
      calls.push(`pods ${ns} ${selector}`)
      return [{metadata: {name: 'argocd-application-controller-0'}, spec: {containers: [{image: 'quay.io/argoproj/argocd:v3.5.3'}]}, status: {phase: 'Running', containerStatuses: [{ready: true, restartCount: 2}]}}]
    },
    ...over,
  }
}

describe('related objects', () => {
  it('wants only the Argo CD version for a healthy, recently reconciled app outside the control-plane namespace', () => {
    expect(relatedWants(seedApp('auth-service-prod'), EXAMPLE_NOW)).to.deep.equal({jobs: [], hpas: [], live: [], argocdVersion: {namespace: 'argocd'}, health: [], asOf: EXAMPLE_NOW})
  })

  describe('the Argo CD version, read live', () => {
    const healthy = () => seedApp('auth-service-prod')
    const noPods = {async listPods() {
      return []
    }}

    it('from the controller pods\' image (what runs), with one pod LIST even when the diagnosis wants the pods too', async () => {
      const r = reader()
      const related = await gatherRelated(r, issueApp('payments'), relatedWants(issueApp('payments'), EXAMPLE_NOW))
      expect(related).to.include({argocdVersion: 'v3.5.3', argocdVersionFrom: 'image of pod argocd/argocd-application-controller-0'})
      expect(related.controllerPods?.status).to.equal('found')
      expect(r.calls.filter((c) => c.startsWith('pods '))).to.have.length(1)
    })

    it('else from the StatefulSet, else the Deployment, named argocd-application-controller (upstream\'s manifests carry it in the image)', async () => {
      const reads: string[] = []
      const workload = (kind: string) => ({metadata: {name: 'argocd-application-controller'}, spec: {template: {spec: {containers: [{image: `quay.io/argoproj/argocd:v3.6.2`}]}}}, kind})
      const sts = await gatherRelated(reader({...noPods, async readResource(_v, kind) {
        reads.push(kind)
        return workload(kind)
      }}), healthy(), relatedWants(healthy(), EXAMPLE_NOW))
      expect(sts).to.include({argocdVersion: 'v3.6.2', argocdVersionFrom: 'image of StatefulSet argocd/argocd-application-controller'})
      expect(reads).to.deep.equal(['StatefulSet'])
      const deploy = await gatherRelated(reader({...noPods, async readResource(_v, kind) {
        if (kind === 'StatefulSet') throw notFound('statefulsets.apps argocd-application-controller')
        return workload(kind)
      }}), healthy(), relatedWants(healthy(), EXAMPLE_NOW))
      expect(deploy).to.include({argocdVersion: 'v3.6.2', argocdVersionFrom: 'image of Deployment argocd/argocd-application-controller'})
    })

    it('unknown, saying why, when nothing shows it or it cannot be read; never a note or an error', async () => {
      const none = await gatherRelated(reader({...noPods, async readResource() {
        throw notFound('x')
      }}), healthy(), relatedWants(healthy(), EXAMPLE_NOW))
      expect(none.argocdVersion).to.equal(undefined)
      expect(none.argocdVersionFrom).to.equal('no argocd-application-controller pod, StatefulSet or Deployment in argocd shows it')
      expect(none.notes).to.deep.equal([])
      const denied = await gatherRelated(reader({...noPods, async readResource() {
        throw forbidden('statefulsets.apps')
      }}), healthy(), relatedWants(healthy(), EXAMPLE_NOW))
      expect(denied.argocdVersionFrom).to.equal('could not read the argocd-application-controller Deployment in argocd: forbidden by RBAC')
      expect(relatedFromFile([], healthy()).argocdVersionFrom).to.match(/^offline/)
    })
  })

  it('wants the hook Job, the project and the controller pods for a stuck hook', () => {
    const w = relatedWants(issueApp('payments'), EXAMPLE_NOW)
    expect(w.jobs).to.deep.equal([{namespace: 'payments', name: 'db-migrate'}])
    expect(w.project).to.deep.equal({namespace: 'argocd', name: 'payments'})
    expect(w.controllerPods).to.deep.equal({namespace: 'argocd'})
    expect(w.argocdSecret).to.equal(undefined)
  })

  it('checks argocd-secret for apps that manage the control-plane namespace, and HPAs for OutOfSync workloads', () => {
    expect(relatedWants(seedApp('argocd-config'), EXAMPLE_NOW).argocdSecret).to.deep.equal({namespace: 'argocd'})
    expect(relatedWants(seedApp('board-service-prod'), EXAMPLE_NOW).hpas).to.deep.equal([{namespace: 'wealist-prod', name: 'board-service-hpa'}])
  })

  it('turns 404 into "missing" and 403 into a note, never an error', async () => {
    const r = reader({
      async getProject() {
        throw forbidden('appprojects.argoproj.io')
      },
    })
    const related = await gatherRelated(r, issueApp('payments'), relatedWants(issueApp('payments'), EXAMPLE_NOW))
    expect(related.jobs).to.deep.equal({'payments/db-migrate': {status: 'missing'}})
    expect(related.project).to.deep.equal({status: 'unreadable', reason: 'forbidden by RBAC'})
    expect(related.notes).to.deep.equal(['Could not read AppProject argocd/payments (forbidden by RBAC); the diagnosis does without it.'])
    expect(related.argocdVersion).to.equal('v3.5.3')
  })

  it('a timeout on the pod list is a note too', async () => {
    const r = reader({
      async listPods() {
        throw new DoctorError('UNREACHABLE', 'did not answer in time')
      },
    })
    const related = await gatherRelated(r, issueApp('notifications'), relatedWants(issueApp('notifications'), EXAMPLE_NOW))
    expect(related.controllerPods?.status).to.equal('unreadable')
    expect(related.notes[0]).to.match(/^Could not read pods -l app.kubernetes.io\/name=argocd-application-controller in argocd \(the API server did not answer\)/)
  })

  it('a 403 on argocd-secret (the default RBAC) is a note naming the optional file; the argocd-server pods are read instead', async () => {
    const selectors: string[] = []
    const r = reader({
      async readObject(kind) {
        if (kind === 'Secret') throw forbidden('secrets')
        return {}
      },
      async listPods(_ns, selector) {
        selectors.push(selector)
        return selector === 'app.kubernetes.io/name=argocd-server'
          ? [{metadata: {name: 'argocd-server-1'}, status: {containerStatuses: [{ready: false, restartCount: 4, state: {waiting: {reason: 'CrashLoopBackOff'}}, lastState: {terminated: {message: 'error retrieving argocd-secret: secret "argocd-secret" not found\n'}}}]}}]
          : []
      },
    })
    const related = await gatherRelated(r, seedApp('argocd-config'), relatedWants(seedApp('argocd-config'), EXAMPLE_NOW))
    expect(related.argocdSecret).to.deep.equal({status: 'unreadable', reason: 'forbidden by RBAC'})
    expect(related.notes.join('\n')).to.include('Did not check whether Secret argocd/argocd-secret exists: the default RBAC (deploy/rbac.yaml) grants no Secret reads')
    expect(related.notes.join('\n')).to.include('deploy/rbac-secret-check.yaml')
    expect(related.notes.join('\n')).to.not.include('Could not read Secret')
    expect(selectors).to.include('app.kubernetes.io/name=argocd-server')
    expect(related.serverPods).to.deep.include({status: 'found', namespace: 'argocd'})
    expect((related.serverPods as {value: Array<{lastMessage?: string}>}).value[0].lastMessage).to.equal('error retrieving argocd-secret: secret "argocd-secret" not found')
  })

  it('strips control bytes from a pod\'s termination message', () => {
    const pod = podSummary({metadata: {name: 'p'}, status: {containerStatuses: [{ready: false, restartCount: 1, lastState: {terminated: {message: 'boom \u001b]0;pwned\u0007 argocd-secret\n'}}}]}})
    expect(pod.lastMessage).to.equal('boom ?]0;pwned? argocd-secret')
  })

  it('keeps only existence of argocd-secret', async () => {
    const r = reader({
      async readObject(kind, ns, name) {
        return {metadata: {name, namespace: ns}, data: {'server.secretkey': 'c2VjcmV0'}}
      },
    })
    const related = await gatherRelated(r, seedApp('argocd-config'), relatedWants(seedApp('argocd-config'), EXAMPLE_NOW))
    expect(related.argocdSecret).to.deep.equal({status: 'found', value: {namespace: 'argocd', name: 'argocd-secret'}})
    expect(JSON.stringify(related)).not.to.include('c2VjcmV0')
  })

  it('reads the version from the controller image tag, or the version label', () => {
    expect(argocdVersionOf([{spec: {containers: [{image: 'quay.io/argoproj/argocd:v3.5.3@sha256:0123abcd'}]}}])).to.equal('v3.5.3')
    expect(argocdVersionOf([{metadata: {labels: {'app.kubernetes.io/version': 'v3.4.6'}}, spec: {containers: [{image: 'registry.local/argocd@sha256:ab'}]}}])).to.equal('v3.4.6')
    expect(argocdVersionOf([{spec: {containers: [{image: 'nginx:1.27.0'}]}}])).to.equal(undefined)
  })

  it('summarises a crash-looping pod', () => {
    expect(podSummary({metadata: {name: 'p'}, status: {phase: 'Running', containerStatuses: [{ready: false, restartCount: 7, state: {waiting: {reason: 'CrashLoopBackOff'}}}]}}))
      .to.deep.equal({name: 'p', phase: 'Running', ready: false, restarts: 7, waitingReason: 'CrashLoopBackOff', image: undefined})
  })

  it('offline: uses the AppProject and HPAs the file holds', () => {
    const related = relatedFromFile([
      {apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: {name: 'staging', namespace: 'argocd'}, spec: {syncWindows: [{kind: 'deny', schedule: '* * * * *', duration: '1h'}]}},
      {apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: {name: 'h', namespace: 'ns'}, spec: {scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'd'}}},
    ], issueApp('staging-gitops'))
    expect(related.project?.status).to.equal('found')
    expect(related.hpas).to.deep.equal([{namespace: 'ns', name: 'h', target: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'd'}, unreadable: undefined}])
  })
})
