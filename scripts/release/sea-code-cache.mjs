// Build step of scripts/release.mjs, run by the target's own Node binary (V8 code caches are per
// build): compiles app.cjs the way the single executable does (sea-compile.mjs), runs the commands
// given as JSON argument lists one after another in this process, so that what they compile is
// compiled, then writes V8's code cache of app.cjs.
//
//   node sea-code-cache.mjs APP_CJS OUT_CACHE '[["explain", "-f", "app.yaml"], …]'
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {compileApp} from './sea-compile.mjs'

const [appFile, out, runs] = process.argv.slice(2)
const {app, script} = compileApp(readFileSync(appFile, 'utf8'), undefined, createRequire(import.meta.url))
const exit = process.exit
process.exit = () => {} // the CLI exits when a command is done; here the next one follows
const silent = {write: () => true}
for (const argv of JSON.parse(runs)) {
  process.argv = [process.argv[0], 'argo-doctor', ...argv]
  const [stdout, stderr] = [process.stdout.write, process.stderr.write]
  process.stdout.write = process.stderr.write = silent.write
  try {
    await app.run('argo-doctor')
  } finally {
    process.stdout.write = stdout
    process.stderr.write = stderr
  }
}

writeFileSync(out, script.createCachedData())
exit(0)
