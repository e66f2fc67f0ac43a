// esbuild plugin for every bundle that holds @kubernetes/client-node (scripts/bundle.mjs for the npm
// package, scripts/release.mjs for the single executable).
//
// Node ≥ 21 prints a deprecation warning when code outside node_modules requires the built-in
// `punycode` module (DEP0040) or calls url.parse() (DEP0169). Bundled into dist/, client-node's HTTP
// client is such code: node-fetch 2 parses every request URL with url.parse(), and whatwg-url's tr46
// requires `punycode`. Without this, every live command on Node 24 would start with both warnings.
//  - tr46 gets the userland punycode package, the alternative Node's warning asks for (same API).
//  - node-fetch gets Node's WHATWG parser, url.urlToHttpOptions(new URL(…)), instead of url.parse():
//    it only passes it URLs already normalised by new URL(); anything else still fails its
//    "Only absolute URLs are supported" check, as before.
//  - node-fetch's whatwg-url (with tr46 and its Unicode tables, a third of the light bundle) is left
//    out: node-fetch only uses it where the runtime has no URL class (`Url.URL || whatwgUrl.URL`),
//    and every Node we run on has one.
import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {patchedSource} from './patch-source.mjs'

const require = createRequire(import.meta.url)
const LEGACY = 'const parse_url = Url.parse;'
const FALLBACK = 'const URL = Url.URL || whatwgUrl.URL;'
const WHATWG = 'const parse_url = (urlStr) => { try { return Url.urlToHttpOptions(new URL(urlStr)); } catch { return {}; } };'
const ZLIB = "var zlib = _interopDefault(require('zlib'));"
const LAZY_ZLIB = "var zlib = new Proxy({}, {get: (_, key) => require('zlib')[key]});"

export const clientNodeOnCurrentNode = {
  name: 'client-node-on-current-node',
  setup(build) {
    build.onResolve({filter: /^punycode$/}, () => ({path: require.resolve('punycode/')}))
    build.onResolve({filter: /^whatwg-url$/}, (a) => (/[\\/]node-fetch[\\/]lib[\\/]index\.js$/.test(a.importer) ? {path: 'whatwg-url', namespace: 'unused-fallback'} : undefined))
    build.onLoad({filter: /.*/, namespace: 'unused-fallback'}, () => ({contents: 'module.exports = {}', loader: 'js'}))
    build.onLoad({filter: /[\\/]node-fetch[\\/]lib[\\/]index\.js$/}, async ({path}) => ({loader: 'js',
      contents: await patchedSource(path, [[FALLBACK, FALLBACK], [LEGACY, WHATWG], [ZLIB, LAZY_ZLIB]], 'scripts/lib/client-node-esbuild.mjs')}))
  },
}

const clientNodeDist = dirname(require.resolve('@kubernetes/client-node'))
/** The names src/lib/cluster/client-node-light.ts takes, each from the library's own module instead of its index. */
const LIGHT = {KubeConfig: 'config.js', ApiException: 'gen/apis/exception.js'}

/**
 * What KubeConfig's modules import for credentials and proxies that a kubeconfig rarely uses: the
 * cloud and OIDC auth providers' helpers, the proxy agents (socks: ~2 ms to initialise) and
 * child_process (exec plugins). Each becomes a stand-in that initialises the real module the first
 * time one of these names is used, so a run with a plain token or certificate never does: a class
 * whose constructor returns an instance of the real class, a function that calls the real one, and
 * for a default import an object of such functions. The build fails if client-node uses a name
 * not listed here, or imports one of these another way.
 */
const LAZY_DEPS = {
  'node:child_process': {default: ['execSync', 'spawn', 'spawnSync']},
  'socks-proxy-agent': {classes: ['SocksProxyAgent']},
  hpagent: {classes: ['HttpProxyAgent', 'HttpsProxyAgent']},
  'openid-client': {functions: ['discovery', 'refreshTokenGrant']},
  'jsonpath-plus': {functions: ['JSONPath']},
}

