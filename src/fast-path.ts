/**
 * Start-up fast path: `--help` and `--version` are answered from text rendered at build time
 * (scripts/render-help.mjs, like oclif's manifest), so they never load oclif or the Kubernetes
 * client. Only Node's own modules are imported here. Anything else falls through to the full CLI.
 */
import {readFileSync} from 'node:fs'
import Module from 'node:module'
import {homedir} from 'node:os'
import {join} from 'node:path'

const HELP = new Set(['--help', '-h'])
// Not -v: under kubectl that means verbosity (`-v 6`), never version.
const VERSION = new Set(['--version', 'version'])

/**
 * Where Node's module compile cache is kept: the user's own cache directory ($XDG_CACHE_HOME, else
 * ~/.cache), never Node's default in the shared temporary directory, where another local user
 * could create the directory first and plant compiled code. No home directory (a container run as
 * a uid without a passwd entry and without HOME): no cache. (The same lookup as lib/home.ts's
 * homeDirectory(), written here because this module loads none of ours: it runs before --help.)
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env, home: () => string = homedir): string | undefined {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'argo-doctor', 'node-compile-cache')
  try {
    return join(home(), '.cache', 'argo-doctor', 'node-compile-cache')
  } catch {
    return undefined
  }
}

/** Node ≥ 22.1 keeps what it compiled of each module there for the next run; Node 20 has no such cache. Call it first: modules loaded before are not cached. */
export function enableCompileCache(): void {
  const enable = (Module as {enableCompileCache?: (directory: string) => unknown}).enableCompileCache
  const dir = enable && compileCacheDir()
  if (dir) enable!(dir)
}

/** File-system-safe name of the way we were invoked: "kubectl argo-doctor" → "kubectl-argo-doctor". */
export function variantOf(bin: string): string {
  return bin.replaceAll(' ', '-')
}

function helpTopic(argv: string[]): string | undefined {
  if (argv.length === 1 && (HELP.has(argv[0]) || argv[0] === 'help')) return 'index'
  if (argv.length === 2 && HELP.has(argv[1]) && /^[a-z-]+$/.test(argv[0])) return argv[0]
  if (argv.length === 2 && argv[0] === 'help' && /^[a-z-]+$/.test(argv[1])) return argv[1]
  return undefined
}

/**
 * `read` gets a path relative to the package root ("package.json", "dist/help/…"); the single
 * executable passes one that reads its embedded assets instead of files.
 */
export function tryFastPath(bin: string, root: string, argv: string[], read: (relative: string) => string = (relative) => readFileSync(join(root, relative), 'utf8')): boolean {
  if (process.env.ARGO_DOCTOR_NO_FAST_PATH) return false
  try {
    if (argv.length === 1 && VERSION.has(argv[0])) {
      const pjson = JSON.parse(read('package.json')) as {name: string; version: string}
      process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
      return true
    }

    const topic = helpTopic(argv)
    if (!topic) return false
    process.stdout.write(read(`dist/help/${variantOf(bin)}/${topic}.txt`))
    return true
  } catch {
    return false // not rendered (e.g. an unknown command): let oclif answer
  }
}
