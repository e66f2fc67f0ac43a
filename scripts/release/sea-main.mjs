// Entry point of the single executable (Node SEA). esbuild turns this file and dist/fast-path.js
// into the one CommonJS script the SEA runs (scripts/release.mjs).
//
//  - The invoked name decides how we present ourselves: kubectl-argo_doctor → "kubectl argo-doctor",
//    argocd-doctor → "argocd doctor", anything else → "argo-doctor". argv0, not execPath: execPath
//    has symlinks resolved (krew installs kubectl-argo_doctor as a symlink to the binary).
//  - --help / --version are answered from SEA assets (help pre-rendered at build time).
//  - Everything else runs the asset app.cjs (dist/ and the production dependencies it needs on every
//    run, see sea-app.mjs), compiled from memory with the asset app.cjs.cache when the build made one
//    for this binary; the parts only some commands use are asset scripts of their own, compiled the
//    same way when first used (sea-compile.mjs). Nothing is written to disk.
import {createRequire} from 'node:module'
import {basename} from 'node:path'
import {getAsset} from 'node:sea'
import {tryFastPath} from '../../dist/fast-path.js'
import {loadApp} from './sea-compile.mjs'

const NAMES = {'kubectl-argo_doctor': 'kubectl argo-doctor', 'argocd-doctor': 'argocd doctor'}
const invoked = basename(process.argv0 || process.execPath).replace(/\.exe$/i, '')
const bin = NAMES[invoked] ?? 'argo-doctor'
// Linked as kubectl_complete-argo_doctor, kubectl (≥ 1.26) asks us for completions.
if (invoked === 'kubectl_complete-argo_doctor') process.argv.splice(2, 0, '__complete')
if (!tryFastPath(bin, '', process.argv.slice(2), (relative) => getAsset(relative, 'utf8'))) {
  // The scripts have every module bundled; they require Node's built-in modules only. They are ASCII
  // (the build makes them so): read as Latin-1, each is copied into a one-byte string, not decoded as UTF-8.
  const source = (name) => Buffer.from(getAsset(name)).toString('latin1')
  const cache = (name) => {
    try {
      return Buffer.from(getAsset(`${name}.cache`))
    } catch {
      return undefined // not made for this target: V8 compiles as it goes
    }
  }

  loadApp(source, cache, createRequire(process.execPath)).app.run(bin)
}
