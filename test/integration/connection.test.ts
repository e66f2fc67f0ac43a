import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Socket} from 'node:net'
import {join} from 'node:path'
import {expect} from 'chai'
import {stringify} from 'yaml'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {jsonOut, runCli, tempDir, type CliResult} from '../support/cli.js'
import {healthyApp, NOW} from '../fixtures/apps.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const APPS_PATH = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications'
const REFRESH = 'argocd.argoproj.io/refresh'
const NAMES = ['conn-a', 'conn-b', 'conn-c']
const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}

/** A kubeconfig with one context "test" (cluster and, unless undefined, user as given), written to `dir`/`file`. */
function writeKubeconfig(dir: string, cluster: Record<string, unknown>, user: Record<string, unknown> | undefined, file = 'kubeconfig'): string {
  mkdirSync(dir, {recursive: true})
  const path = join(dir, file)
  writeFileSync(path, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
    clusters: [{name: 'c', cluster}],
    users: user ? [{name: 'u', user}] : [],
    contexts: [{name: 'test', context: {cluster: 'c', ...(user ? {user: 'u'} : {})}}],
  }), {mode: 0o600})
  return path
}

/** Apps the paths below work on: healthy, labelled for -l. */
function putApps(server: FakeApiServer): void {
  for (const name of NAMES) {
    const app = healthyApp()
    app.metadata.name = name
    app.metadata.labels = {team: 'conn'}
    server.put(app)
  }
}

/** Play the application-controller: finish every requested refresh (so a --yes run verifies through its watch). */
function controller(server: FakeApiServer): () => void {
  const timer = setInterval(() => {
    for (const name of NAMES) {
      if (server.get(...APP, name)?.metadata.annotations?.[REFRESH]) {
        server.mutate(...APP, name, (o) => {
          delete o.metadata.annotations[REFRESH]
          o.status.reconciledAt = '2026-01-02T00:13:00Z'
        })
      }
    }
  }, 40)
  return () => clearInterval(timer)
}

/**
 * The four ways argo-doctor talks to the API server, each as a command: one app (GET), the fleet
 * (the streamed LIST), a write verified through a watch, and a bulk write (LIST, dry run, patches,
 * one namespace watch).
 */
