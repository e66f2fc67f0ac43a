#!/usr/bin/env node
/**
 * npm run test:node24 — runs a command (default `npm test`) with Node 24 first on PATH: the same
 * registry package and version the single executables are made from (scripts/release/node-binaries.json,
 * integrity checked), so the npm package is proven on the Node LTS users get. The package is fetched
 * with `npm pack` once (npm's cache keeps it) and unpacked under node_modules/.cache/.
 *
 *   node scripts/with-node24.mjs [COMMAND ARGS…]
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync} from 'node:fs'
import {delimiter, dirname, join} from 'node:path'

const ROOT = join(import.meta.dirname, '..')
const {targets} = JSON.parse(readFileSync(join(ROOT, 'scripts', 'release', 'node-binaries.json'), 'utf8'))
const target = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`
const spec = targets[target]
if (!spec) {
  console.error(`with-node24: no Node binary package is pinned for ${target} (scripts/release/node-binaries.json)`)
  process.exit(1)
}

const dir = join(ROOT, 'node_modules', '.cache', 'argo-doctor', `${spec.package}-${spec.version}`)
const node = join(dir, 'package', spec.binary)
if (!existsSync(node)) {
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  const [info] = JSON.parse(execFileSync('npm', ['pack', `${spec.package}@${spec.version}`, '--json', '--prefer-offline', '--pack-destination', dir], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26}))
  if (info.integrity !== spec.integrity) {
    console.error(`with-node24: ${spec.package}@${spec.version} has integrity ${info.integrity}, expected ${spec.integrity}`)
    process.exit(1)
  }

  execFileSync('tar', ['xzf', join(dir, info.filename), '-C', dir, `package/${spec.binary}`])
  rmSync(join(dir, info.filename))
}

const [command, ...args] = process.argv.length > 2 ? process.argv.slice(2) : ['npm', 'test']
const env = {...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}`}
console.error(`with-node24: ${command} ${args.join(' ')} on Node ${execFileSync(node, ['--version'], {encoding: 'utf8'}).trim()} (${spec.package}@${spec.version})`)
const result = spawnSync(command, args, {stdio: 'inherit', env, shell: process.platform === 'win32'})
process.exit(result.status ?? 1)
