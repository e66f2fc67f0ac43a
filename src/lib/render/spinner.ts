import type {Io} from './io.js'

export interface Progress {
  update(text: string): void
  stop(final?: string): void
}

/** An ora spinner on stderr; silent under --json, plain lines when stderr is not a TTY. */
export async function startProgress(io: Io, text: string): Promise<Progress> {
  if (io.json) return {update() {}, stop() {}}
  // A terminal that reports no size (columns 0: `script` without a window, some CI PTYs) makes ora
  // divide by zero when counting lines and spin forever: print plain lines there too.
  if (!io.stderr.isTTY || !io.stderr.columns) {
    io.info(text)
    let lastLine = text
    return {
      update(next) {
        if (next !== lastLine) io.info(`  ${next}`)
        lastLine = next
      },
      stop(final) {
        if (final) io.info(final)
      },
    }
  }

  const {default: ora} = await import('ora')
  const spinner = ora({text, stream: io.stderr, color: 'cyan', isEnabled: io.color || undefined}).start()
  return {
    update(next) {
      spinner.text = next
    },
    stop(final) {
      spinner.stop()
      if (final) io.info(final)
    },
  }
}
