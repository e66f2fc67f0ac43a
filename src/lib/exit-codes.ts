/**
 * The one list of exit codes. Scripts branch on these; the README's table is generated from
 * `exitCodeMeaning` below (`npm run docs`), and a test fails when the two differ.
 */
export const ExitCode = {
  OK: 0,
  /** Unexpected failure (a bug): rerun with --debug and report it. */
  ERROR: 1,
  /** Bad flags, arguments or input file. */
  USAGE: 2,
  /** The Application (or namespace, CRD) does not exist. */
  NOT_FOUND: 3,
  /** 401: the API server rejected the credentials. */
  UNAUTHORIZED: 4,
  /** 403: RBAC forbids the request. */
  FORBIDDEN: 5,
  /** Kubeconfig missing/invalid or unknown context. */
  CONFIG: 6,
  /** The API server could not be reached or did not answer in time. */
  UNREACHABLE: 7,
  /** The object changed between preview and apply; nothing was written. */
  CONFLICT: 8,
  /** The API server rejected the change (400/422/…); its reason is printed. */
  REJECTED: 9,
  /** The change was applied but the controller did not finish within --timeout. */
  TIMEOUT: 10,
  /** A confirmation was needed but there is no terminal: pass --yes or --dry-run. */
  NEEDS_CONFIRMATION: 11,
  /** The user answered "no" at the prompt. */
  DECLINED: 12,
  /** Nothing to do: the app is not in the state this command fixes. */
  NOTHING_TO_DO: 13,
  /** Refused by a safety check (young operation, sync window, …); --force overrides where offered. */
  REFUSED: 14,
  /** The sync operation we started finished Failed or Error. */
  OPERATION_FAILED: 15,
  /** The change was applied, but the API server could not be read afterwards to verify it. */
  UNVERIFIED: 16,
  /** explain: findings present (warning or worse). */
  FINDINGS: 20,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM (e.g. a CI job cancelled); as for Ctrl-C, nothing is written after the signal. */
  TERMINATED: 143,
} as const

export type ExitCodeName = keyof typeof ExitCode
export type ExitCodeValue = (typeof ExitCode)[ExitCodeName]

/** The exit code's name in kebab case ("ok", "findings", "nothing-to-do", "conflict", …): the JSON envelope's status. */
export function exitCodeName(code: number): string {
  return (Object.entries(ExitCode).find(([, c]) => c === code)?.[0] ?? 'ERROR').toLowerCase().replaceAll('_', '-')
}

/** What each code means, as the README's table says it (generated from this: `npm run docs`). */
export const exitCodeMeaning: Record<ExitCodeName, string> = {
  OK: 'success; explain: everything green (no findings, or informational ones only)',
  ERROR: 'unexpected error (a bug; rerun with `--debug`)',
  USAGE: 'bad flags, arguments or input file',
  NOT_FOUND: 'application, namespace or CRD not found',
  UNAUTHORIZED: 'credentials rejected (401)',
  FORBIDDEN: 'RBAC forbids the request (403); the message names verb and resource',
  CONFIG: 'kubeconfig missing or invalid, unknown context, or credentials that cannot be sent (e.g. a token with a line break inside it; the token is never printed)',
  UNREACHABLE: 'API server unreachable or not answering as the API does (e.g. a LIST answered with an HTML page or a Status instead of a list)',
  CONFLICT: 'object changed between preview and apply (also: a write race lost after bounded retries; a saved plan whose app changed, with the new preview); nothing written',
  REJECTED: 'API server rejected the change (400/422); its reason is printed',
  TIMEOUT: 'applied, but the controller did not finish within `--timeout`',
  NEEDS_CONFIRMATION: 'confirmation needed and no terminal: use `--yes` or `--dry-run`',
  DECLINED: 'you answered no at the prompt; nothing written',
  NOTHING_TO_DO: 'the app is not in the state this command fixes; nothing written',
  REFUSED: 'refused by a safety check (young operation, sync window, operation in progress, an unsafe or missing backup directory, an undo that would overwrite someone else\'s change, `--max`, an expired plan or one made on another API server); nothing written',
  OPERATION_FAILED: 'the sync operation finished Failed or Error (`verify.phase` in JSON says which)',
  UNVERIFIED: 'applied, but the result could not be verified (the API server was lost during verify); check with explain',
  FINDINGS: 'explain found warning or critical problems, or something in an app is not green',
  INTERRUPTED: 'Ctrl-C; nothing is written after it (a write already sent is reported as such)',
  TERMINATED: 'SIGTERM (e.g. a cancelled CI job); as for Ctrl-C',
}

/** The README's exit-code table, rendered from the two lists above. */
export function exitCodeTable(): string {
  const rows = (Object.keys(ExitCode) as ExitCodeName[])
    .map((name) => [ExitCode[name], name] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([code, name]) => `| ${code} | ${name} | ${exitCodeMeaning[name]} |`)
  return ['| code | name | meaning |', '|---|---|---|', ...rows].join('\n')
}
