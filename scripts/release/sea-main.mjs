// Entry point of the single executable (Node SEA). esbuild turns this file and dist/fast-path.js
// into the one CommonJS script the SEA runs (scripts/release.mjs).
//
//  - The invoked name decides how we present ourselves: kubectl-argo_doctor → "kubectl argo-doctor",
//    argocd-doctor → "argocd doctor", anything else → "argo-doctor". argv0, not execPath: execPath
//    has symlinks resolved (krew installs kubectl-argo_doctor as a symlink to the binary).
//  - --help / --version are answered from SEA assets (help pre-rendered at build time), no extraction.
//  - Everything else runs the same dist/ as the npm package: the payload asset (package.json, dist/,
//    production node_modules) is unpacked once per version into a cache directory, then loaded.
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {homedir, tmpdir} from 'node:os'
import {basename, dirname, join} from 'node:path'
import {brotliDecompressSync} from 'node:zlib'
import {getAsset} from 'node:sea'
import {tryFastPath} from '../../dist/fast-path.js'

const NAMES = {'kubectl-argo_doctor': 'kubectl argo-doctor', 'argocd-doctor': 'argocd doctor'}

function invokedAs() {
  const name = basename(process.argv0 || process.execPath).replace(/\.exe$/i, '')
  return NAMES[name] ?? 'argo-doctor'
}

function cacheRoot() {
  if (process.env.ARGO_DOCTOR_CACHE_DIR) return process.env.ARGO_DOCTOR_CACHE_DIR
  if (process.platform === 'win32') return join(process.env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local'), 'argo-doctor')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'argo-doctor')
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'argo-doctor')
}

/** Payload format: 4-byte big-endian header length, JSON header [[path, size, mode]…], then the files' bytes in order. */
function unpack(buffer, dir) {
  const headerLength = buffer.readUInt32BE(0)
  const entries = JSON.parse(buffer.subarray(4, 4 + headerLength).toString('utf8'))
  let offset = 4 + headerLength
  for (const [path, size, mode] of entries) {
    const target = join(dir, path)
    mkdirSync(dirname(target), {recursive: true})
    writeFileSync(target, buffer.subarray(offset, offset + size), {mode})
    offset += size
  }
}

/** The unpacked payload for this build (unpacked on first use; concurrent first runs are safe). */
function payloadDir(version) {
  const packed = Buffer.from(getAsset('payload.br'))
  const id = `${version}-${createHash('sha256').update(packed).digest('hex').slice(0, 12)}`
  for (const root of [cacheRoot(), join(tmpdir(), `argo-doctor-${process.getuid?.() ?? 'user'}`)]) {
    const dir = join(root, id)
    if (existsSync(join(dir, '.complete'))) return dir
    const staging = `${dir}.tmp-${process.pid}`
    try {
      rmSync(staging, {recursive: true, force: true})
      mkdirSync(staging, {recursive: true})
      unpack(brotliDecompressSync(packed), staging)
      writeFileSync(join(staging, '.complete'), '')
      try {
        renameSync(staging, dir)
      } catch (error) {
        rmSync(staging, {recursive: true, force: true})
        if (!existsSync(join(dir, '.complete'))) throw error // someone else finished first: use theirs
      }

      return dir
    } catch {
      rmSync(staging, {recursive: true, force: true})
      // not writable: try the next place
    }
  }

  process.stderr.write(`Error: cannot unpack argo-doctor into ${cacheRoot()} (or the temp directory).\n  Set ARGO_DOCTOR_CACHE_DIR to a writable directory.\n`)
  process.exit(1)
}

const bin = invokedAs()
// Linked as kubectl_complete-argo_doctor, kubectl (≥ 1.26) asks us for completions.
if (basename(process.argv0 || process.execPath).replace(/\.exe$/i, '') === 'kubectl_complete-argo_doctor') process.argv.splice(2, 0, '__complete')
const argv = process.argv.slice(2)
const read = (relative) => getAsset(relative, 'utf8')
if (!tryFastPath(bin, '', argv, read)) {
  const {version} = JSON.parse(read('package.json'))
  const root = payloadDir(version)
  // A CommonJS file on disk may import() ES modules; the SEA's own script may not.
  const start = createRequire(join(root, 'package.json'))('./sea-start.cjs')
  start(bin, root)
}
