/**
 * What a Ctrl-C or SIGTERM interrupts. The pipeline checks `interrupted()` right before it
 * backs up and writes, so nothing is written after the signal; a write whose request was already
 * sent cannot be called back, and the exit message says so.
 */
export const writes = {
  /** Patch requests sent and not yet answered. */
  inFlight: 0,
  /** Apps written so far by this run ("namespace/name @ resourceVersion"). */
  applied: [] as string[],
}

let signalName: NodeJS.Signals | undefined

export function markInterrupted(signal: NodeJS.Signals): void {
  signalName ??= signal
}

export function interrupted(): NodeJS.Signals | undefined {
  return signalName
}

/** The one line printed when the process leaves because of a signal. */
export function interruptSummary(signal: NodeJS.Signals): string {
  const what = signal === 'SIGINT' ? 'Interrupted (Ctrl-C)' : `Stopped by ${signal}`
  if (writes.inFlight > 0) return `${what} while a change was being written: the request was already sent, so it may have been applied. Check with explain before retrying.`
  const shown = writes.applied.length > 5 ? `${writes.applied.slice(0, 5).join(', ')} and ${writes.applied.length - 5} more` : writes.applied.join(', ')
  if (writes.applied.length > 0) return `${what}. Already applied before the signal: ${shown}; nothing else was written.`
  return `${what}: nothing was written.`
}
