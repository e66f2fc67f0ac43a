import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa, type Options} from 'execa'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(ROOT, 'bin', 'argo-doctor')

const made: string[] = []
/** Removed when the test process exits (a test suite makes hundreds: kubeconfigs, backup dirs). */
process.once('exit', () => {
  for (const dir of made) rmSync(dir, {recursive: true, force: true})
})

export function tempDir(prefix = 'argo-doctor-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

/** Run the built CLI the way a user does (no TTY, CI unset so only the TTY check decides). */
export async function runCli(args: string[], options: Options & {env?: Record<string, string | undefined>} = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    CI: undefined,
    NO_COLOR: '1',
    ARGO_DOCTOR_BACKUP_DIR: options.env?.ARGO_DOCTOR_BACKUP_DIR ?? tempDir('argo-doctor-backups-'),
    ...options.env,
  }
  const result = await execa('node', [BIN, ...args], {reject: false, stdin: 'ignore', timeout: 60_000, ...options, env, extendEnv: false})
  return {exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr)}
}

/**
 * The result of a command's --json output, after checking it against the schemas: the envelope
 * (schemas/envelope.schema.json) and the command's result (schemas/<command>.schema.json). For a
 * failure, the envelope itself (so `.error.code` reads as before).
 */
export async function jsonOut(stdout: string): Promise<any> {
  const {loadSchema, validate} = await import('./json-schema.js')
  const envelope = JSON.parse(stdout)
  const errors = validate(loadSchema('envelope.schema.json'), envelope)
  if (envelope.result !== undefined) {
    const name = envelope.command === 'runbook' ? 'explain' : envelope.command
    const schema = (() => {
      try {
        return loadSchema(`${name}.schema.json`)
      } catch {
        return undefined
      }
    })()
    if (!schema) errors.push(`no schemas/${name}.schema.json for the command's result`)
    else if (Object.keys(envelope.result).length > 0) errors.push(...validate(schema, envelope.result).map((e) => e.replace(/^\$/, '$.result')))
  }

  if (errors.length > 0) throw new Error(`--json output does not match the schemas:\n  ${errors.slice(0, 10).join('\n  ')}`)
  return envelope.result ?? envelope
}
