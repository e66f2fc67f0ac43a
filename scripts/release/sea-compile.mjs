// How the single executable compiles its application script (the SEA asset app.cjs): shared by
// sea-main.mjs at run time and sea-code-cache.mjs at build time, so that the V8 code cache made by
// the one is accepted by the other (V8 checks the source it was made from).
import {dirname, join} from 'node:path'
import vm from 'node:vm'

/** Compiles and runs app.cjs (CommonJS text); returns the vm.Script and the module's exports. */
export function compileApp(source, cachedData, requireFn) {
  const filename = join(dirname(process.execPath), 'argo-doctor.embedded', 'app.cjs')
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {filename, cachedData})
  const module = {exports: {}}
  script.runInThisContext()(module.exports, requireFn, module, filename, dirname(filename))
  return {app: module.exports, script}
}
