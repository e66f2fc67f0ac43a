import {refOf, type Application, type IgnoreDifference, type ResourceStatus} from '../app.js'
import {DoctorError} from '../errors.js'
import {describeGuards, resourceVersionGuard, type JsonPatchOp, type NoChange, type Outcome} from '../plan.js'
import {resourceName} from './force-presync.js'
import {isScalable, matchRules, type RelatedObjects, type RuleMatch} from './ignore-rules.js'
import {ourCommand, type CommandSpelling} from '../invocation.js'
import {sh} from '../shell.js'

export const RESPECT_OPTION = 'RespectIgnoreDifferences=true'
const RESPECT_OFF = 'RespectIgnoreDifferences=false'

export interface IgnoreStatusOptions {
  /** Explicit mode: the entry to add (validated with validateExplicitEntry). Undefined: automatic mode. */
  explicit?: IgnoreDifference
  /** --respect / --no-respect; undefined: add RespectIgnoreDifferences=true when a replicas entry is added. */
  respect?: boolean
  /** HPAs of the app, read by the command. */
  related: RelatedObjects
  /** Explicit mode: add the entry even when no such resource is in status.resources. */
  allowMissing?: boolean
  /** The user's --kubeconfig/--context, repeated in the commands hints suggest. */
  conn?: CommandSpelling
}

type ListField = 'jsonPointers' | 'jqPathExpressions' | 'managedFieldsManagers'
const LIST_FIELDS: ListField[] = ['jsonPointers', 'jqPathExpressions', 'managedFieldsManagers']

// ---------------------------------------------------------------------------------------------
// Validation of explicit input (flags)

const usage = (message: string, hint?: string) => new DoctorError('USAGE', message, hint)

/** RFC 6901 pointer as Argo CD's jsonPointers expect; throws a USAGE error naming the problem. */
export function validateJsonPointer(pointer: string): string {
  if (pointer === '') throw usage('--json-pointer is empty.', 'Example: --json-pointer /spec/replicas')
  if (!pointer.startsWith('/')) {
    throw usage(`--json-pointer "${pointer}" must start with "/".`, pointer.startsWith('.')
      ? `That looks like a jq path: pass it as --jq '${pointer}', or as a pointer: /${pointer.slice(1).replaceAll('.', '/')}`
      : `Example: --json-pointer /${pointer.replaceAll('.', '/')}`)
  }

  if (/~(?![01])/.test(pointer)) {
    throw usage(`--json-pointer "${pointer}" has a "~" that is not "~0" or "~1".`, 'In a JSON pointer "~" is written ~0 and a "/" inside a key is written ~1 (e.g. /metadata/labels/node-role.kubernetes.io~1worker).')
  }

  const tokens = pointer.slice(1).split('/')
  if (tokens.includes('')) {
    throw usage(`--json-pointer "${pointer}" has an empty segment (a doubled or trailing "/").`, pointer === '/' ? 'A pointer to the whole object would ignore everything; name a field, e.g. /spec/replicas' : `Did you mean ${pointer.replace(/\/+$/, '').replace(/\/{2,}/g, '/')}?`)
  }

  const bracket = tokens.find((t) => /\[.*\]/.test(t))
  if (bracket) {
    throw usage(`--json-pointer "${pointer}" uses brackets ("${bracket}"); JSON pointers index arrays with a plain segment.`,
      `Did you mean ${pointer.replace(/\[(\d+)\]/g, '/$1')}? To select list items by content use --jq.`)
  }

  if (tokens[0] === 'metadata' && (tokens[1] === 'annotations' || tokens[1] === 'labels') && tokens.length > 3) {
    throw usage(`--json-pointer "${pointer}" goes ${tokens.length - 2} levels below metadata.${tokens[1]}, whose keys are flat: the "/" inside the key must be escaped as ~1.`,
      `Did you mean /metadata/${tokens[1]}/${tokens.slice(2).join('~1')}?`)
  }

  return pointer
}

