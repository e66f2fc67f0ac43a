import {styleText} from 'node:util'
import {stringify} from 'yaml'

type Style = Parameters<typeof styleText>[0]

/**
 * Where output goes and how it looks. stdout carries the result (diff, summary, JSON);
 * stderr carries progress, prompts and backups' paths, so `> file` and pipes stay clean.
 */
export class Io {
  readonly color: boolean
  /** The document format under --json / -o: the one place machine output is printed. */
  format: 'json' | 'yaml' = 'json'
  constructor(
    readonly json: boolean,
    colorFlag: boolean,
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    const forced = process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0'
    this.color = colorFlag && !json && !process.env.NO_COLOR && (forced || Boolean(stdout.isTTY))
  }

  /** A terminal we may prompt on: stdin and stderr are TTYs and this is not CI. */
  get interactive(): boolean {
    return Boolean(process.stdin.isTTY && this.stderr.isTTY) && !process.env.CI
  }

  paint(style: Style, text: string): string {
    return this.color ? styleText(style, text) : text
  }

  /** Human output (suppressed under --json). */
  out(text = ''): void {
    if (!this.json) this.stdout.write(text + '\n')
  }

  /** Progress and notices, always on stderr; under --json only warnings/errors get through. */
  info(text: string): void {
    if (!this.json) this.stderr.write(text + '\n')
  }

  warn(text: string): void {
    this.stderr.write(this.paint('yellow', `warning: ${text}`) + '\n')
  }

  /** The command's document, as JSON (--json, -o json) or YAML (-o yaml; same content). */
  printJson(value: unknown): void {
    if (this.format === 'yaml') this.stdout.write(stringify(JSON.parse(JSON.stringify(value ?? null)), {lineWidth: 0, aliasDuplicateObjects: false}))
    else this.stdout.write(JSON.stringify(value, null, 2) + '\n')
  }
}
