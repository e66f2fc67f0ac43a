import type {Io} from './io.js'
import {oneLine} from './safe.js'

export interface Progress {
  update(text: string): void
  stop(final?: string): void
}

/** An ora spinner on stderr; silent under --json, plain lines when stderr is not a TTY. */
export async function startProgress(io: Io, title: string): Promise<Progress> {
  if (io.json) return {update() {}, stop() {}}
  // Progress lines quote the controller's messages: one line each, escaped.
  const text = oneLine(title)
  // A terminal that reports no size (columns 0: `script` without a window, some CI PTYs) makes ora
  // divide by zero when counting lines and spin forever: print plain lines there too.
  if (!io.stderr.isTTY || !io.stderr.columns) {
    io.info(text)
    let lastLine = text
    return {
      update(raw) {
        const next = oneLine(raw)
        if (next !== lastLine) io.info(`  ${next}`)
        lastLine = next
      },
      stop(final) {
        if (final) io.info(final)
      },
    }
  }

  const {default: ora} = await import('ora')
  const spinner = ora({text: io.render(text), stream: io.stderr, color: 'cyan', isEnabled: io.color || undefined}).start()
  return {
    update(next) {
      spinner.text = io.render(oneLine(next))
    },
    stop(final) {
      spinner.stop()
      if (final) io.info(final)
    },
  }
}