/** Catch obviously broken jq paths before Argo CD does (it would mark the app with a ComparisonError). */
export function validateJq(expr: string): string {
  const text = expr.trim()
  if (text === '') throw usage('--jq is empty.', 'Example: --jq \'.spec.data[]?.remoteRef.conversionStrategy\'')
  if (text.startsWith('/')) throw usage(`--jq "${expr}" looks like a JSON pointer.`, `Pass it as --json-pointer ${text}, or as jq: .${text.slice(1).replaceAll('/', '.')}`)
  if (!text.startsWith('.')) throw usage(`--jq "${expr}" must start with "." (a path into the object).`, `Example: .${text}`)
  if (text === '.' || text === '..') throw usage(`--jq "${expr}" selects the whole object and would ignore every difference.`, 'Name a field, e.g. .spec.replicas')
  const closing: Record<string, string> = {')': '(', ']': '[', '}': '{'}
  const stack: Array<{c: string; at: number}> = []
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }

    if (c === '"') inString = true
    else if (c === '(' || c === '[' || c === '{') stack.push({c, at: i})
    else if (c in closing) {
      const open = stack.pop()
      if (!open || open.c !== closing[c]) throw usage(`--jq "${expr}" has an unmatched "${c}" at position ${i + 1}.`, 'Check the brackets; example: .webhooks[]?.clientConfig.caBundle')
    }
  }

  if (inString) throw usage(`--jq "${expr}" has an unterminated string (a lone ").`, 'Example: .spec.containers[] | select(.name == "sidecar")')
  if (stack.length > 0) throw usage(`--jq "${expr}" has an unclosed "${stack.at(-1)!.c}" at position ${stack.at(-1)!.at + 1}.`, 'Check the brackets; example: .webhooks[]?.clientConfig.caBundle')
  if (/[|.,]\s*$/.test(text)) throw usage(`--jq "${expr}" ends with "${text.at(-1)}", so it is incomplete.`)
  return text
}

const KIND_RE = /^[A-Z][A-Za-z0-9]*$/
const GROUP_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export interface ExplicitInput {
  group?: string
  kind?: string
  name?: string
  namespace?: string
  jsonPointers?: string[]
  jq?: string[]
  managedFieldsManagers?: string[]
}

/** Turn explicit flags into one ignoreDifferences entry, or undefined when none were given (automatic mode). */
export function validateExplicitEntry(input: ExplicitInput): IgnoreDifference | undefined {
  const paths = (input.jsonPointers?.length ?? 0) + (input.jq?.length ?? 0) + (input.managedFieldsManagers?.length ?? 0)
  const any = paths > 0 || [input.group, input.kind, input.name, input.namespace].some((v) => v !== undefined)
  if (!any) return undefined
  if (!input.kind) throw usage('--kind is required with --group/--name/--resource-namespace/--json-pointer/--jq.', 'Example: --group apps --kind Deployment --json-pointer /spec/replicas (or no flags at all for automatic mode)')
  const kind = input.kind
  if (kind !== '*' && !KIND_RE.test(kind)) {
    const hint = kind.includes('/') || kind.includes('.')
      ? `Put the API group in --group and the kind in --kind, e.g. --group ${kind.split('/')[0]} --kind ${kind.split(/[/.]/).at(-1)}`
      : `Kinds are written as in the manifest's "kind:", e.g. ${kind[0].toUpperCase()}${kind.slice(1)}, APIService, ExternalSecret.`
    throw usage(`--kind "${kind}" is not a Kubernetes kind.`, hint)
  }

  const group = input.group ?? ''
  if (group !== '' && group !== '*' && !GROUP_RE.test(group)) {
    throw usage(`--group "${group}" is not an API group.`, group.includes('/') ? `Give the group without the version: --group ${group.split('/')[0]}` : 'Examples: apps, external-secrets.io; leave it out for the core group.')
  }

  if (paths === 0) throw usage('Say what to ignore: --json-pointer, --jq or --managed-fields-manager.', `Example: --kind ${kind} --json-pointer /spec/replicas`)
  if (input.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(input.namespace)) throw usage(`--resource-namespace "${input.namespace}" is not a namespace name.`)
  return normalizeEntry({
    group: group || undefined,
    kind,
    name: input.name || undefined,
    namespace: input.namespace || undefined,
    jsonPointers: input.jsonPointers?.map((p) => validateJsonPointer(p)),
    jqPathExpressions: input.jq?.map((q) => validateJq(q)),
    managedFieldsManagers: input.managedFieldsManagers,
  })
}

