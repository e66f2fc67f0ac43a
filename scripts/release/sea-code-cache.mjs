// Build step of scripts/release.mjs, run by the target's own Node binary (V8 code caches are per
// build): loads app.cjs the way the single executable does (sea-compile.mjs), runs the commands
// given as JSON argument lists one after another in this process, so that what they compile is
// compiled, loads the asset scripts they did not (their top level is then compiled), then writes
// V8's code cache of each script into OUT as NAME.cache.
//
//   node sea-code-cache.mjs DIR OUT '["client-node.cjs", …]' '[["explain", "-f", "app.yaml"], …]'
//   (DIR holds app.cjs and the other scripts named)
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {loadApp} from './sea-compile.mjs'

const [dir, out, others, runs] = process.argv.slice(2)
const {app, load, scripts} = loadApp((name) => readFileSync(join(dir, name), 'latin1'), () => undefined, createRequire(import.meta.url))
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

for (const name of JSON.parse(others)) load(name)
for (const [name, script] of scripts) writeFileSync(join(out, `${name}.cache`), script.createCachedData())
exit(0)
