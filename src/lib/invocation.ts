/**
 * How the user invoked us — "kubectl argo-doctor", "argocd doctor" or "argo-doctor" — and the one
 * place our own command lines are built, so every command line we print as a hint can be pasted
 * as is and means exactly the argv it was built from.
 *
 * `invocation.bin` is set once by main() before any command runs. (It stays a module-level value:
 * threading the name through every recipe's options would touch every recipe for no gain; the
 * diagnosis, which already has a CommandStyle, gets it explicitly.)
 */
import {shellJoin} from './shell.js'

export const invocation = {bin: 'argo-doctor'}

/** The connection flags the user gave, so a pasted hint talks to the same cluster (and how we are invoked). */
export interface CommandSpelling {
  bin?: string
  kubeconfig?: string
  context?: string
}

/**
 * A command line of ours from its argv, every word shell-quoted, with the user's --kubeconfig and
 * --context: ourCommand(['unstick', name, '-n', namespace], {context: 'prod'}) →
 * "kubectl argo-doctor unstick my-app -n argocd --context prod". The binary part is ours (two
 * words for the plugins) and is not quoted. A string second argument is just the binary.
 */
export function ourCommand(args: readonly string[], spelling: CommandSpelling | string = {}): string {
  const s = typeof spelling === 'string' ? {bin: spelling} : spelling
  const argv = [...args, ...(s.kubeconfig ? ['--kubeconfig', s.kubeconfig] : []), ...(s.context ? ['--context', s.context] : [])]
  return `${s.bin ?? invocation.bin} ${shellJoin(argv)}`
}

/** Who acts, for operations, plans and Events: the cluster identity the source resolved, else the OS user. */
export function actingUser(source: {user?: string}): string {
  return source.user || process.env.USER || process.env.USERNAME || 'unknown'
}
