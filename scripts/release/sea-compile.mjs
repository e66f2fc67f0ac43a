// How the single executable compiles its application scripts (SEA assets): app.cjs, and the parts of
// the program only some commands use (scripts/release.mjs, LAZY), each compiled when app.cjs first
// requires `sea-script:NAME`. Shared by sea-main.mjs at run time and sea-code-cache.mjs at build
// time, so that the V8 code caches made by the one are accepted by the other (V8 checks the source
// each was made from).
import {dirname, join} from 'node:path'
import vm from 'node:vm'

/** What app.cjs requires to get another asset script's exports: `${SCRIPT_PREFIX}NAME`. */
export const SCRIPT_PREFIX = 'sea-script:'

/**
 * Compiles and runs app.cjs. `source(name)` gives an asset script's text, `cache(name)` its V8 code
 * cache (or undefined), `requireBuiltin` is require() for Node's built-in modules. Returns app.cjs's
 * exports, `scripts`: every vm.Script compiled so far by name (it grows as app.cjs loads more), and
 * `load(name)`: another script's exports, compiled and run on first use.
 */
export function loadApp(source, cache, requireBuiltin) {
  const dir = join(dirname(process.execPath), 'argo-doctor.embedded')
  const scripts = new Map()
  const exports = new Map()
  const require = (id) => (id.startsWith(SCRIPT_PREFIX) ? load(id.slice(SCRIPT_PREFIX.length)) : requireBuiltin(id))
  function load(name) {
    if (exports.has(name)) return exports.get(name)
    const filename = join(dir, name)
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source(name)}\n})`, {filename, cachedData: cache(name)})
    scripts.set(name, script)
    const module = {exports: {}}
    script.runInThisContext()(module.exports, require, module, filename, dir)
    exports.set(name, module.exports)
    return module.exports
  }

  return {app: load('app.cjs'), scripts, load}
}
