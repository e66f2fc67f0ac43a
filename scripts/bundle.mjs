#!/usr/bin/env node
// Build step (after tsc): @kubernetes/client-node as two files with code caches, and the CLI's
// start-up path as a few files.
//   dist/lib/cluster/client-node-light.cjs  esbuild bundle of the names src/lib/cluster/client-node-light.ts
//                                           exports (KubeConfig and node-fetch: what every request
//                                           needs, without the generated API classes and models)
//   dist/lib/cluster/client-node.cjs        the same of src/lib/cluster/client-node.ts (the API
//                                           classes and Watch; loaded only where still used).
//                                           Both CommonJS, with every dependency: vm.Script can
//                                           take a code cache, ES modules cannot on Node 20
//   dist/lib/cluster/*.cjs.cache            V8 code cache of each, made by this Node (rejected and
//                                           ignored by any other Node version: it then just compiles)
//   dist/lib/cluster/client-node*.js        replace tsc's re-exports: load the two above (or, when
//                                           Node's module compile cache is on, require the bundle)
//   dist/fast/main.js + chunk-*.js          src/main.ts with our modules and the parts of @oclif/core
//                                           they use, as ES module chunks split at each dynamic
//                                           import (what bin/ runs): one file per lazily loaded part
//                                           instead of ~150 modules resolved, read and compiled one by
//                                           one. Other libraries stay in node_modules, loaded when
//                                           used, as do client-node (above) and lib/invocation.js
//                                           (shared with tsc's dist/, which oclif's full path loads).
import {build} from 'esbuild'
import {execFileSync} from 'node:child_process'
import {readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {clientNodeOnCurrentNode} from './lib/client-node-esbuild.mjs'

const root = join(import.meta.dirname, '..')
const dir = join(root, 'dist', 'lib', 'cluster')
const clientNodeDist = join(root, 'node_modules', '@kubernetes', 'client-node', 'dist')
/**
 * The light bundle takes each name from the library's own module instead of its index, and gives
 * KubeConfig only the two names it uses of the generated code (gen/index.js would bring every API
 * class and model): what a request needs, not the API classes.
 */
const LIGHT = {KubeConfig: 'config.js', ApiException: 'gen/apis/exception.js'}
const lightOnly = {
  name: 'client-node-light',
  setup(b) {
    b.onResolve({filter: /^@kubernetes\/client-node$/}, () => ({path: 'index', namespace: 'light'}))
    b.onResolve({filter: /^\.\/gen\/index\.js$/}, (a) => (a.importer === join(clientNodeDist, 'config.js') ? {path: 'gen', namespace: 'light'} : undefined))
    b.onLoad({filter: /^index$/, namespace: 'light'}, () => ({resolveDir: clientNodeDist, loader: 'js',
      contents: Object.entries(LIGHT).map(([name, file]) => `export {${name}} from './${file}'\n`).join('')}))
    b.onLoad({filter: /^gen$/, namespace: 'light'}, () => ({resolveDir: clientNodeDist, loader: 'js',
      contents: "export {createConfiguration} from './gen/configuration.js'\nexport {ServerConfiguration} from './gen/servers.js'\n"}))
  },
}

/**
 * One CommonJS bundle (vm.Script can take a code cache, ES modules cannot on Node 20) of the names
 * src/lib/cluster/NAME.ts exports, with every dependency; the loader that replaces tsc's NAME.js;
 * and the code cache, made by running `exercise` (what every command does first) against it.
 */
async function clientNodeBundle(name, extraPlugins, exercise) {
  const source = readFileSync(join(root, 'src', 'lib', 'cluster', `${name}.ts`), 'utf8')
  // Every `export {…} from '…'` of NAME.ts: the library's names, and node-fetch (its HTTP client).
  const exports = [...source.matchAll(/^export\s*{([^}]+)}\s*from\s*'([^']+)'/gm)]
  if (!exports.some((m) => m[2] === '@kubernetes/client-node')) throw new Error(`bundle: cannot find the export list in src/lib/cluster/${name}.ts`)
  const entry = exports.map((m) => `export {${m[1]}} from '${m[2]}'\n`).join('')
  const names = exports.flatMap((m) => m[1].split(',').map((n) => n.trim()).filter(Boolean).map((n) => n.split(/\s+as\s+/).pop()))
  const t0 = Date.now()
  const result = await build({
    stdin: {contents: entry, resolveDir: root, sourcefile: `${name}-entry.js`, loader: 'js'},
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: join(dir, `${name}.cjs`),
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
    plugins: [clientNodeOnCurrentNode, ...extraPlugins],
  })

  writeFileSync(join(dir, `${name}.js`), `// Generated by scripts/bundle.mjs: loads ${name}.cjs (one bundle of what src/lib/cluster/${name}.ts
// exports of @kubernetes/client-node) with the V8 code cache made at build time when this Node accepts it.
import {readFileSync, writeFileSync} from 'node:fs'
import Module, {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

const file = fileURLToPath(new URL('${name}.cjs', import.meta.url))
let script
const module = {exports: {}}
if (Module.getCompileCacheDir?.()) {
  // Node ≥ 22.1 with its module compile cache on (bin/ turns it on): that caches this file too.
  module.exports = createRequire(file)(file)
} else {
  let cachedData
  try {
    cachedData = readFileSync(file + '.cache')
  } catch {}
  script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {filename: file, cachedData})
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file))
}
export const {${names.join(', ')}} = module.exports
export function writeCodeCache() {
  writeFileSync(file + '.cache', script.createCachedData())
}
`)

  // The cache: load the bundle, exercise what every command does first, then save what V8 compiled.
  execFileSync(process.execPath, ['--input-type=module', '-e', `
import * as k from ${JSON.stringify(new URL('file://' + join(dir, `${name}.js`)).href)}
const kc = new k.KubeConfig()
kc.loadFromOptions({clusters: [{name: 'c', server: 'https://127.0.0.1:1'}], users: [{name: 'u', token: 't'}], contexts: [{name: 'x', cluster: 'c', user: 'u'}], currentContext: 'x'})
${exercise}
k.writeCodeCache()
`], {stdio: 'inherit'})
  const size = (f) => `${(statSync(join(dir, f)).size / 1024 / 1024).toFixed(1)} MB`
  console.error(`bundle: dist/lib/cluster/${name}.cjs ${size(`${name}.cjs`)} from ${Object.keys(result.metafile.inputs).length} modules, code cache ${size(`${name}.cjs.cache`)}, in ${Date.now() - t0} ms`)
}

