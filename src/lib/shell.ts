/** Command lines we print for the user to paste: POSIX-shell quoting, in one place. */

/**
 * Quote one word for a POSIX shell: left bare when it is only safe characters, else in single
 * quotes (inside which nothing is special; a ' is written '\''). `$(…)`, backticks, `;`, globs
 * and spaces in cluster-sourced names therefore stay literal when pasted.
 */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`
}

/** argv → one command line, each word quoted. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => shellQuote(a)).join(' ')
}

/** shellJoin as a rest-argument call, for command lines inside sentences: `Run: ${sh('kubectl', 'get', name)}`. */
export function sh(...argv: string[]): string {
  return shellJoin(argv)
}
