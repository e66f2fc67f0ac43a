/**
 * Running in a pod: when argo-doctor uses the pod's service account instead of a kubeconfig, and
 * the namespace it then defaults to. kubectl's rules (client-go's clientcmd): a kubeconfig that
 * names a cluster always wins; only when there is none (no --kubeconfig, no file in $KUBECONFIG,
 * no ~/.kube/config) and no -s/--server, and KUBERNETES_SERVICE_HOST/PORT are set, the service
 * account's token and CA are used. Light on purpose (node:fs only): the flag parser asks it for the
 * default namespace before @kubernetes/client-node is loaded.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {homeDirectory} from '../home.js'

/** Where the kubelet mounts the service account (token, ca.crt, namespace). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/**
 * ARGO_DOCTOR_SERVICE_ACCOUNT_DIR replaces SERVICE_ACCOUNT_DIR: for a token projected elsewhere
 * (a sidecar, a custom projected volume) and for tests that have no kubelet to mount one.
 */
export function serviceAccountDir(): string {
  return process.env.ARGO_DOCTOR_SERVICE_ACCOUNT_DIR || SERVICE_ACCOUNT_DIR
}

/** A kubeconfig file with no document at all (/dev/null, an empty file): client-node fails on it with a TypeError. */
export function isEmptyFile(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').replace(/^\s*(#.*)?$/gm, '').trim() === ''
  } catch {
    return false
  }
}

/** The kubeconfig files kubectl would read without --kubeconfig: $KUBECONFIG's list, else ~/.kube/config. */
export function defaultKubeconfigPaths(): string[] {
  const envPaths = (process.env.KUBECONFIG ?? '').split(':').filter(Boolean)
  if (envPaths.length > 0) return envPaths
  const home = homeDirectory()
  return home === undefined ? [] : [join(home, '.kube', 'config')]
}

/** KUBERNETES_SERVICE_HOST and _PORT, which the kubelet sets in every container. */
export function serviceEnv(): {host: string; port: string} | undefined {
  const host = process.env.KUBERNETES_SERVICE_HOST
  const port = process.env.KUBERNETES_SERVICE_PORT
  return host && port ? {host, port} : undefined
}

/** Whether this run uses the in-cluster config (the token file itself is checked when loading it). */
export function usesInClusterConfig(opts: {kubeconfig?: string; server?: string}): boolean {
  if (opts.kubeconfig || opts.server || !serviceEnv()) return false
  return !defaultKubeconfigPaths().some((p) => existsSync(p) && !isEmptyFile(p))
}

/** The service account's namespace file, trimmed; undefined when absent or empty. */
export function serviceAccountNamespace(dir = serviceAccountDir()): string | undefined {
  try {
    return readFileSync(join(dir, 'namespace'), 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * The default -n in a pod, as kubectl's in-cluster config has it: $POD_NAMESPACE (the downward
 * API), else the service account's namespace. Undefined outside the in-cluster config.
 */
export function inClusterNamespace(opts: {kubeconfig?: string; server?: string}): {namespace: string; from: string} | undefined {
  if (!usesInClusterConfig(opts)) return undefined
  if (process.env.POD_NAMESPACE) return {namespace: process.env.POD_NAMESPACE, from: '$POD_NAMESPACE'}
  const ns = serviceAccountNamespace()
  return ns ? {namespace: ns, from: `${join(serviceAccountDir(), 'namespace')}`} : undefined
}

/**
 * Who the token says we are: the `sub` claim of a service account token
 * ("system:serviceaccount:NAMESPACE:NAME"). Read for display only, never trusted: the API server
 * decides. Undefined for anything that is not a JWT with a string subject.
 */
export function tokenSubject(token: string): string | undefined {
  const parts = token.trim().split('.')
  if (parts.length !== 3) return undefined
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as {sub?: unknown}
    return typeof claims.sub === 'string' && /^[\w:.@-]{1,320}$/.test(claims.sub) ? claims.sub : undefined
  } catch {
    return undefined
  }
}