// A request that fails at once (nothing listens on port 1) compiles the request path too.
await clientNodeBundle('client-node-light', [lightOnly], `
const init = await kc.applyToFetchOptions({})
await k.fetch('https://127.0.0.1:1/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/x', {...init, method: 'GET'}).catch(() => {})
new k.ApiException(404, 'x', '', {})`)
await clientNodeBundle('client-node', [], `
await kc.makeApiClient(k.CustomObjectsApi).getNamespacedCustomObject({group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'x'}).catch(() => {})
await new k.Watch(kc).watch('/apis/argoproj.io/v1alpha1/applications', {}, () => {}, () => {}).catch(() => {})`)

// ------------------------------------------------------------------ dist/fast
const fast = join(root, 'dist', 'fast')
const t1 = Date.now()
rmSync(fast, {recursive: true, force: true})
/** Shared with tsc's dist/ instead of bundled: path as imported from dist/fast/. */
const SHARED = {[join(root, 'src', 'lib', 'cluster', 'client-node.js')]: '../lib/cluster/client-node.js', [join(root, 'src', 'lib', 'cluster', 'client-node-light.js')]: '../lib/cluster/client-node-light.js', [join(root, 'src', 'lib', 'invocation.js')]: '../lib/invocation.js'}
const fastResult = await build({
  entryPoints: {main: join(root, 'src', 'main.ts')},
  tsconfig: join(root, 'tsconfig.json'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: fast,
  chunkNames: 'chunk-[hash]',
  // Less to read and pre-parse on every run; names are kept (stack traces under --debug stay readable).
  minifyWhitespace: true,
  minifySyntax: true,
  // oclif is CommonJS: its require() of Node's modules needs a real require in an ES module.
  banner: {js: "import {createRequire as __createRequire} from 'node:module';const require=__createRequire(import.meta.url);"},
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
  plugins: [{
    name: 'start-up-externals',
    setup(b) {
      b.onResolve({filter: /.*/}, (args) => {
        if (args.kind === 'entry-point') return undefined
        const ours = args.importer.startsWith(join(root, 'src') + '/')
        if (ours && args.path.startsWith('.')) {
          const shared = SHARED[join(dirname(args.importer), args.path)]
          return shared ? {path: shared, external: true} : undefined
        }
        // From our modules, every library but @oclif/core's subpath modules stays in node_modules
        // (its index, oclif's full path, too); typescript is what oclif loads for ts-node projects.
        if (ours ? !args.path.startsWith('@oclif/core/') : args.path === 'typescript' || args.path.startsWith('node:')) return {path: args.path, external: true}
        return undefined
      })
    },
  }],
})
const fastFiles = Object.keys(fastResult.metafile.outputs)
// Which of our source files each chunk holds (dist/fast/chunks.json), so a test can tell which of
// them a run loaded: the lazily loaded parts (the Argo CD API backend) are only visible that way.
writeFileSync(join(fast, 'chunks.json'), JSON.stringify(Object.fromEntries(Object.entries(fastResult.metafile.outputs)
  .filter(([file]) => file.endsWith('.js'))
  .map(([file, out]) => [file.slice(file.lastIndexOf('/') + 1), Object.keys(out.inputs).filter((i) => i.startsWith('src/')).sort()]))))
console.error(`bundle: dist/fast/ ${fastFiles.length} files from ${Object.keys(fastResult.metafile.inputs).length} modules, in ${Date.now() - t1} ms`)

