#!/usr/bin/env node
/**
 * npm run test:node24 — runs a command (default `npm test`) with Node 24 first on PATH: the same
 * registry package and version the single executables are made from (scripts/release/node-binaries.json,
 * integrity checked), so the npm package is proven on the Node LTS users get. The binary is unpacked
 * under node_modules/.cache/ (scripts/lib/node-package.mjs).
 *
 *   node scripts/with-node24.mjs [COMMAND ARGS…]
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {delimiter, dirname, join} from 'node:path'
import {nodePackage} from './lib/node-package.mjs'

const ROOT = join(import.meta.dirname, '..')
const {targets} = JSON.parse(readFileSync(join(ROOT, 'scripts', 'release', 'node-binaries.json'), 'utf8'))
const target = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`
const spec = targets[target]
if (!spec) {
  console.error(`with-node24: no Node binary package is pinned for ${target} (scripts/release/node-binaries.json)`)
  process.exit(1)
}

const node = nodePackage({name: spec.package, ...spec}, join(ROOT, 'node_modules', '.cache', 'argo-doctor', `${spec.package}-${spec.version}`))
const [command, ...args] = process.argv.length > 2 ? process.argv.slice(2) : ['npm', 'test']
const env = {...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}`}
console.error(`with-node24: ${command} ${args.join(' ')} on Node ${execFileSync(node, ['--version'], {encoding: 'utf8'}).trim()} (${spec.package}@${spec.version})`)
const result = spawnSync(command, args, {stdio: 'inherit', env, shell: process.platform === 'win32'})
process.exit(result.status ?? 1)
