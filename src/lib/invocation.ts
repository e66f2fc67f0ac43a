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

/**
 * A command line of ours from its argv, every word shell-quoted:
 * ourCommand(['unstick', name, '-n', namespace]) → "kubectl argo-doctor unstick my-app -n argocd".
 * The binary part is ours (two words for the plugins) and is not quoted.
 */
export function ourCommand(args: readonly string[], bin = invocation.bin): string {
  return `${bin} ${shellJoin(args)}`
}
