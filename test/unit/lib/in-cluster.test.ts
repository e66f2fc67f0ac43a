import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {inClusterNamespace, tokenSubject, usesInClusterConfig} from '../../../src/lib/cluster/in-cluster.js'
import {tempDir} from '../../support/cli.js'

const jwt = (claims: unknown) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`

describe('in-cluster config rules', () => {
  const saved = {...process.env}
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  })

  /** A pod: KUBERNETES_SERVICE_*, no $KUBECONFIG, an empty HOME (os.homedir() reads $HOME). */
  function inPod(): string {
    const home = tempDir('home-')
    const sa = join(tempDir('sa-'), 'serviceaccount')
    mkdirSync(sa)
    writeFileSync(join(sa, 'namespace'), ' team-a\n')
    Object.assign(process.env, {HOME: home, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', ARGO_DOCTOR_SERVICE_ACCOUNT_DIR: sa})
    delete process.env.KUBECONFIG
    delete process.env.POD_NAMESPACE
    return home
  }

  it('the token\'s subject is read for display; anything that is not a JWT with a plain subject gives none', () => {
    expect(tokenSubject(jwt({sub: 'system:serviceaccount:argocd:argo-doctor-scan', aud: ['x']}))).to.equal('system:serviceaccount:argocd:argo-doctor-scan')
    expect(tokenSubject(`${jwt({sub: 'system:serviceaccount:a:b'})}\n`)).to.equal('system:serviceaccount:a:b')
    expect(tokenSubject('admin-token')).to.equal(undefined)
    expect(tokenSubject(jwt({sub: 42}))).to.equal(undefined)
    expect(tokenSubject(jwt({sub: 'evil\u001b[2Jname'}))).to.equal(undefined) // never a control byte on a terminal
    expect(tokenSubject('a.!!!.c')).to.equal(undefined)
  })

  it('in a pod with no kubeconfig: in-cluster; --kubeconfig, --server, a $KUBECONFIG or ~/.kube/config file: not', () => {
    const home = inPod()
    expect(usesInClusterConfig({})).to.equal(true)
    expect(usesInClusterConfig({kubeconfig: '/x'})).to.equal(false)
    expect(usesInClusterConfig({server: 'https://x'})).to.equal(false)
    process.env.KUBECONFIG = '/nonexistent/config' // a $KUBECONFIG naming no file is no kubeconfig, as in kubectl
    expect(usesInClusterConfig({})).to.equal(true)
    const file = join(tempDir(), 'config')
    writeFileSync(file, '# empty\n')
    process.env.KUBECONFIG = file // empty: still none
    expect(usesInClusterConfig({})).to.equal(true)
    writeFileSync(file, 'apiVersion: v1\nkind: Config\n')
    expect(usesInClusterConfig({})).to.equal(false)
    delete process.env.KUBECONFIG
    mkdirSync(join(home, '.kube'))
    writeFileSync(join(home, '.kube', 'config'), 'apiVersion: v1\nkind: Config\n')
    expect(usesInClusterConfig({})).to.equal(false)
  })

  it('the namespace: $POD_NAMESPACE, else the service account\'s (trimmed); none outside a pod', () => {
    inPod()
    expect(inClusterNamespace({})).to.deep.include({namespace: 'team-a'})
    process.env.POD_NAMESPACE = 'argocd'
    expect(inClusterNamespace({})).to.deep.equal({namespace: 'argocd', from: '$POD_NAMESPACE'})
    expect(inClusterNamespace({kubeconfig: '/x'})).to.equal(undefined)
    delete process.env.KUBERNETES_SERVICE_PORT
    expect(inClusterNamespace({})).to.equal(undefined)
  })
})
