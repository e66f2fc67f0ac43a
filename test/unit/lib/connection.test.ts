import {once} from 'node:events'
import {writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {join} from 'node:path'
import {expect} from 'chai'
import {connect, proxyFromEnvironment} from '../../../src/lib/cluster/kube.js'
import {DoctorError, keepSecret, scrubSecrets, toDoctorError} from '../../../src/lib/errors.js'
import {tempDir} from '../../support/cli.js'

const jwt = (claims: unknown) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`

describe('proxy from the environment, as Go\'s http.ProxyFromEnvironment (kubectl)', () => {
  const proxy = (server: string, env: Record<string, string>) => proxyFromEnvironment(server, env)

  it('HTTPS_PROXY for https servers, HTTP_PROXY for http ones; upper case first, then lower case; no scheme means http://', () => {
    expect(proxy('https://api.example.com:6443', {HTTPS_PROXY: 'http://p:3128', HTTP_PROXY: 'http://other:1'})).to.equal('http://p:3128')
    expect(proxy('http://api.example.com', {HTTPS_PROXY: 'http://p:3128', HTTP_PROXY: 'http://other:1'})).to.equal('http://other:1')
    expect(proxy('https://api.example.com', {https_proxy: 'http://lower:1'})).to.equal('http://lower:1')
    expect(proxy('https://api.example.com', {HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:1'})).to.equal('http://upper:1')
    expect(proxy('https://api.example.com', {HTTPS_PROXY: 'p.corp:3128'})).to.equal('http://p.corp:3128')
    expect(proxy('https://api.example.com', {HTTP_PROXY: 'http://p:1'})).to.equal(undefined)
    expect(proxy('https://api.example.com', {})).to.equal(undefined)
  })

  it('localhost and loopback addresses are never proxied', () => {
    for (const server of ['https://localhost:6443', 'https://127.0.0.1:6443', 'https://127.9.9.9', 'https://[::1]:6443']) {
      expect(proxy(server, {HTTPS_PROXY: 'http://p:1'}), server).to.equal(undefined)
    }
  })

  it('NO_PROXY: "*", a domain and its subdomains (with a leading "." or "*.": only the subdomains), IP addresses, CIDR ranges, ports', () => {
    const through = (server: string, noProxy: string) => proxy(server, {HTTPS_PROXY: 'http://p:1', NO_PROXY: noProxy}) !== undefined
    expect(through('https://api.example.com', '*')).to.equal(false)
    expect(through('https://api.example.com', 'example.com')).to.equal(false)
    expect(through('https://a.b.example.com', '.example.com')).to.equal(false)
    expect(through('https://api.example.com', '*.example.com')).to.equal(false)
    expect(through('https://example.com', '.example.com')).to.equal(true)
    expect(through('https://notexample.com', 'example.com')).to.equal(true)
    expect(through('https://10.1.2.3:6443', '10.0.0.0/8')).to.equal(false)
    expect(through('https://11.1.2.3:6443', '10.0.0.0/8')).to.equal(true)
    expect(through('https://10.1.2.3:6443', '10.1.2.3')).to.equal(false)
    expect(through('https://[fd00::5]:6443', 'fd00::/8')).to.equal(false)
    expect(through('https://api.example.com:6443', 'api.example.com:6443')).to.equal(false)
    expect(through('https://api.example.com:443', 'api.example.com:6443')).to.equal(true)
    expect(through('https://api.example.com', ' other.org , API.Example.com ')).to.equal(false)
    expect(proxy('https://api.example.com', {HTTPS_PROXY: 'http://p:1', no_proxy: 'example.com'})).to.equal(undefined)
  })
})

describe('who a run acts as (recorded in Events, backups and operation.initiatedBy)', () => {
  it('--as, else the kubeconfig user, else the token\'s subject; never a placeholder', () => {
    const token = jwt({sub: 'system:serviceaccount:argocd:ci'})
    expect(connect({kubeconfig: '/dev/null', server: 'https://api.example.com', token, requestTimeout: 5}).user).to.equal('system:serviceaccount:argocd:ci')
    expect(connect({kubeconfig: '/dev/null', server: 'https://api.example.com', token, as: 'bob', requestTimeout: 5}).user).to.equal('bob')
    expect(connect({kubeconfig: '/dev/null', server: 'https://api.example.com', token: 'opaque', requestTimeout: 5}).user).to.equal(undefined)
  })
})

describe('errors never show a credential', () => {
  it('a header the HTTP client refuses is a credentials error (CONFIG) that does not quote the header', () => {
    const e = toDoctorError(new TypeError('Bearer abc.def\nghi is not a legal HTTP header value'), {verb: 'get', resource: 'applications.argoproj.io', server: 'https://x', context: 'c'})
    expect(e.code).to.equal('CONFIG')
    expect(e.message).not.to.include('abc.def')
  })

  it('a remembered token is scrubbed from any error message', () => {
    keepSecret('tok-1234567890')
    expect(scrubSecrets('boom: tok-1234567890 and tok-1234567890')).to.equal('boom: [redacted] and [redacted]')
    const e = toDoctorError(new Error('something quoted tok-1234567890'), {verb: 'get', resource: 'applications.argoproj.io'})
    expect(e.message).to.equal('something quoted [redacted]')
  })
})

describe('--request-timeout: a request without an answer is given up, and its connection closed', () => {
  it('the caller gets "did not answer in time" and the server sees the connection closed (a GET and a PATCH)', async () => {
    const open = new Set<Socket>()
    const closed: Socket[] = []
    // Takes every request and never answers, as a hung API server.
    const server = createServer(() => {})
    server.on('connection', (socket) => {
      open.add(socket)
      socket.on('close', () => {
        open.delete(socket)
        closed.push(socket)
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const kubeconfig = join(tempDir(), 'kubeconfig')
      writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: hung, cluster: {server: "http://127.0.0.1:${(server.address() as AddressInfo).port}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: hung, context: {cluster: hung, user: u}}]\ncurrent-context: hung\n`)
      const cluster = connect({kubeconfig, requestTimeout: 0.3})
      const ref = {namespace: 'argocd', name: 'payments'}
      for (const attempt of [() => cluster.getApp(ref), () => cluster.patchApp(ref, [{op: 'add', path: '/metadata/annotations/x', value: 'y'}], {dryRun: true})]) {
        const before = closed.length
        const error = await attempt().then(() => undefined, (error: unknown) => error)
        expect(error).to.be.instanceOf(DoctorError)
        expect((error as DoctorError).code).to.equal('UNREACHABLE')
        expect((error as DoctorError).message).to.match(/did not answer in time/)
        // Without the abort, the request would hold its connection open until the process ends.
        if (closed.length === before) {
          const [socket] = open
          let timer: NodeJS.Timeout | undefined
          await Promise.race([once(socket, 'close'), new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the timed-out request's connection is still open after 5 s (${open.size} open)`)), 5000)
          })]).finally(() => clearTimeout(timer))
        }
      }
    } finally {
      for (const socket of open) socket.destroy()
      server.close()
    }
  })
})