/** Throws unless every name `source` (a module of client-node's dist/) uses of a LAZY_DEPS module is listed there. */
function checkLazyDeps(file, source) {
  for (const [spec, {classes = [], functions = [], default: members = []}] of Object.entries(LAZY_DEPS)) {
    const quoted = `'${spec}'`
    const imports = source.split('\n').filter((line) => line.startsWith('import ') && line.trimEnd().endsWith(`${quoted};`))
    if (source.split(quoted).length - 1 !== imports.length) throw new Error(`${file}: imports ${spec} in a way scripts/lib/client-node-esbuild.mjs does not know (LAZY_DEPS)`)
    const used = []
    for (const line of imports) {
      const m = /^import (?:\* as (\w+)|(\w+)|\{([^}]*)\}) from /.exec(line)
      if (!m) throw new Error(`${file}: "${line}": scripts/lib/client-node-esbuild.mjs (LAZY_DEPS) does not know this import`)
      if (m[3] !== undefined) used.push(...m[3].split(',').map((n) => n.trim()).filter(Boolean).map((n) => ({name: n, of: [...classes, ...functions]})))
      const local = m[1] ?? m[2]
      if (local === undefined) continue
      // The rest of the module without comments and string literals, where the name may appear as a word.
      const rest = source.replace(line, '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''").replace(/\/\/.*$/gm, '')
      if (new RegExp(`\\b${local}\\b(?!\\.\\w)`).test(rest)) throw new Error(`${file}: uses ${local} (${spec}) other than as ${local}.NAME (LAZY_DEPS in scripts/lib/client-node-esbuild.mjs)`)
      used.push(...[...rest.matchAll(new RegExp(`\\b${local}\\.(\\w+)`, 'g'))].map((u) => ({name: u[1], of: m[1] ? [...classes, ...functions] : members})))
    }

    const missing = used.filter((u) => !u.of.includes(u.name)).map((u) => u.name)
    if (missing.length > 0) throw new Error(`${file}: uses ${missing.join(', ')} of ${spec}, not in LAZY_DEPS (scripts/lib/client-node-esbuild.mjs)`)
  }
}

/** The stand-in for a LAZY_DEPS module: the real one is initialised by the first call. */
function lazyDep(spec) {
  const {classes = [], functions = [], default: members = []} = LAZY_DEPS[spec]
  const forward = (name) => `(...args) => real().${name}(...args)`
  return [`let module_\nconst real = () => (module_ ??= require(${JSON.stringify(spec)}))`,
    ...classes.map((name) => `export class ${name} { constructor(...args) { return new (real().${name})(...args) } }`),
    ...functions.map((name) => `export const ${name} = ${forward(name)}`),
    ...(members.length > 0 ? [`export default {${members.map((name) => `${name}: ${forward(name)}`).join(', ')}}`] : [])].join('\n')
}

/**
 * The kubeconfig and HTTP client of @kubernetes/client-node without its generated API classes and
 * models (src/lib/cluster/client-node-light.ts): `@kubernetes/client-node` imported by `importer`
 * (any importer when none is given: the light bundle of scripts/bundle.mjs) becomes the modules of
 * the LIGHT names, and KubeConfig (config.js) gets only the two names it uses of the generated
 * code (gen/index.js would bring every API class and model). Its modules get the LAZY_DEPS
 * stand-ins. The whole library is a bundle of its own in both forms (client-node.cjs), loaded
 * only to record an Event or to watch: its classes are not these (compare errors by status and
 * name, not by class).
 */
export function clientNodeLight(importer) {
  return {
    name: 'client-node-light',
    setup(b) {
      b.onResolve({filter: /^@kubernetes\/client-node$/}, (a) => (importer === undefined || a.importer === importer ? {path: 'index', namespace: 'light'} : undefined))
      b.onResolve({filter: /^\.\/gen\/index\.js$/}, (a) => (a.importer === join(clientNodeDist, 'config.js') ? {path: 'gen', namespace: 'light'} : undefined))
      b.onLoad({filter: /^index$/, namespace: 'light'}, () => ({resolveDir: clientNodeDist, loader: 'js',
        contents: Object.entries(LIGHT).map(([name, file]) => `export {${name}} from './${file}'\n`).join('')}))
      b.onLoad({filter: /^gen$/, namespace: 'light'}, () => ({resolveDir: clientNodeDist, loader: 'js',
        contents: "export {createConfiguration} from './gen/configuration.js'\nexport {ServerConfiguration} from './gen/servers.js'\n"}))
      const inDist = (path) => dirname(path) === clientNodeDist
      b.onResolve({filter: /.*/}, (a) => (a.path in LAZY_DEPS && inDist(a.importer) ? {path: a.path, namespace: 'client-node-lazy'} : undefined))
      b.onLoad({filter: /.*/, namespace: 'client-node-lazy'}, (a) => ({resolveDir: clientNodeDist, loader: 'js', contents: lazyDep(a.path)}))
      b.onLoad({filter: /\.js$/}, async (a) => {
        if (inDist(a.path)) checkLazyDeps(a.path, await readFile(a.path, 'utf8'))
        return undefined // loaded as usual
      })
    },
  }
}