// ---------------------------------------------------------------------------------------------
// Merge

const norm = (v: string | undefined) => v ?? ''
const keyOf = (e: IgnoreDifference) => [norm(e.group), e.kind, norm(e.name), norm(e.namespace)].join('\u0000')
const uniq = (values: string[]) => [...new Set(values)]

/** Field order as Argo CD documents it, no undefined keys, no empty or duplicate lists. */
export function normalizeEntry(e: IgnoreDifference): IgnoreDifference {
  const out: IgnoreDifference = {} as IgnoreDifference
  if (e.group) out.group = e.group
  out.kind = e.kind
  if (e.name) out.name = e.name
  if (e.namespace) out.namespace = e.namespace
  for (const f of LIST_FIELDS) if (e[f]?.length) out[f] = uniq(e[f]!)
  return out
}

/** Does an existing entry already ignore `value` for the resource(s) `p` describes? A wildcard or broader entry counts. */
function covers(existing: IgnoreDifference, p: IgnoreDifference, field: ListField, value: string): boolean {
  const group = norm(existing.group)
  if (group !== '*' && group !== norm(p.group)) return false
  if (existing.kind !== '*' && existing.kind !== p.kind) return false
  if (existing.name && existing.name !== p.name) return false
  if (existing.namespace && existing.namespace !== p.namespace) return false
  return existing[field]?.includes(value) ?? false
}

export interface MergeResult {
  merged: IgnoreDifference[]
  /** What is new, per proposed entry (only the new values). */
  added: IgnoreDifference[]
  /** Proposed entries already fully covered by the existing list. */
  alreadyPresent: IgnoreDifference[]
}

/**
 * Merge proposed entries into the existing list without losing anything. The user's entries stay
 * exactly as they are (even two entries for the same group/kind/name/namespace stay two); only
 * our new values are appended to the first existing entry with the same key, or added as a new
 * entry. Values an existing (possibly broader) entry already covers are not added again.
 */
export function mergeIgnoreDifferences(existing: IgnoreDifference[], proposed: IgnoreDifference[]): MergeResult {
  const merged = existing.map((e) => structuredClone(e))
  const added: IgnoreDifference[] = []
  const alreadyPresent: IgnoreDifference[] = []
  for (const p of collapse(proposed.map((e) => normalizeEntry(e)))) {
    const fresh: IgnoreDifference = {...p}
    let anything = false
    for (const f of LIST_FIELDS) {
      const values = (p[f] ?? []).filter((v) => !merged.some((m) => covers(m, p, f, v)))
      if (values.length > 0) {
        fresh[f] = values
        anything = true
      } else {
        delete fresh[f]
      }
    }

    if (!anything) {
      alreadyPresent.push(p)
      continue
    }

    const target = merged.find((m) => keyOf(m) === keyOf(p))
    if (target) {
      for (const f of LIST_FIELDS) {
        if (fresh[f]) target[f] = uniq([...(target[f] ?? []), ...fresh[f]])
      }
    } else {
      merged.push(normalizeEntry(fresh))
    }

    added.push(normalizeEntry(fresh))
  }

  return {merged, added, alreadyPresent}
}

/** Our proposed entries with the same group/kind/name/namespace become one (first position kept, lists unioned). Never used on the user's list. */
function collapse(entries: IgnoreDifference[]): IgnoreDifference[] {
  const out: IgnoreDifference[] = []
  for (const e of entries) {
    const same = out.find((m) => keyOf(m) === keyOf(e))
    if (!same) {
      out.push(e)
      continue
    }

    for (const f of LIST_FIELDS) {
      const values = uniq([...(same[f] ?? []), ...(e[f] ?? [])])
      if (values.length > 0) same[f] = values
    }
  }

  return out
}

// ---------------------------------------------------------------------------------------------
// Plan

