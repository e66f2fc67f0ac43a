/**
 * Start-up: run a command straight from the build-time table of commands (command-table.ts),
 * without loading oclif's configuration (package.json plugins, the manifest, the help plugin,
 * themes, hooks). oclif still parses the flags and arguments (Command.parse) and still renders help
 * and errors: anything this path does not cover — help flags, `help`, an unknown command — falls
 * through to the full oclif path in main.ts, as does everything under ARGO_DOCTOR_NO_FAST_PATH.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Config} from '@oclif/core'
import {COMMANDS} from './command-table.js'

type CommandClass = (new (argv: string[], config: Config) => {_run(): Promise<unknown>}) & {id?: string; strict?: boolean; args?: Record<string, unknown>}

/** oclif's help flags (--help and package.json's additionalHelpFlags: -h), which oclif looks for anywhere before `--`. */
const HELP_FLAGS = new Set(['--help', '-h'])

/** The command this path runs for argv, if it runs one: its id and its arguments. */
export function dispatchable(argv: string[]): {id: string; argv: string[]} | undefined {
  if (process.env.ARGO_DOCTOR_NO_FAST_PATH) return undefined
  const [id, ...rest] = argv.length === 0 ? ['runbook'] : argv // no arguments: the runbook, as in main.ts
  if (!Object.hasOwn(COMMANDS, id)) return undefined
  for (const a of rest) {
    if (a === '--') break
    if (HELP_FLAGS.has(a)) return undefined
  }

  return {id, argv: rest}
}

/**
 * What a command reads of oclif's Config, as Config.load would set it for this package: the name
 * it was invoked by, the version, the scoped environment variables, and no hooks (this package
 * and @oclif/plugin-help declare none). `findCommand` and `commandIDs` answer from the table
 * (oclif's deprecation check looks the command up).
 */
function lightConfig(bin: string, root: string, pjson: {name: string; version: string; oclif: Record<string, unknown>}, id: string, Cmd: CommandClass): Config {
  const envKeys = (k: string) => [[bin.replaceAll('@', '').replaceAll(/[/-]/g, '_'), k].join('_').toUpperCase()]
  const config = {
    root, bin, name: pjson.name, version: pjson.version, pjson: {...pjson, oclif: {...pjson.oclif, bin}},
    topicSeparator: ' ', commandIDs: Object.keys(COMMANDS), theme: undefined,
    platform: process.platform, arch: process.arch, userAgent: `${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}`,
    findCommand: (wanted: string) => (wanted === id ? Cmd : undefined),
    scopedEnvVarKeys: envKeys,
    scopedEnvVarKey: (k: string) => envKeys(k)[0],
    scopedEnvVar: (k: string) => process.env[envKeys(k).find((key) => process.env[key]) ?? ''],
    runHook: async () => ({successes: [], failures: []}),
  }
  return config as unknown as Config
}

/**
 * Runs the command argv names when dispatchable() says this path covers it; false otherwise
 * (nothing loaded, nothing printed). `read` gets a path relative to the package root, like
 * tryFastPath's.
 */
export async function tryDispatch(bin: string, root: string, argv: string[], read: (relative: string) => string = (relative) => readFileSync(join(root, relative), 'utf8')): Promise<boolean> {
  const target = dispatchable(argv)
  if (!target) return false
  const pjson = JSON.parse(read('package.json')) as {name: string; version: string; oclif: Record<string, unknown>}
  const Cmd = (await COMMANDS[target.id]()).default as CommandClass
  Cmd.id = target.id // as oclif's plugin loader sets it
  try {
    await new Cmd(target.argv, lightConfig(bin, root, pjson, target.id, Cmd))._run()
    // CommonJS modules: `default` is their exports under Node and in a bundle alike.
    const {default: {flush}} = await import('@oclif/core/flush')
    await flush()
  } catch (error) {
    const {default: {handle}} = await import('@oclif/core/handle')
    await handle(error as Error)
  }

  return true
}
