/**
 * How the user invoked us — "kubectl argo-doctor", "argocd doctor" or "argo-doctor" — so every
 * command line we print as a hint can be pasted as is. Set once by main().
 */
export const invocation = {bin: 'argo-doctor'}

/** A command line of ours, e.g. ourCommand('unstick my-app -n argocd'). */
export function ourCommand(args: string): string {
  return `${invocation.bin} ${args}`
}
