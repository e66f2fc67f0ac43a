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

// A label key is an optional DNS-1123 subdomain prefix and "/", then a name of at most 63
// characters; a value is at most 63 (k8s.io/apimachinery/pkg/util/validation).
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const isLabelKey = (key: string): boolean => {
  const slash = key.lastIndexOf('/')
  const name = key.slice(slash + 1)
  return name.length <= 63 && LABEL_NAME.test(name) && (slash < 0 || isAppName(key.slice(0, slash)))
}

const isLabelValue = (value: string): boolean => value === '' || (value.length <= 63 && LABEL_NAME.test(value))
const KEY = String.raw`([^\s!=<>(),]+)`
const REQUIREMENT = [
  new RegExp(String.raw`^!\s*${KEY}$`),
  new RegExp(String.raw`^${KEY}$`),
  new RegExp(String.raw`^${KEY}\s*(?:==|!=|=)\s*([^\s!=<>(),]*)$`),
  new RegExp(String.raw`^${KEY}\s+(?:in|notin)\s*\(([^()]*)\)$`),
  new RegExp(String.raw`^${KEY}\s*[<>]\s*(-?\d+)$`),
]

/**
 * A -l label selector as the API server parses it (k8s.io/apimachinery/pkg/labels): checked
 * before any request, so a typo is a usage error and not the server's 400.
 */
export function validateSelector(selector: string): string {
  const bad = () => new DoctorError('USAGE', `${show(selector)} is not a valid label selector: use KEY=VALUE, KEY!=VALUE, KEY in (V1,V2), KEY notin (…), KEY or !KEY, joined by commas.`, 'Example: -l team=payments,env!=dev')
  // Commas outside parentheses separate the requirements.
  const requirements = selector.split(/,(?![^()]*\))/).map((r) => r.trim())
  for (const requirement of requirements) {
    const match = REQUIREMENT.map((re, i) => ({i, m: re.exec(requirement)})).find((x) => x.m)
    if (!match?.m || !isLabelKey(match.m[1])) throw bad()
    if (match.i === 2 && !isLabelValue(match.m[2])) throw bad()
    if (match.i === 3) {
      const values = match.m[2].split(',').map((v) => v.trim())
      if (values.every((v) => v === '') || !values.every((v) => isLabelValue(v))) throw bad()
    }
  }

  return selector
}
