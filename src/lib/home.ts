import {homedir} from 'node:os'

/**
 * The user's home directory, or undefined where there is none: os.homedir() throws when HOME is
 * unset and the uid has no passwd entry (a container run with an arbitrary uid and a clean
 * environment). Callers then go without what lives there (~/.kube/config, ~/.config/argocd, the
 * backup directory) and say so, instead of dying with a system error.
 */
export function homeDirectory(): string | undefined {
  try {
    return homedir() || undefined
  } catch {
    return undefined
  }
}