/** Ops that add a sync option, creating syncPolicy/syncOptions when absent. */
export function addSyncOptionOps(app: Application, option: string): JsonPatchOp[] {
  const policy = app.spec.syncPolicy
  if (!policy) return [{op: 'add', path: '/spec/syncPolicy', value: {syncOptions: [option]}}]
  if (!policy.syncOptions) return [{op: 'add', path: '/spec/syncPolicy/syncOptions', value: [option]}]
  if (policy.syncOptions.includes(option)) return []
  const [key] = option.split('=')
  const index = policy.syncOptions.findIndex((o) => o.split('=')[0] === key)
  if (index >= 0) {
    return [
      {op: 'test', path: `/spec/syncPolicy/syncOptions/${index}`, value: policy.syncOptions[index]},
      {op: 'replace', path: `/spec/syncPolicy/syncOptions/${index}`, value: option},
    ]
  }

  return [{op: 'add', path: '/spec/syncPolicy/syncOptions/-', value: option}]
}

const touchesReplicas = (e: IgnoreDifference) =>
  (e.jsonPointers ?? []).includes('/spec/replicas') || (e.jqPathExpressions ?? []).some((q) => q.replace(/\s/g, '') === '.spec.replicas')

export function describeEntry(e: IgnoreDifference): string {
  const what = [...(e.jsonPointers ?? []), ...(e.jqPathExpressions ?? []), ...(e.managedFieldsManagers ?? []).map((m) => `fields of manager ${m}`)].join(', ')
  const who = `${e.group ? `${e.group}/` : ''}${e.kind}${e.name ? ` ${e.namespace ? `${e.namespace}/` : ''}${e.name}` : e.namespace ? ` in ${e.namespace}` : ' (all)'}`
  return `${who}: ${what}`
}

const RESPECT_WHY =
  `${RESPECT_OPTION} is added to spec.syncPolicy.syncOptions: without it ignoreDifferences only hides the difference from the comparison, and every sync still applies Git's value (an HPA-managed replicas count is reset on each sync, then scaled again: flapping).`

const STATUS_NOTE =
  'Argo CD ≥ 3.0 already ignores the `status` of every resource in diffs (argocd-cm `resource.compareoptions: ignoreResourceStatusField: all` is the default), so a /status entry only matters on 2.x or where that setting was changed. ' +
  'On 3.x with the default, a resource that is still OutOfSync differs somewhere else: check `argocd app diff`.'

const SSD_NOTE =
  'Alternative for fields Git does not set (CRD defaults such as the External Secrets ones, caBundle injected by another field manager): annotate the Application with `argocd.argoproj.io/compare-options: ServerSideDiff=true`; ' +
  'the comparison then uses a server-side dry-run apply and such fields stop showing as drift. It does not help when Git itself sets the field (replicas in Git while an HPA scales).'

/** argocd-cm customizations are per group/kind only, so entries for one named resource are left out. */
function argocdCmNote(entries: IgnoreDifference[]): string | undefined {
  const kindWide = entries.filter((e) => !e.name && !e.namespace)
  if (kindWide.length === 0) return undefined
  const keys = uniq(kindWide.map((e) => `resource.customizations.ignoreDifferences.${e.group && e.group !== '*' ? `${e.group}_` : ''}${e.kind === '*' ? 'all' : e.kind}`))
  return `System-wide alternative (every app of this Argo CD, no per-app entry): the same paths under ${keys.join(', ')} in the argocd-cm ConfigMap (value: a YAML block with jsonPointers/jqPathExpressions). argo-doctor does not edit argocd-cm.`
}

function manualHint(appName: string, namespace: string, r: ResourceStatus, conn?: CommandSpelling): string {
  const argv = ['ignore-status', appName, '-n', namespace, ...(r.group ? ['--group', r.group] : []), '--kind', r.kind, '--name', r.name,
    ...(r.namespace ? ['--resource-namespace', r.namespace] : []), '--json-pointer', '/path/to/field']
  return `${ourCommand(argv, conn)} (or --jq '.path.to.field')`
}

