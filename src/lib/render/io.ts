import {inspect, type styleText} from 'node:util'
import {escapeControls, jsonPieces} from './safe.js'

type Style = Parameters<typeof styleText>[0] & keyof typeof inspect.colors

/**
 * Our own colour codes travel through the text as this per-process random marker (four
 * private-use characters) instead of ESC, and become ESC only in `render`, after every control
 * character of the data has been escaped. Cluster text cannot forge the marker: it is unknown
 * before the run. Made when colour is first used (node:crypto is not loaded for output without it).
 */
let mark: string | undefined
const MARK = (): string => (mark ??= Array.from({length: 4}, () => String.fromCodePoint(0xe000 + process.getBuiltinModule('node:crypto').randomInt(0x1900))).join(''))

/**
 * Where output goes and how it looks. stdout carries the result (diff, summary, JSON);
 * stderr carries progress, prompts and backups' paths, so `> file` and pipes stay clean.
 *
 * Everything written goes through `render`: cluster text is untrusted, so control characters,
 * escape sequences and bidi overrides are shown escaped (render/safe.ts), and only the colour
 * codes `paint` added reach the terminal.
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

  /** Colour `text` (when colour is on). The codes become real only in `render`. */
  paint(style: Style, text: string): string {
    if (!this.color) return text
    const [open, close] = inspect.colors[style] ?? [0, 0]
    return `${MARK()}[${open}m${text}${MARK()}[${close}m`
  }

  /** Text made safe for the terminal: the data's control characters escaped, then our colour codes put in. */
  render(text: string): string {
    const safe = escapeControls(text)
    return this.color ? safe.replaceAll(MARK(), '\u001b') : safe
  }

  /** Human output (suppressed under --json). */
  out(text = ''): void {
    if (!this.json) this.stdout.write(this.render(text) + '\n')
  }

  /** Progress and notices, always on stderr; under --json only warnings/errors get through. */
  info(text: string): void {
    if (!this.json) this.stderr.write(this.render(text) + '\n')
  }

  /** Every warning given, for the JSON envelope. */
  readonly warnings: string[] = []

  warn(text: string): void {
    this.warnings.push(text)
    this.stderr.write(this.render(this.paint('yellow', `warning: ${text}`)) + '\n')
  }

  /** An error line on stderr, whatever the output mode. */
  error(text: string): void {
    this.stderr.write(this.render(text) + '\n')
  }

  /**
   * The command's document, as JSON (--json, -o json) or YAML (-o yaml; same content): the exact
   * values, with every dangerous character escaped (JSON \u escapes; YAML double-quoted escapes).
   */
  async printJson(value: unknown): Promise<void> {
    if (this.format === 'yaml') {
      const {stringify} = await import('yaml') // only for -o yaml: the JSON path never loads it
      this.stdout.write(stringify(JSON.parse(JSON.stringify(value ?? null)), {lineWidth: 0, aliasDuplicateObjects: false}))
    } else {
      // In pieces, each handed over once stdout has taken the last: a fleet's document (~20 MB at
      // 10,000 apps) is never one string, nor queued whole in memory for a reader slower than us (`| jq`, `| less`).
      for (const piece of jsonPieces(value, 2)) {
        if (!(await this.written(piece))) return
      }

      await this.written('\n')
    }
  }

  /**
   * Write `text` to stdout; when its buffer is full, wait until it has drained. False once stdout
   * is closed (its reader went away, `| head`): nothing more can be written.
   */
  private async written(text: string): Promise<boolean> {
    const out = this.stdout
    if (out.destroyed) return false
    if (out.write(text)) return true
    await new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done).off('close', done).off('error', done)
        resolve()
      }

      out.on('drain', done).on('close', done).on('error', done)
    })
    return !out.destroyed
  }
}
