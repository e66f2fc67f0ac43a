import {DoctorError} from './errors.js'

/**
 * Kubernetes names, checked before any request: an Application name is a DNS-1123 subdomain,
 * a namespace a DNS-1123 label. Without this, `-n 'x/../y'` becomes a different URL path and the
 * API server's 404 reads like a missing CRD.
 */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s)

export function validateNamespace(value: string, what = 'namespace (-n)'): string {
  if (value.length > 63 || !LABEL.test(value)) {
    throw new DoctorError('USAGE', `${show(value)} is not a valid ${what}: a namespace is at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit.`, 'Example: -n argocd')
  }

  return value
}

/** A DNS-1123 subdomain, what the API server requires of an Application's name. */
export const isAppName = (value: string): boolean => value.length <= 253 && SUBDOMAIN.test(value)

export function validateAppName(value: string): string {
  if (!isAppName(value)) {
    throw new DoctorError('USAGE', `${show(value)} is not a valid Application name: at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit.`, 'List the names with: kubectl get applications.argoproj.io -n NAMESPACE')
  }

  return value
}
