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

const require = createRequire(import.meta.url)
const LEGACY = 'const parse_url = Url.parse;'
const FALLBACK = 'const URL = Url.URL || whatwgUrl.URL;'
const WHATWG = 'const parse_url = (urlStr) => { try { return Url.urlToHttpOptions(new URL(urlStr)); } catch { return {}; } };'

export const clientNodeOnCurrentNode = {
  name: 'client-node-on-current-node',
  setup(build) {
    build.onResolve({filter: /^punycode$/}, () => ({path: require.resolve('punycode/')}))
    build.onResolve({filter: /^whatwg-url$/}, (a) => (/[\\/]node-fetch[\\/]lib[\\/]index\.js$/.test(a.importer) ? {path: 'whatwg-url', namespace: 'unused-fallback'} : undefined))
    build.onLoad({filter: /.*/, namespace: 'unused-fallback'}, () => ({contents: 'module.exports = {}', loader: 'js'}))
    build.onLoad({filter: /[\\/]node-fetch[\\/]lib[\\/]index\.js$/}, async ({path}) => {
      const source = await readFile(path, 'utf8')
      if (!source.includes(FALLBACK)) throw new Error(`${path}: no "${FALLBACK}" (node-fetch changed: check scripts/lib/client-node-esbuild.mjs)`)
      if (!source.includes(LEGACY)) throw new Error(`${path}: no "${LEGACY}" (node-fetch changed: check scripts/lib/client-node-esbuild.mjs)`)
      return {contents: source.replace(LEGACY, WHATWG), loader: 'js'}
    })
  },
}

const clientNodeDist = dirname(require.resolve('@kubernetes/client-node'))
/** The names src/lib/cluster/client-node-light.ts takes, each from the library's own module instead of its index. */
const LIGHT = {KubeConfig: 'config.js', ApiException: 'gen/apis/exception.js'}

/**
 * The kubeconfig and HTTP client of @kubernetes/client-node without its generated API classes and
 * models (src/lib/cluster/client-node-light.ts): `@kubernetes/client-node` imported by `importer`
 * (any importer when none is given: the light bundle of scripts/bundle.mjs) becomes the modules of
 * the LIGHT names, and KubeConfig (config.js) gets only the two names it uses of the generated
 * code (gen/index.js would bring every API class and model). In a bundle that also holds the whole
 * library (the single executable), these are the same modules its index re-exports, so classes
 * are one and the same (an ApiException from either is an ApiException), and the index, with the
 * API classes, is initialised only when something imports it.
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
    },
  }
}
