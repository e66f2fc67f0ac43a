import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {BIN, tempDir} from './cli.js'

/**
 * Run a command inside a real pseudo-terminal (util-linux `script`), so the CLI sees a TTY and
 * prompts, and the test can answer like a person at the keyboard.
 */
export class PtySession {
  output = ''
  readonly exited: Promise<number>
  private readonly child: ChildProcessWithoutNullStreams

  constructor(command: string, env: Record<string, string | undefined>) {
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {env: {...process.env, CI: undefined, TERM: 'xterm', NO_COLOR: '1', ...env} as NodeJS.ProcessEnv})
    this.child.stdout.on('data', (d: Buffer) => {
      this.output += d.toString('utf8')
    })
    this.child.stderr.on('data', (d: Buffer) => {
      this.output += d.toString('utf8')
    })
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code ?? -1)))
  }

  /** The screen text without ANSI escapes. */
  get text(): string {
    // eslint-disable-next-line no-control-regex
    return this.output.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')
  }

  async waitFor(pattern: RegExp, timeoutMs = 20_000, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!pattern.test(this.text.slice(from))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${this.text}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** Count of matches so far (to wait for the second prompt). */
  count(pattern: RegExp): number {
    return this.text.match(new RegExp(pattern.source, 'g'))?.length ?? 0
  }

  type(text: string): void {
    this.child.stdin.write(text)
  }

  kill(): void {
    this.child.kill('SIGKILL')
  }
}

export function cliInPty(args: string[], env: Record<string, string | undefined> = {}): PtySession {
  const quoted = ['node', BIN, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ')
  return new PtySession(quoted, {ARGO_DOCTOR_BACKUP_DIR: tempDir('argo-doctor-backups-'), ...env})
}