async function everyPath(server: FakeApiServer, args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<Record<string, CliResult>> {
  const stop = controller(server)
  try {
    const run = (a: string[]) => runCli([...a, ...args], {env: {...env, ...extraEnv}})
    return {
      single: await run(['explain', NAMES[0], '--no-related', '--json']),
      fleet: await run(['explain', '-A', '--json']),
      watch: await run(['hard-refresh', NAMES[0], '--yes', '--timeout', '20s', '--json']),
      bulk: await run(['hard-refresh', '-l', 'team=conn', '--yes', '--timeout', '20s', '--json']),
    }
  } finally {
    stop()
  }
}

function expectAllWorked(results: Record<string, CliResult>): void {
  for (const [path, r] of Object.entries(results)) expect(r.exitCode, `${path}: ${r.stdout.slice(0, 600)} ${r.stderr}`).to.be.oneOf(path === 'single' || path === 'fleet' ? [0, 20] : [0])
}

describe('connection: credentials, TLS and proxies on every path (built CLI against a real API server)', function () {
  this.timeout(120_000)
  let server: FakeApiServer
  const appRequests = () => server.requests.filter((q) => q.path.startsWith(APPS_PATH))

  describe('a bearer token with a trailing newline', () => {
    before(async () => {
      server = await startFakeApiServer({tls: true})
      putApps(server)
    })
    after(() => server.stop())

    it('--token "TOKEN\\n" is trimmed (as client-go trims a token file) and works on every path; no output shows the token', async () => {
      const kubeconfig = writeKubeconfig(tempDir(), {server: server.url, 'insecure-skip-tls-verify': true}, {token: 'nope'})
      const n = appRequests().length
      const results = await everyPath(server, ['--kubeconfig', kubeconfig, '--token', 'admin-token\n'])
      expectAllWorked(results)
      for (const r of Object.values(results)) expect(r.stdout + r.stderr).not.to.include('admin-token')
      const sent = appRequests().slice(n)
      expect(sent.length).to.be.greaterThan(8)
      for (const q of sent) expect(q.headers.authorization).to.equal('Bearer admin-token')
    })

    it('a kubeconfig tokenFile (client-go\'s field) is read relative to the kubeconfig, trimmed, on every path', async () => {
      const dir = tempDir()
      mkdirSync(join(dir, 'secrets'))
      writeFileSync(join(dir, 'secrets', 'token'), 'admin-token\n')
      const kubeconfig = writeKubeconfig(join(dir, 'conf'), {server: server.url, 'insecure-skip-tls-verify': true}, {tokenFile: '../secrets/token'})
      const n = appRequests().length
      expectAllWorked(await everyPath(server, ['--kubeconfig', kubeconfig]))
      const sent = appRequests().slice(n)
      expect(sent.length).to.be.greaterThan(8)
      for (const q of sent) expect([q.user, q.headers.authorization]).to.deep.equal(['admin', 'Bearer admin-token'])
      const missing = writeKubeconfig(join(dir, 'other'), {server: server.url, 'insecure-skip-tls-verify': true}, {tokenFile: 'nowhere'})
      const r = await runCli(['explain', NAMES[0], '--kubeconfig', missing], {env})
      expect(r.exitCode).to.equal(6)
      expect(r.stderr).to.include(`The token file ${join(dir, 'other', 'nowhere')} of kubeconfig user "u" does not exist.`)
    })

    it('an exec plugin\'s token ending in "\\n" is trimmed; a credential without an expiry is fetched once for the whole run, not per request', async () => {
      const dir = tempDir()
      const count = join(dir, 'spawns')
      const plugin = join(dir, 'plugin.sh')
      writeFileSync(plugin, `#!/bin/sh\necho run >> '${count}'\nprintf '%s\\n' '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"admin-token\\n"}}'\n`)
      chmodSync(plugin, 0o755)
      const kubeconfig = writeKubeconfig(dir, {server: server.url, 'insecure-skip-tls-verify': true}, {exec: {apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never'}})
      const n = appRequests().length
      const stop = controller(server)
      const r = await runCli(['hard-refresh', '-l', 'team=conn', '--yes', '--timeout', '20s', '--json', '--kubeconfig', kubeconfig], {env}).finally(stop)
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
      const sent = appRequests().slice(n)
      expect(sent.length).to.be.greaterThan(4)
      for (const q of sent) expect(q.headers.authorization).to.equal('Bearer admin-token')
      expect(readFileSync(count, 'utf8').split('\n').filter(Boolean), 'plugin runs').to.have.length(1)
    })

    it('the in-cluster CronJob\'s exact arguments with a service account token file ending in a newline', async () => {
      const saDir = join(tempDir('sa-'), 'serviceaccount')
      mkdirSync(saDir)
      writeFileSync(join(saDir, 'token'), 'admin-token\n')
      writeFileSync(join(saDir, 'ca.crt'), server.caPem!)
      writeFileSync(join(saDir, 'namespace'), 'argocd\n')
      const {hostname, port} = new URL(server.url)
      // deploy/cronjob.yaml: args [explain, --all-namespaces, --json, --emit-events, --exit-zero], NO_COLOR, HOME=/tmp-like.
      const r = await runCli(['explain', '--all-namespaces', '--json', '--emit-events', '--exit-zero'], {env: {
        ...env, KUBECONFIG: undefined, HOME: tempDir('home-'), POD_NAMESPACE: 'argocd', KUBERNETES_SERVICE_HOST: hostname, KUBERNETES_SERVICE_PORT: port, ARGO_DOCTOR_SERVICE_ACCOUNT_DIR: saDir,
      }})
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
      expect((await jsonOut(r.stdout)).summary).to.be.an('object')
      expect(r.stdout + r.stderr).not.to.include('admin-token')
      expect(server.requests.at(-1)!.headers.authorization).to.equal('Bearer admin-token')
    })

    it('a token that cannot be sent (a line break inside it) is a credentials error (exit 6) on every command, text and JSON, and no output shows any of it', async () => {
      const token = 'SeCrEtPartOne\nSeCrEtPartTwo'
      const kubeconfig = writeKubeconfig(tempDir(), {server: server.url, 'insecure-skip-tls-verify': true}, {token: 'nope'})
      const commands = [
        ['explain', NAMES[0]], ['explain', '-A'], ['runbook', '-A'], ['hard-refresh', NAMES[0], '--dry-run'], ['hard-refresh', '-l', 'team=conn', '--dry-run'],
        ['unstick', NAMES[0], '--dry-run'], ['approve-prune', NAMES[0], '--dry-run'], ['force-presync', NAMES[0], '--dry-run'],
        ['ignore-status', NAMES[0], '--dry-run'], ['unblock-delete', NAMES[0], '--dry-run'],
      ]
      for (const command of commands) {
        for (const output of [[], ['--json'], ['--debug']]) {
          const r = await runCli([...command, ...output, '--kubeconfig', kubeconfig, '--token', token], {env})
          const label = [...command, ...output].join(' ')
          expect(r.stdout + r.stderr, label).not.to.match(/SeCrEt/)
          expect(r.exitCode, `${label}: ${r.stdout} ${r.stderr}`).to.equal(6)
          if (output[0] === '--json') expect(JSON.parse(r.stdout).error.message, label).to.include('cannot be sent: a request header (the bearer token')
          else expect(r.stderr, label).to.include('cannot be sent: a request header (the bearer token')
        }
      }
    })
  })

  describe('a kubeconfig that is not valid YAML', () => {
    it('the error names the line and never quotes the file (a token in it stays unprinted), text and JSON', async () => {
      const path = join(tempDir(), 'kubeconfig')
      writeFileSync(path, 'apiVersion: v1\nusers:\n- name: u\n  user:\n    token: SeCrEtInTheFile\n   bad: : x\n')
      for (const output of [[], ['--json']]) {
        const r = await runCli(['explain', 'x', '--kubeconfig', path, ...output], {env})
        expect(r.exitCode, r.stdout + r.stderr).to.equal(6)
        expect(r.stdout + r.stderr).to.include('bad indentation of a mapping entry (6:4)')
        expect(r.stdout + r.stderr).not.to.include('SeCrEt')
      }
    })
  })

  describe('TLS without a user, one configuration for every path', () => {
    before(async () => {
      server = await startFakeApiServer({tls: true, anonymousAs: 'admin'})
      putApps(server)
    })
    after(() => server.stop())

    for (const [label, cluster] of [
      ['insecure-skip-tls-verify', () => ({server: server.url, 'insecure-skip-tls-verify': true})],
      ['certificate-authority-data', () => ({server: server.url, 'certificate-authority-data': Buffer.from(server.caPem!).toString('base64')})],
      ['certificate-authority (a file)', () => {
        const ca = join(tempDir(), 'ca.pem')
        writeFileSync(ca, server.caPem!)
        return {server: server.url, 'certificate-authority': ca}
      }],
    ] as const) {
      it(`${label} with a context that names no user: single, fleet, watch and bulk all connect`, async () => {
        const kubeconfig = writeKubeconfig(tempDir(), cluster(), undefined)
        const n = appRequests().length
        expectAllWorked(await everyPath(server, ['--kubeconfig', kubeconfig]))
        expect(appRequests().length - n).to.be.greaterThan(8)
      })
    }

    it('the CA is checked on every path: a context without a user and without the CA fails on each (exit 7)', async () => {
      const kubeconfig = writeKubeconfig(tempDir(), {server: server.url}, undefined)
      for (const [path, r] of Object.entries(await everyPath(server, ['--kubeconfig', kubeconfig]))) {
        expect(r.exitCode, `${path}: ${r.stdout} ${r.stderr}`).to.equal(7)
        expect(JSON.parse(r.stdout).error.message, path).to.match(/certificate/)
      }
    })
  })

  describe('plain http (kubectl proxy)', () => {
    before(async () => {
      server = await startFakeApiServer({anonymousAs: 'admin'})
      putApps(server)
    })
    after(() => server.stop())

    it('-s http://… works without --insecure-skip-tls-verify on every path, and sends no credentials over plain http (as kubectl)', async () => {
      const kubeconfig = writeKubeconfig(tempDir(), {server: 'https://127.0.0.1:1'}, {token: 'admin-token'})
      const n = appRequests().length
      expectAllWorked(await everyPath(server, ['--kubeconfig', kubeconfig, '-s', server.url]))
      const sent = appRequests().slice(n)
      expect(sent.length).to.be.greaterThan(8)
      for (const q of sent) expect(q.headers.authorization).to.equal(undefined)
      const bare = await runCli(['explain', NAMES[0], '--no-related', '--json', '--kubeconfig', '/dev/null', '-s', server.url], {env})
      expect(bare.exitCode, bare.stderr).to.be.oneOf([0, 20])
    })
  })

  describe('HTTPS_PROXY, HTTP_PROXY and NO_PROXY', () => {
    let proxy: Server
    let proxyUrl: string
    let connects: string[]
    const sockets = new Set<Socket>()
    before(async () => {
      server = await startFakeApiServer({tls: true})
      putApps(server)
      connects = []
      // A real CONNECT proxy. The API server's name (apiserver.proxy.test) resolves nowhere but here,
      // as a cluster reachable only through a corporate proxy: without the proxy, ENOTFOUND.
      proxy = createServer((_req, res) => res.writeHead(405).end())
      proxy.on('connect', (req, client: Socket, head: Buffer) => {
        connects.push(req.url ?? '')
        const [host, port] = (req.url ?? '').split(':')
        if (host !== 'apiserver.proxy.test') {
          client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
          return
        }

        const upstream = tcpConnect(Number(port), '127.0.0.1', () => {
          client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
          upstream.write(head)
          upstream.pipe(client)
          client.pipe(upstream)
        })
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on('error', () => s.destroy())
          s.on('close', () => sockets.delete(s))
        }
      })
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    })
    after(async () => {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => proxy.close(resolve))
      await server.stop()
    })

    const viaName = () => {
      const {port} = new URL(server.url)
      return writeKubeconfig(tempDir(), {server: `https://apiserver.proxy.test:${port}`, 'insecure-skip-tls-verify': true}, {token: 'admin-token'})
    }

    for (const name of ['HTTPS_PROXY', 'https_proxy']) {
      it(`${name}: single, fleet, watch and bulk all go through the proxy (CONNECT)`, async () => {
        const kubeconfig = viaName()
        connects.length = 0
        const n = appRequests().length
        expectAllWorked(await everyPath(server, ['--kubeconfig', kubeconfig], {[name]: proxyUrl, HTTPS_PROXY: name === 'HTTPS_PROXY' ? proxyUrl : undefined, NO_PROXY: undefined, no_proxy: undefined}))
        expect(appRequests().length - n).to.be.greaterThan(8)
        expect(connects.length).to.be.greaterThan(3)
        expect(new Set(connects)).to.deep.equal(new Set([`apiserver.proxy.test:${new URL(server.url).port}`]))
      })
    }

    it('NO_PROXY that matches the host (a domain suffix) bypasses the proxy: the name does not resolve, exit 7', async () => {
      connects.length = 0
      const r = await runCli(['explain', NAMES[0], '--no-related', '--kubeconfig', viaName(), '--request-timeout', '5s'], {env: {...env, HTTPS_PROXY: proxyUrl, NO_PROXY: 'example.com,.proxy.test'}})
      expect(r.exitCode, r.stderr).to.equal(7)
      expect(connects).to.deep.equal([])
    })

    it('without HTTPS_PROXY the name does not resolve (exit 7): the proxy is what made it work', async () => {
      const r = await runCli(['explain', NAMES[0], '--no-related', '--kubeconfig', viaName(), '--request-timeout', '5s'], {env: {...env, HTTPS_PROXY: undefined, https_proxy: undefined}})
      expect(r.exitCode, r.stderr).to.equal(7)
    })

    it('the kubeconfig\'s proxy-url socks5h://… (a SOCKS5 proxy, which resolves the name): single, fleet, watch and bulk all go through it', async () => {
      // A real SOCKS5 proxy (RFC 1928: no authentication, CONNECT), reaching apiserver.proxy.test only.
      const seen: string[] = []
      const socks = createTcpServer((client) => {
        sockets.add(client)
        client.on('error', () => client.destroy())
        client.on('close', () => sockets.delete(client))
        client.once('data', (greeting: Buffer) => {
          if (greeting[0] !== 5) return client.destroy()
          client.write(Buffer.from([5, 0]))
          client.once('data', (request: Buffer) => {
            const end = request[3] === 3 ? 5 + request[4] : 8 // a domain name, else an IPv4 address
            const host = request[3] === 3 ? request.subarray(5, end).toString() : [...request.subarray(4, 8)].join('.')
            const port = request.readUInt16BE(end)
            seen.push(`${host}:${port}`)
            if (request[1] !== 1 || host !== 'apiserver.proxy.test') return client.end(Buffer.from([5, 4, 0, 1, 0, 0, 0, 0, 0, 0]))
            const upstream = tcpConnect(port, '127.0.0.1', () => {
              client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]))
              upstream.pipe(client)
              client.pipe(upstream)
            })
            sockets.add(upstream)
            upstream.on('error', () => upstream.destroy())
            upstream.on('close', () => sockets.delete(upstream))
          })
        })
      })
      await new Promise<void>((resolve) => socks.listen(0, '127.0.0.1', resolve))
      try {
        const {port} = new URL(server.url)
        const kubeconfig = writeKubeconfig(tempDir(), {server: `https://apiserver.proxy.test:${port}`, 'insecure-skip-tls-verify': true, 'proxy-url': `socks5h://127.0.0.1:${(socks.address() as AddressInfo).port}`}, {token: 'admin-token'})
        connects.length = 0
        const n = appRequests().length
        expectAllWorked(await everyPath(server, ['--kubeconfig', kubeconfig], {HTTPS_PROXY: undefined, https_proxy: undefined}))
        expect(appRequests().length - n).to.be.greaterThan(8)
        expect(seen.length).to.be.greaterThan(3)
        expect(new Set(seen)).to.deep.equal(new Set([`apiserver.proxy.test:${port}`]))
        expect(connects, 'the HTTP proxy').to.deep.equal([])
      } finally {
        for (const s of sockets) s.destroy()
        await new Promise((resolve) => socks.close(resolve))
      }
    })
  })

  describe('who the change is recorded as', () => {
    beforeEach(async () => {
      server = await startFakeApiServer()
      putApps(server)
    })
    afterEach(() => server.stop())

    const record = async (args: string[]) => {
      const backups = tempDir()
      const stop = controller(server)
      const r = await runCli(['hard-refresh', NAMES[1], '--yes', '--timeout', '20s', ...args], {env: {...env, ARGO_DOCTOR_BACKUP_DIR: backups}}).finally(stop)
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
      const event = server.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/events')).at(-1)!.body
      const {execFileSync} = await import('node:child_process')
      const backup = execFileSync('sh', ['-c', `cat "${backups}"/*`], {encoding: 'utf8'})
      return {event: String(event.message), backup}
    }

    it('--as: the Event and the backup name the impersonated user, not a placeholder', async () => {
      const kubeconfig = server.writeKubeconfig(tempDir())
      const {event, backup} = await record(['--kubeconfig', kubeconfig, '--as', 'bob'])
      expect(event).to.include('By bob with argo-doctor')
      expect(backup).to.include('bob')
      expect(event + backup).not.to.include('argo-doctor-flags')
    })

    it('an override flag without --as (--token): the kubeconfig user, not a placeholder', async () => {
      const kubeconfig = server.writeKubeconfig(tempDir())
      const byUser = await record(['--kubeconfig', kubeconfig, '--token', 'admin-token'])
      expect(byUser.event).to.include('By admin with argo-doctor')
      expect(byUser.event + byUser.backup).not.to.include('argo-doctor-flags')
    })
  })

  describe('a LIST answer that is not a list', () => {
    before(async () => {
      server = await startFakeApiServer()
      putApps(server)
    })
    after(() => server.stop())

    for (const [label, status, body, type] of [
      ['an HTML error page with status 200', 200, '<html><body><h1>502 Bad Gateway</h1></body></html>', 'text/html'],
      ['a Status object with status 200', 200, JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'upstream connect error', code: 502}), 'application/json'],
      ['{}', 200, '{}', 'application/json'],
    ] as const) {
      it(`${label} is an error (exit 7) on the streamed and the paged path, never "No applications found"`, async () => {
        const kubeconfig = server.writeKubeconfig(tempDir())
        // The streamed LIST gets it, then the paged one it falls back to.
        server.answerNext({method: 'GET', pathIncludes: '/applications', paginated: false, watch: false}, status, body, type)
        server.answerNext({method: 'GET', pathIncludes: '/applications', paginated: true, watch: false}, status, body, type)
        const r = await runCli(['explain', '-A', '--kubeconfig', kubeconfig], {env})
        expect(r.exitCode, r.stdout + r.stderr).to.equal(7)
        expect(r.stdout).not.to.include('No applications')
        expect(r.stderr).to.match(/not a list/)
        // The paged path on its own (bulk: -l reads page by page where it needs to): the same answer.
        server.answerNext({method: 'GET', pathIncludes: '/applications', watch: false}, status, body, type)
        server.answerNext({method: 'GET', pathIncludes: '/applications', watch: false}, status, body, type)
        const j = await runCli(['hard-refresh', '-l', 'team=conn', '--dry-run', '--json', '--kubeconfig', kubeconfig], {env})
        expect(j.exitCode, j.stdout + j.stderr).to.equal(7)
        expect(JSON.parse(j.stdout).error.code).to.equal('UNREACHABLE')
      })
    }
  })
})
