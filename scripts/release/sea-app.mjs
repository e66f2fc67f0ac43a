// The application inside the single executable: scripts/release.mjs bundles this file with dist/ and
// the production dependencies into one CommonJS script (esbuild), stored as the SEA asset app.cjs and
// compiled from memory by sea-main.mjs with a V8 code cache made at build time; what only some commands
// use is in asset scripts of its own (LAZY in scripts/release.mjs), compiled when first required.
// Nothing is unpacked.
//
// oclif finds a CLI by reading files under its root (package.json, oclif.manifest.json, the help
// plugin's) and importing command files by path. Here the root is a directory that does not exist
// (EMBEDDED_ROOT): reads of exactly those files are answered from copies built into this script, and
// oclif's module loader is replaced at bundle time by sea-module-loader.mjs, which returns the
// bundled command modules. Every other file access goes to the real file system, untouched.
import fs from 'node:fs'
import {join} from 'node:path'
import {EMBEDDED_FILES, EMBEDDED_ROOT} from 'sea:embedded'

const embedded = new Map(Object.entries(EMBEDDED_FILES).map(([relative, text]) => [join(EMBEDDED_ROOT, relative), text]))
const contents = (path, options) => {
  const text = typeof path === 'string' ? embedded.get(path) : undefined
  if (text === undefined) return undefined
  return (typeof options === 'string' ? options : options?.encoding) ? text : Buffer.from(text)
}

const {readFileSync} = fs
const {readFile} = fs.promises
fs.readFileSync = function (path, options) {
  return contents(path, options) ?? readFileSync.apply(this, arguments)
}

fs.promises.readFile = async function (path, options) {
  return contents(path, options) ?? readFile.apply(this, arguments)
}

// oclif's settings (globalThis.oclif): in development (NODE_ENV) it would look for the TypeScript sources
// of compiled commands and load the compiler for it; the executable holds neither (scripts/release.mjs).
;(globalThis.oclif ??= {}).enableAutoTranspile = false

/** Runs the CLI as `bin` ("kubectl argo-doctor", …) with process.argv. */
export async function run(bin) {
  const {main} = await import('../../dist/main.js')
  await main(bin, EMBEDDED_ROOT)
}