/** Decide which ignoreDifferences entries to add. Pure: the caller reads HPAs and passes them in. */
export function buildIgnoreStatusPlan(app: Application, opts: IgnoreStatusOptions): Outcome {
  const target = refOf(app)
  const name = app.metadata.name
  const noChange = (kind: NoChange['kind'], reason: string, hint?: string, notes: string[] = []): NoChange => ({kind, recipe: 'ignore-status', target, reason, hint, notes})
  const resources = app.status?.resources ?? []
  const notes: string[] = []
  const warnings: string[] = []
  const whys: string[] = []
  let proposed: IgnoreDifference[]
  const matches: RuleMatch[] = []

  if (opts.explicit) {
    const e = opts.explicit
    if (!opts.allowMissing && resources.length > 0 && e.kind !== '*' && e.group !== '*') {
      const found = resources.some((r) => norm(r.group) === norm(e.group) && r.kind === e.kind && (!e.name || r.name === e.name) && (!e.namespace || norm(r.namespace) === e.namespace))
      if (!found) {
        const gk = `${e.group ? `${e.group}/` : ''}${e.kind}${e.name ? ` ${e.namespace ? `${e.namespace}/` : ''}${e.name}` : ''}`
        const sameKind = resources.filter((r) => r.kind.toLowerCase() === e.kind.toLowerCase())
        const groups = uniq(sameKind.map((r) => norm(r.group)))
        const suggestion = groups.length === 1 && groups[0] !== norm(e.group) ? `Did you mean ${groups[0] ? `--group ${groups[0]}` : 'no --group (core group)'}? ` : ''
        const hint = sameKind.length > 0
          ? `${suggestion}${name} has: ${uniq(sameKind.map((r) => resourceName(r))).slice(0, 5).join(', ')}.`
          : `Kinds in ${name}: ${uniq(resources.map((r) => `${r.group ? `${r.group}/` : ''}${r.kind}`)).join(', ')}. Pass --allow-missing to add it anyway (e.g. not deployed yet).`
        throw usage(`${gk} is not among the resources of ${name} (status.resources).`, hint)
      }
    }

    proposed = [e]
    whys.push(`You asked to ignore ${describeEntry(e)}.`)
  } else {
    const outOfSync = resources.filter((r) => r.status === 'OutOfSync')
    if (outOfSync.length === 0) {
      return noChange('nothing', `No resource of ${name} is OutOfSync (sync status: ${app.status?.sync?.status ?? 'unknown'}); there is no difference to ignore.`,
        'To add an entry anyway, name it: --kind KIND --json-pointer /path (see --help).')
    }

    const unmatched: ResourceStatus[] = []
    for (const r of outOfSync) {
      if (r.requiresPruning) {
        notes.push(`${resourceName(r)} is OutOfSync because it is no longer in Git (requiresPruning); ignoring differences does not help: prune it (argocd app sync --prune, or argo-doctor force-presync --prune).`)
        continue
      }

      if (r.health?.status === 'Missing') {
        notes.push(`${resourceName(r)} is OutOfSync because it does not exist in the cluster (health Missing); it needs a sync, not an ignore rule.`)
        continue
      }

      const found = matchRules(r, app, opts.related)
      if (found.length === 0) unmatched.push(r)
      matches.push(...found)
    }

    for (const r of unmatched) {
      const unreadable = isScalable(r) ? opts.related.hpas.filter((h) => h.unreadable && h.namespace === norm(r.namespace)) : []
      if (unreadable.length > 0) {
        notes.push(`${resourceName(r)}: HorizontalPodAutoscaler ${unreadable.map((h) => `${h.namespace}/${h.name}`).join(', ')} could not be read (${unreadable[0].unreadable}), so argo-doctor cannot tell whether it scales this ${r.kind}. ` +
          'Run against the cluster, or add the HPA object to the -f file (kubectl get hpa NAME -n NS -o yaml).')
      }
    }

    if (unmatched.length > 0) {
      notes.push(`No built-in rule explains ${unmatched.map((r) => resourceName(r)).join(', ')}: argo-doctor does not guess. Look at the difference (${sh('argocd', 'app', 'diff', name)}, or the UI's DIFF tab); if it is noise, add an entry by hand: ${manualHint(name, target.namespace, unmatched[0], opts.conn)}. If it is a real change, sync it instead.`)
    }

    if (matches.length === 0) {
      const reason = unmatched.length > 0
        ? `No built-in rule explains the OutOfSync resources of ${name} (${unmatched.map((r) => resourceName(r)).join(', ')}); argo-doctor never invents an entry.`
        : `None of the OutOfSync resources of ${name} can be fixed by ignoring differences.`
      return noChange('nothing', reason, unmatched.length > 0 ? `Check the diff (${sh('argocd', 'app', 'diff', name)}), then add an entry by hand: ${manualHint(name, target.namespace, unmatched[0], opts.conn)}` : undefined,
        notes.filter((n) => !n.startsWith('No built-in rule')))
    }

    proposed = matches.flatMap((m) => m.entries)
    for (const m of matches) if (!whys.includes(m.why)) whys.push(m.why)
  }

  const existing = app.spec.ignoreDifferences ?? []
  const {merged, added, alreadyPresent} = mergeIgnoreDifferences(existing, proposed)
  const ops: JsonPatchOp[] = []
  if (added.length > 0) {
    if (app.spec.ignoreDifferences) {
      ops.push({op: 'test', path: '/spec/ignoreDifferences', value: existing}, {op: 'replace', path: '/spec/ignoreDifferences', value: merged})
    } else {
      ops.push({op: 'add', path: '/spec/ignoreDifferences', value: merged})
    }
  }

  const wantsRespect = proposed.some((e) => touchesReplicas(e)) || matches.some((m) => m.rule.needsRespect)
  const options = app.spec.syncPolicy?.syncOptions ?? []
  let respectAdded = false
  if (opts.respect === true || (opts.respect === undefined && wantsRespect)) {
    if (opts.respect === undefined && options.includes(RESPECT_OFF)) {
      warnings.push(`${name} sets ${RESPECT_OFF} explicitly, so syncs keep resetting the ignored fields; pass --respect to switch it to true.`)
    } else {
      const respectOps = addSyncOptionOps(app, RESPECT_OPTION)
      respectAdded = respectOps.length > 0
      ops.push(...respectOps)
    }
  } else if (opts.respect === false && wantsRespect && !options.includes(RESPECT_OPTION)) {
    warnings.push(`--no-respect: without ${RESPECT_OPTION} every sync still applies Git's replicas, so the HPA-scaled workload is reset on each sync.`)
  }

  if (ops.length === 0) {
    return noChange('nothing', `Every entry argo-doctor would add is already in ${name}'s spec.ignoreDifferences (${alreadyPresent.map((e) => describeEntry(e)).join('; ')})${wantsRespect && options.includes(RESPECT_OPTION) ? ` and ${RESPECT_OPTION} is set` : ''}.`,
      `Still OutOfSync means the difference is elsewhere: check ${sh('argocd', 'app', 'diff', name)}.`, notes)
  }

  if (alreadyPresent.length > 0) notes.push(`Already ignored: ${alreadyPresent.map((e) => describeEntry(e)).join('; ')}.`)
  const everything = [...added, ...alreadyPresent]
  if (everything.some((e) => e.jsonPointers?.some((p) => p === '/status' || p.startsWith('/status/')) || e.jqPathExpressions?.some((q) => q.startsWith('.status')))) notes.push(STATUS_NOTE)
  const cmNote = argocdCmNote(added)
  if (cmNote) notes.push(cmNote)
  if (matches.some((m) => m.rule.serverSideDiffHelps)) notes.push(SSD_NOTE)

  const why = [
    ...whys,
    ...(added.length > 0
      ? [`${app.spec.ignoreDifferences ? `The existing ${existing.length} entr${existing.length === 1 ? 'y is' : 'ies are'} kept: the new paths are merged into entries for the same group/kind/name/namespace, and the list is replaced only if it is still what was read.` : 'spec.ignoreDifferences is created.'} (A merge patch, the usual manual recipe, would replace the whole list.)`]
      : []),
    ...(respectAdded ? [RESPECT_WHY] : []),
    ...(added.length > 0 ? ['Changing spec.ignoreDifferences makes the controller re-compare the app by itself.'] : []),
  ].join(' ')

  const parts = [
    ...(added.length > 0 ? [`ignore ${added.map((e) => describeEntry(e)).join('; ')}`] : []),
    ...(respectAdded ? [`set ${RESPECT_OPTION}`] : []),
  ]
  const patch = [...resourceVersionGuard(app), ...ops]
  return {
    kind: 'plan',
    recipe: 'ignore-status',
    action: added.length > 0 ? 'add-ignore-differences' : 'respect-ignore-differences',
    target,
    summary: `${name}: ${parts.join(' and ')}.`,
    why,
    patch,
    guards: describeGuards(patch),
    warnings,
    notes,
    verify: {kind: 'reconcile', description: 'waiting for the controller to re-compare the app', expectSynced: true},
  }
}
