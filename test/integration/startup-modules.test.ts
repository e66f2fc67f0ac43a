import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {expect} from 'chai'
import {execa} from 'execa'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {BIN, ROOT, tempDir} from '../support/cli.js'
import {hookStuckApp} from '../fixtures/apps.js'

/**
 * Start-up stays lean: each command loads what it uses and nothing else. Every module a run
 * resolves is logged: ES modules by a resolve hook, CommonJS ones by Module._resolveFilename. No
 * timings here (they belong to `npm run bench`); only which modules.
 */
describe('start-up: modules each command loads', function () {
  this.timeout(30_000)
  const dir = tempDir()
  const hooks = join(dir, 'hooks.mjs')
  writeFileSync(hooks, "import {appendFileSync} from 'node:fs'\nexport async function resolve(specifier, context, next) {\n  const r = await next(specifier, context)\n  appendFileSync(process.env.MODULE_LOG, r.url + '\\n')\n  return r\n}\n")
  const register = join(dir, 'register.mjs')
  writeFileSync(register, `import Module, {register} from 'node:module'
import {appendFileSync} from 'node:fs'
import {pathToFileURL} from 'node:url'
register(${JSON.stringify(pathToFileURL(hooks).href)})
const resolveFilename = Module._resolveFilename
Module._resolveFilename = function (...args) {
  const file = resolveFilename.apply(this, args)
  if (file.startsWith('/')) appendFileSync(process.env.MODULE_LOG, pathToFileURL(file).href + '\\n')
  return file
}
// Node's own modules, as builtin:NAME (those it loaded for itself too).
process.on('exit', () => appendFileSync(process.env.MODULE_LOG, process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => 'builtin:' + m.slice(13) + '\\n').join('')))
`)
  let server: FakeApiServer
  let kubeconfig: string
  before(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    server.put(hookStuckApp())
  })
  after(async () => server.stop())

  /**
   * The lazily initialised modules of bin/'s bundle (dist/fast/main.cjs) that a run wrote V8
   * coverage for (NODE_V8_COVERAGE=dir): esbuild names each module's initialiser after its path
   * ("src/lib/argocd/source.ts", "node_modules/yaml/dist/index.js"), and coverage counts the calls
   * of every function. `ran`: those that were initialised; `all`: every one the bundle has.
   */
  function bundleModules(coverage: string): {ran: string[]; all: string[]} {
    type Coverage = {result: Array<{url: string; functions: Array<{functionName: string; ranges: Array<{count: number}>}>}>}
    const inits = readdirSync(coverage).flatMap((file) => (JSON.parse(readFileSync(join(coverage, file), 'utf8')) as Coverage).result)
      .filter((script) => script.url.endsWith('/dist/fast/main.cjs'))
      .flatMap((script) => script.functions.filter((f) => /^(src|node_modules)\//.test(f.functionName)))
    return {ran: inits.filter((f) => f.ranges[0].count > 0).map((f) => f.functionName), all: inits.map((f) => f.functionName)}
  }

  async function modules(args: string[], env: Record<string, string> = {}): Promise<string[]> {
    const log = join(tempDir(), 'modules.log')
    writeFileSync(log, '')
    const r = await execa('node', ['--import', pathToFileURL(register).href, BIN, ...args], {reject: false, stdin: 'ignore', env: {...process.env, MODULE_LOG: log, NO_COLOR: '1', ARGO_DOCTOR_BACKUP_DIR: tempDir(), ...env}})
    expect(r.exitCode, r.stderr).to.be.oneOf([0, 20])
    return [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))]
  }

  const pkg = (name: string) => (urls: string[]) => urls.filter((u) => u.includes(`/node_modules/${name}/`))
  const sdk = (urls: string[]) => urls.filter((u) => /node_modules\/(@modelcontextprotocol|zod)\//.test(u))
  /** client-node's API classes, models and Watch: the whole library, or its bundle's loader (the bundle itself is read, not resolved). */
  const clientNode = (urls: string[]) => urls.filter((u) => u.includes('/@kubernetes/client-node/') || u.endsWith('/dist/lib/cluster/client-node.js'))
  /** Only client-node's kubeconfig and HTTP client (the light bundle's loader). */
  const kubeconfigOnly = (urls: string[]) => urls.filter((u) => u.endsWith('/dist/lib/cluster/client-node-light.js'))
  const example = join(ROOT, 'examples', 'wealist-apps-prod-stuck.yaml')
  const live = (...args: string[]) => [...args, '-n', 'argocd'] // and --kubeconfig, once the server is up

  for (const args of [['--help'], ['explain', '--help'], ['explain', '-f', example], ['unstick', '-f', example], ['apply', '--help']]) {
    it(`${args.join(' ').replace(ROOT, '.')} does not load the MCP SDK`, async () => {
      const urls = await modules(args)
      expect(urls.length, 'the hook saw the run').to.be.greaterThan(0)
      expect(sdk(urls)).to.deep.equal([])
    })
  }

  it('the bundles it loads are ASCII, so V8 holds each source one byte a character (one other character doubles it: main.cjs 3.9 MB for 2 MB)', () => {
    for (const file of ['dist/fast/main.cjs', 'dist/lib/cluster/client-node-light.cjs', 'dist/lib/cluster/client-node.cjs']) {
      const bytes = readFileSync(join(ROOT, file))
      const at = bytes.findIndex((b) => b > 0x7f)
      expect(at, `${file}: ${JSON.stringify(bytes.subarray(Math.max(0, at - 40), at + 10).toString('utf8'))}`).to.equal(-1)
    }
  })

  it('mcp loads it (the check above can fail)', async () => {
    const log = join(tempDir(), 'modules.log')
    writeFileSync(log, '')
    await execa('node', ['--import', pathToFileURL(register).href, BIN, 'mcp', '--server', 'http://127.0.0.1:1'], {reject: false, stdin: 'ignore', env: {...process.env, MODULE_LOG: log}})
    // Its CommonJS build when bin/'s bundle requires it; its ES module build on oclif's full path.
    expect(sdk(readFileSync(log, 'utf8').split('\n')).some((u) => /@modelcontextprotocol\/sdk\/dist\/(cjs|esm)\/server\/mcp\.js$/.test(u))).to.equal(true)
  })

  // The hot commands: no oclif configuration (oclif's parts come from dist/fast, and its Config is never initialised), no semver engine
  // check, no yaml unless YAML is printed, client-node's kubeconfig and HTTP client only to talk to a
  // cluster, and never its API classes and models: reading and dry-running one app are plain requests.
  const hot: Array<{args: string[]; yaml: boolean; cluster: boolean}> = [
    {args: live('explain', 'payments'), yaml: false, cluster: true},
    {args: live('explain', 'payments', '--json'), yaml: false, cluster: true},
    {args: live('hard-refresh', 'payments', '--dry-run'), yaml: true, cluster: true}, // its preview is a YAML diff
    {args: ['explain', '-f', join(ROOT, 'examples', 'wealist-prod.yaml'), '--json'], yaml: false, cluster: false},
    {args: ['explain', '-f', join(ROOT, 'examples', 'wealist-prod.yaml'), '-o', 'yaml'], yaml: true, cluster: false},
  ]
  for (const {args, yaml, cluster} of hot) {
    it(`${args.join(' ').replace(ROOT, '.')}${cluster ? ' (cluster)' : ''}: ${yaml ? 'yaml' : 'no yaml'}, ${cluster ? 'client-node\'s kubeconfig only' : 'no client-node'}, no oclif configuration, no semver`, async () => {
      const coverage = tempDir()
      const urls = await modules(cluster ? [...args, '--kubeconfig', kubeconfig] : args, {NODE_V8_COVERAGE: coverage})
      // yaml is in bin/'s bundle: "loaded" is its modules initialised.
      const bundled = bundleModules(coverage)
      expect(bundled.all.filter((m) => m.startsWith('node_modules/yaml/')).length, 'the bundle holds yaml as lazily initialised modules').to.be.greaterThan(0)
      expect(urls.some((u) => u.includes('/dist/fast/')), 'ran from the start-up bundle').to.equal(true)
      expect(pkg('@oclif/core')(urls), 'oclif from node_modules').to.deep.equal([])
      // The bundle holds oclif's configuration (command.js's Command.run() would load one) but never initialises it here.
      expect(bundled.all.filter((m) => m.startsWith('node_modules/@oclif/core/lib/config/')).length, 'the bundle holds oclif\'s configuration').to.be.greaterThan(0)
      expect(bundled.ran.filter((m) => /^node_modules\/@oclif\/core\/lib\/config\/(index|config|plugin|plugin-loader)\.js$/.test(m)), 'oclif\'s configuration initialised').to.deep.equal([])
      expect(pkg('@oclif/plugin-help')(urls)).to.deep.equal([])
      expect(pkg('semver')(urls)).to.deep.equal([])
      expect(pkg('yaml')(urls), 'yaml from node_modules').to.deep.equal([])
      expect(bundled.ran.some((m) => m.startsWith('node_modules/yaml/')), 'yaml').to.equal(yaml)
      expect(kubeconfigOnly(urls).length > 0, 'client-node\'s kubeconfig').to.equal(cluster)
      expect(clientNode(urls), 'client-node\'s API classes').to.deep.equal([])
      expect(sdk(urls)).to.deep.equal([])
    })
  }

  it('offline output without colour does not load node:crypto (the colour marker is made when colour is used: FORCE_COLOR loads it)', async () => {
    const args = ['explain', '-f', join(ROOT, 'examples', 'wealist-prod.yaml')]
    expect(await modules([...args, '--json'])).to.include('builtin:fs').and.not.include('builtin:crypto')
    expect(await modules(args)).to.not.include('builtin:crypto')
    expect(await modules(args, {NO_COLOR: '', FORCE_COLOR: '1'})).to.include('builtin:crypto')
  })

  it('a change that records an Event loads client-node\'s API classes (the checks above can fail)', async () => {
    const urls = await modules(live('hard-refresh', 'payments', '--yes', '--no-wait', '--kubeconfig', kubeconfig))
    expect(kubeconfigOnly(urls).length).to.be.greaterThan(0)
    expect(clientNode(urls).length).to.be.greaterThan(0)
  })

  it('help that the pre-rendered text does not answer goes through oclif\'s full configuration (the checks above can fail)', async () => {
    const urls = await modules(['explain', 'payments', '--help'])
    expect(pkg('@oclif/core')(urls).some((u) => u.endsWith('/lib/config/config.js'))).to.equal(true)
    expect(pkg('@oclif/plugin-help')(urls).length).to.be.greaterThan(0)
    expect(pkg('semver')(urls).length).to.be.greaterThan(0)
  })

  it('the Argo CD API backend (dist/lib/argocd/) is loaded only when it is used: not on a kubeconfig, yes for argocd doctor with a login', async () => {
    const argocd = async (bin: string, args: string[], env: Record<string, string | undefined>) => {
      const log = join(tempDir(), 'modules.log')
      writeFileSync(log, '')
      const coverage = tempDir()
      await execa('node', ['--import', pathToFileURL(register).href, join(ROOT, 'bin', bin), ...args], {reject: false, stdin: 'ignore', env: {...process.env, ARGOCD_SERVER: undefined, MODULE_LOG: log, NODE_V8_COVERAGE: coverage, ...env}})
      // tsc's dist/lib/argocd/ (oclif's full path), or the modules of src/lib/argocd/ in bin/'s bundle that were initialised.
      const viaOclif = readFileSync(log, 'utf8').split('\n').filter((u) => u.includes('/dist/lib/argocd/')).map((u) => u.slice(u.indexOf('/dist/lib/argocd/') + '/dist/'.length))
      const bundled = bundleModules(coverage)
      expect(bundled.all.filter((m) => m.startsWith('src/lib/argocd/')).length, 'the bundle holds the backend as lazily initialised modules').to.be.greaterThan(0)
      return [...viaOclif, ...bundled.ran.filter((m) => m.startsWith('src/lib/argocd/')).map((m) => m.slice('src/'.length).replace(/\.ts$/, '.js'))]
    }

    expect(await argocd('kubectl-argo_doctor', ['explain', 'x', '--kubeconfig', '/nowhere'], {})).to.deep.equal([])
    expect(await argocd('argocd-doctor', ['explain', 'x', '--kubeconfig', '/nowhere'], {})).to.deep.equal([])
    const used = await argocd('argocd-doctor', ['explain', 'x'], {ARGOCD_SERVER: '127.0.0.1:1', ARGOCD_AUTH_TOKEN: 'token', ARGOCD_CONFIG_DIR: tempDir()})
    expect(used).to.include('lib/argocd/source.js')
  })
})
