import {expect} from 'chai'
import type {Application, IgnoreDifference} from '../../../src/lib/app.js'
import {DoctorError} from '../../../src/lib/errors.js'
import type {RelatedObjects} from '../../../src/lib/recipes/ignore-rules.js'
import {
  addSyncOptionOps, buildIgnoreStatusPlan, mergeIgnoreDifferences, validateExplicitEntry, validateJq, validateJsonPointer, type IgnoreStatusOptions,
} from '../../../src/lib/recipes/ignore-status.js'
import {hpaInfoOf} from '../../../src/lib/diagnose/related.js'
import {healthyApp} from '../../fixtures/apps.js'
import {platformHpa, platformOutOfSyncApp} from '../../fixtures/seed002.js'

const related: RelatedObjects = {hpas: [hpaInfoOf(platformHpa())]}
const build = (app: Application, extra: Partial<IgnoreStatusOptions> = {}) => buildIgnoreStatusPlan(app, {related, ...extra})
const plan = (app: Application, extra: Partial<IgnoreStatusOptions> = {}) => {
  const outcome = build(app, extra)
  if (outcome.kind !== 'plan') throw new Error(`expected a plan, got ${outcome.kind}: ${outcome.reason}`)
  return outcome
}

const ESO_EXISTING = {group: 'external-secrets.io', kind: 'ExternalSecret', jqPathExpressions: ['.spec.target.deletionPolicy']}
const ESO_MERGED = {
  group: 'external-secrets.io',
  kind: 'ExternalSecret',
  jqPathExpressions: ['.spec.target.deletionPolicy', '.spec.data[]?.remoteRef.conversionStrategy', '.spec.data[]?.remoteRef.decodingStrategy', '.spec.data[]?.remoteRef.metadataPolicy'],
}
const APISERVICE = {group: 'apiregistration.k8s.io', kind: 'APIService', jsonPointers: ['/status']}
const REPLICAS = {group: 'apps', kind: 'Deployment', name: 'auth-service', namespace: 'wealist-prod', jsonPointers: ['/spec/replicas']}

describe('buildIgnoreStatusPlan', () => {
  describe('automatic mode', () => {
    it('seed 002 platform app: exact guarded patch — existing entry kept and merged, new entries added, RespectIgnoreDifferences appended', () => {
      const p = plan(platformOutOfSyncApp())
      expect(p.patch).to.deep.equal([
        {op: 'test', path: '/metadata/resourceVersion', value: '52004417'},
        {op: 'test', path: '/spec/ignoreDifferences', value: [ESO_EXISTING]},
        {op: 'replace', path: '/spec/ignoreDifferences', value: [ESO_MERGED, APISERVICE, REPLICAS]},
        {op: 'add', path: '/spec/syncPolicy/syncOptions/-', value: 'RespectIgnoreDifferences=true'},
      ])
      expect(p.verify).to.deep.equal({kind: 'reconcile', description: 'waiting for the controller to re-compare the app', expectSynced: true})
      expect(p.why).to.match(/existing 1 entry is kept/).and.match(/merge patch.*would replace the whole list/).and.match(/RespectIgnoreDifferences=true is added/)
    })

    it('names the resource it has no rule for, shows how to write one, and never invents an entry for it', () => {
      const p = plan(platformOutOfSyncApp())
      const all = JSON.stringify(p.patch)
      expect(all).to.not.include('ConfigMap').and.not.include('storage-service-config')
      expect(p.notes.join('\n')).to.include('No built-in rule explains ConfigMap wealist-prod/storage-service-config: argo-doctor does not guess.')
      expect(p.notes.join('\n')).to.include('argo-doctor ignore-status wealist-platform-prod -n argocd --kind ConfigMap --name storage-service-config --resource-namespace wealist-prod --json-pointer')
    })

    it('notes the Argo CD ≥ 3.0 status default, the argocd-cm alternative (kind-wide entries only) and ServerSideDiff', () => {
      const notes = plan(platformOutOfSyncApp()).notes.join('\n')
      expect(notes).to.match(/Argo CD ≥ 3\.0 already ignores the `status`.*ignoreResourceStatusField: all/)
      expect(notes).to.match(/resource\.customizations\.ignoreDifferences\.apiregistration\.k8s\.io_APIService, resource\.customizations\.ignoreDifferences\.external-secrets\.io_ExternalSecret in the argocd-cm/)
      expect(notes).to.not.match(/apps_Deployment/)
      expect(notes).to.include('argocd.argoproj.io/compare-options: ServerSideDiff=true')
    })

    it('creates spec.ignoreDifferences and spec.syncPolicy when absent', () => {
      const app = platformOutOfSyncApp()
      delete app.spec.ignoreDifferences
      delete app.spec.syncPolicy
      const p = plan(app)
      expect(p.patch.slice(1)).to.deep.equal([
        {op: 'add', path: '/spec/ignoreDifferences', value: [APISERVICE, REPLICAS, {...ESO_MERGED, jqPathExpressions: [...ESO_MERGED.jqPathExpressions.slice(1), ESO_MERGED.jqPathExpressions[0]]}]},
        {op: 'add', path: '/spec/syncPolicy', value: {syncOptions: ['RespectIgnoreDifferences=true']}},
      ])
    })

    it('two OutOfSync APIServices give one kind-wide entry, not a duplicate', () => {
      const app = platformOutOfSyncApp()
      app.status!.resources = [
        {group: 'apiregistration.k8s.io', version: 'v1', kind: 'APIService', name: 'v1beta1.metrics.k8s.io', status: 'OutOfSync'},
        {group: 'apiregistration.k8s.io', version: 'v1', kind: 'APIService', name: 'v1beta1.custom.metrics.k8s.io', status: 'OutOfSync'},
      ]
      const p = plan(app)
      expect(p.patch.slice(1)).to.deep.equal([
        {op: 'test', path: '/spec/ignoreDifferences', value: [ESO_EXISTING]},
        {op: 'replace', path: '/spec/ignoreDifferences', value: [ESO_EXISTING, APISERVICE]},
      ])
      expect(p.notes.join(' ')).to.not.match(/Already ignored/)
    })

    it('without an HPA-scaled workload it does not add RespectIgnoreDifferences unless --respect', () => {
      const app = platformOutOfSyncApp()
      app.status!.resources = app.status!.resources!.filter((r) => r.kind === 'APIService')
      expect(plan(app).patch.map((o) => o.path)).to.not.include('/spec/syncPolicy/syncOptions/-')
      expect(plan(app, {respect: true}).patch.at(-1)).to.deep.equal({op: 'add', path: '/spec/syncPolicy/syncOptions/-', value: 'RespectIgnoreDifferences=true'})
    })

    it('--no-respect skips the sync option and warns about the replicas reset', () => {
      const p = plan(platformOutOfSyncApp(), {respect: false})
      expect(p.patch.map((o) => o.path)).to.not.include('/spec/syncPolicy/syncOptions/-')
      expect(p.warnings.join(' ')).to.match(/--no-respect: without RespectIgnoreDifferences=true every sync still applies Git's replicas/)
    })

    it('keeps an explicit RespectIgnoreDifferences=false unless --respect, and then flips it in place', () => {
      const app = platformOutOfSyncApp()
      app.spec.syncPolicy!.syncOptions = ['CreateNamespace=true', 'RespectIgnoreDifferences=false']
      const p = plan(app)
      expect(p.patch.map((o) => o.path)).to.not.include('/spec/syncPolicy/syncOptions/1')
      expect(p.warnings.join(' ')).to.match(/sets RespectIgnoreDifferences=false explicitly/)
      expect(plan(app, {respect: true}).patch.slice(-2)).to.deep.equal([
        {op: 'test', path: '/spec/syncPolicy/syncOptions/1', value: 'RespectIgnoreDifferences=false'},
        {op: 'replace', path: '/spec/syncPolicy/syncOptions/1', value: 'RespectIgnoreDifferences=true'},
      ])
    })

    it('nothing to do when every proposed entry is already there (possibly via a broader entry) and the option is set', () => {
      const app = platformOutOfSyncApp()
      app.spec.ignoreDifferences = [ESO_MERGED, {group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas']}, {group: '*', kind: '*', jsonPointers: ['/status']}]
      app.spec.syncPolicy!.syncOptions = ['RespectIgnoreDifferences=true']
      const outcome = build(app)
      expect(outcome.kind).to.equal('nothing')
      expect(outcome.kind !== 'plan' && outcome.reason).to.match(/already in wealist-platform-prod's spec.ignoreDifferences/)
      expect(outcome.kind !== 'plan' && outcome.hint).to.match(/difference is elsewhere: check argocd app diff/)
    })

    it('nothing to do when no resource is OutOfSync', () => {
      const outcome = build(healthyApp())
      expect(outcome.kind).to.equal('nothing')
      expect(outcome.kind !== 'plan' && outcome.reason).to.match(/No resource of auth-service-prod is OutOfSync/)
    })

    it('nothing to do (and no entry) when no rule explains any OutOfSync resource', () => {
      const app = platformOutOfSyncApp()
      app.status!.resources = app.status!.resources!.filter((r) => r.name === 'storage-service-config')
      const outcome = build(app)
      expect(outcome.kind).to.equal('nothing')
      expect(outcome.kind !== 'plan' && outcome.reason).to.match(/No built-in rule explains the OutOfSync resources.*never invents an entry/)
      expect(outcome.kind !== 'plan' && outcome.hint).to.match(/--kind ConfigMap --name storage-service-config/)
    })

    it('says when an HPA could not be read instead of guessing what it scales', () => {
      const p = plan(platformOutOfSyncApp(), {related: {hpas: [{namespace: 'wealist-prod', name: 'auth-service-hpa', unreadable: 'offline, and it is not in the -f file'}]}})
      expect(JSON.stringify(p.patch)).to.not.include('/spec/replicas')
      expect(p.notes.join(' ')).to.match(/HorizontalPodAutoscaler wealist-prod\/auth-service-hpa could not be read \(offline, and it is not in the -f file\)/)
    })

    it('resources to prune or missing from the cluster are not ignore material', () => {
      const app = platformOutOfSyncApp()
      app.status!.resources = [
        {group: 'apiregistration.k8s.io', kind: 'APIService', name: 'v1beta1.old.k8s.io', status: 'OutOfSync', requiresPruning: true},
        {group: 'external-secrets.io', kind: 'ExternalSecret', namespace: 'argocd', name: 'new-secret', status: 'OutOfSync', health: {status: 'Missing'}},
      ]
      const outcome = build(app)
      expect(outcome.kind).to.equal('nothing')
      expect(outcome.notes.join(' ')).to.match(/no longer in Git \(requiresPruning\).*prune it/).and.match(/does not exist in the cluster \(health Missing\)/)
    })
  })

  describe('explicit mode', () => {
    it('adds the given entry, merging into an existing entry with the same group/kind/name/namespace', () => {
      const app = platformOutOfSyncApp()
      const explicit = validateExplicitEntry({group: 'external-secrets.io', kind: 'ExternalSecret', jq: ['.spec.refreshInterval']})!
      const p = plan(app, {explicit})
      expect(p.patch.slice(1)).to.deep.equal([
        {op: 'test', path: '/spec/ignoreDifferences', value: [ESO_EXISTING]},
        {op: 'replace', path: '/spec/ignoreDifferences', value: [{...ESO_EXISTING, jqPathExpressions: ['.spec.target.deletionPolicy', '.spec.refreshInterval']}]},
      ])
    })

    it('turns RespectIgnoreDifferences on by default for /spec/replicas', () => {
      const explicit = validateExplicitEntry({group: 'apps', kind: 'Deployment', name: 'auth-service', namespace: 'wealist-prod', jsonPointers: ['/spec/replicas']})!
      expect(plan(platformOutOfSyncApp(), {explicit}).patch.at(-1)).to.deep.equal({op: 'add', path: '/spec/syncPolicy/syncOptions/-', value: 'RespectIgnoreDifferences=true'})
    })

    it('rejects a kind the app does not have, suggesting the right group', () => {
      const explicit = validateExplicitEntry({kind: 'Deployment', jsonPointers: ['/spec/replicas']})!
      expect(() => build(platformOutOfSyncApp(), {explicit})).to.throw(DoctorError, /Deployment is not among the resources of wealist-platform-prod/)
      try {
        build(platformOutOfSyncApp(), {explicit})
      } catch (error) {
        expect((error as DoctorError).code).to.equal('USAGE')
        expect((error as DoctorError).hint).to.match(/^Did you mean --group apps\? wealist-platform-prod has: apps\/Deployment kube-system\/metrics-server/)
      }

      expect(build(platformOutOfSyncApp(), {explicit, allowMissing: true}).kind).to.equal('plan')
    })

    it('nothing to do when the entry is already present', () => {
      const explicit = validateExplicitEntry({group: 'external-secrets.io', kind: 'ExternalSecret', jq: ['.spec.target.deletionPolicy']})!
      expect(build(platformOutOfSyncApp(), {explicit}).kind).to.equal('nothing')
    })
  })
})

describe('mergeIgnoreDifferences', () => {
  const d = (e: Partial<IgnoreDifference>): IgnoreDifference => ({kind: 'Deployment', ...e})

  it('keeps every existing entry, in order, untouched when nothing new applies to it', () => {
    const existing = [d({group: 'apps', jsonPointers: ['/a']}), d({kind: 'Service', jsonPointers: ['/spec/clusterIP']})]
    const r = mergeIgnoreDifferences(existing, [d({group: 'apps', name: 'x', jsonPointers: ['/b']})])
    expect(r.merged).to.deep.equal([...existing, d({group: 'apps', name: 'x', jsonPointers: ['/b']})])
    expect(existing[0]).to.deep.equal(d({group: 'apps', jsonPointers: ['/a']}))
  })

  it('same group/kind/name/namespace: unions pointer and jq lists (existing order first), no duplicates', () => {
    const r = mergeIgnoreDifferences(
      [d({group: 'apps', name: 'api', namespace: 'prod', jsonPointers: ['/spec/replicas']})],
      [d({group: 'apps', name: 'api', namespace: 'prod', jsonPointers: ['/spec/replicas', '/spec/template/metadata/annotations'], jqPathExpressions: ['.spec.x']})],
    )
    expect(r.merged).to.deep.equal([d({group: 'apps', name: 'api', namespace: 'prod', jsonPointers: ['/spec/replicas', '/spec/template/metadata/annotations'], jqPathExpressions: ['.spec.x']})])
    expect(r.added).to.deep.equal([d({group: 'apps', name: 'api', namespace: 'prod', jsonPointers: ['/spec/template/metadata/annotations'], jqPathExpressions: ['.spec.x']})])
  })

  it('treats a missing group and "" as the core group, and a different name/namespace as a different entry', () => {
    const r = mergeIgnoreDifferences([{group: '', kind: 'Service', jsonPointers: ['/a']}], [{kind: 'Service', jsonPointers: ['/b']}, {kind: 'Service', name: 's', jsonPointers: ['/c']}])
    expect(r.merged).to.deep.equal([{group: '', kind: 'Service', jsonPointers: ['/a', '/b']}, {kind: 'Service', name: 's', jsonPointers: ['/c']}])
  })

  it('a broader existing entry (no name, or * wildcards) covers a narrower proposal', () => {
    const r = mergeIgnoreDifferences([d({group: 'apps', jsonPointers: ['/spec/replicas']}), {group: '*', kind: '*', managedFieldsManagers: ['kube-controller-manager']}],
      [d({group: 'apps', name: 'api', namespace: 'prod', jsonPointers: ['/spec/replicas']}), d({group: 'apps', name: 'api', managedFieldsManagers: ['kube-controller-manager']})])
    expect(r.added).to.deep.equal([])
    expect(r.alreadyPresent).to.have.length(2)
  })

  it('never merges the user\'s own entries with each other: two entries for the same key stay two, ours go into the first', () => {
    const existing = [
      d({group: 'apps', jsonPointers: ['/a']}),
      {kind: 'Service', jsonPointers: ['/spec/clusterIP']},
      d({group: 'apps', jqPathExpressions: ['.b']}),
      {jsonPointers: ['/x'], kind: 'ConfigMap', name: 'c'} as IgnoreDifference,
      d({group: 'apps', jsonPointers: ['/a']}),
    ]
    const bytes = JSON.stringify(existing)
    const r = mergeIgnoreDifferences(existing, [d({group: 'apps', jsonPointers: ['/c']})])
    expect(r.merged).to.have.length(5)
    expect(JSON.stringify(r.merged.slice(1))).to.equal(JSON.stringify(existing.slice(1)))
    expect(r.merged[0]).to.deep.equal(d({group: 'apps', jsonPointers: ['/a', '/c']}))
    expect(JSON.stringify(existing)).to.equal(bytes)
  })

  it('keeps an untouched user entry byte-for-byte (key order, duplicate values) when adding elsewhere', () => {
    const odd = {jsonPointers: ['/b', '/b'], kind: 'Service', group: ''} as IgnoreDifference
    const r = mergeIgnoreDifferences([odd], [d({group: 'apps', jsonPointers: ['/spec/replicas']})])
    expect(JSON.stringify(r.merged[0])).to.equal(JSON.stringify(odd))
    expect(r.merged).to.have.length(2)
  })
})

describe('addSyncOptionOps', () => {
  const app = (syncPolicy?: Application['spec']['syncPolicy']): Application => ({metadata: {name: 'a'}, spec: {syncPolicy}})
  it('creates syncPolicy, then syncOptions, then appends; no-op when present', () => {
    expect(addSyncOptionOps(app(), 'X=true')).to.deep.equal([{op: 'add', path: '/spec/syncPolicy', value: {syncOptions: ['X=true']}}])
    expect(addSyncOptionOps(app({automated: {}}), 'X=true')).to.deep.equal([{op: 'add', path: '/spec/syncPolicy/syncOptions', value: ['X=true']}])
    expect(addSyncOptionOps(app({syncOptions: ['A=1']}), 'X=true')).to.deep.equal([{op: 'add', path: '/spec/syncPolicy/syncOptions/-', value: 'X=true'}])
    expect(addSyncOptionOps(app({syncOptions: ['X=true']}), 'X=true')).to.deep.equal([])
  })
})

describe('validation of explicit input', () => {
  const usage = (fn: () => unknown, re: RegExp) => {
    expect(fn).to.throw(DoctorError, re)
    try {
      fn()
    } catch (error) {
      expect((error as DoctorError).exitCode).to.equal(2)
    }
  }

  it('JSON pointers: accepts RFC 6901 with ~0/~1 escapes', () => {
    expect(validateJsonPointer('/spec/replicas')).to.equal('/spec/replicas')
    expect(validateJsonPointer('/metadata/labels/node-role.kubernetes.io~1worker')).to.equal('/metadata/labels/node-role.kubernetes.io~1worker')
    expect(validateJsonPointer('/webhooks/0/clientConfig/caBundle')).to.equal('/webhooks/0/clientConfig/caBundle')
  })

  it('JSON pointers: rejects what Argo CD would silently never match', () => {
    usage(() => validateJsonPointer('spec/replicas'), /must start with "\/"/)
    usage(() => validateJsonPointer('.spec.replicas'), /must start with "\/"/)
    usage(() => validateJsonPointer('/metadata/labels/a~2b'), /"~" that is not "~0" or "~1"/)
    usage(() => validateJsonPointer('/spec//replicas'), /empty segment/)
    usage(() => validateJsonPointer('/spec/replicas/'), /empty segment/)
    usage(() => validateJsonPointer(''), /empty/)
    usage(() => validateJsonPointer('/spec/containers[0]/image'), /brackets/)
    usage(() => validateJsonPointer('/metadata/annotations/deployment.kubernetes.io/revision'), /must be escaped as ~1/)
    try {
      validateJsonPointer('/metadata/annotations/deployment.kubernetes.io/revision')
    } catch (error) {
      expect((error as DoctorError).hint).to.equal('Did you mean /metadata/annotations/deployment.kubernetes.io~1revision?')
    }
  })

  it('jq: accepts Argo CD style path expressions, rejects obviously broken ones', () => {
    expect(validateJq('.spec.data[]?.remoteRef.conversionStrategy')).to.equal('.spec.data[]?.remoteRef.conversionStrategy')
    expect(validateJq('.spec.template.spec.initContainers[] | select(.name == "injected-init-container")')).to.be.a('string')
    expect(validateJq('.metadata.annotations["a/b(c"]')).to.be.a('string')
    usage(() => validateJq(''), /empty/)
    usage(() => validateJq('   '), /empty/)
    usage(() => validateJq('spec.replicas'), /must start with "\."/)
    usage(() => validateJq('/spec/replicas'), /looks like a JSON pointer/)
    usage(() => validateJq('.spec.data[.remoteRef'), /unclosed "\["/)
    usage(() => validateJq('.spec.data].x'), /unmatched "\]"/)
    usage(() => validateJq('.spec | select(.name == "x)'), /unterminated string/)
    usage(() => validateJq('.spec |'), /incomplete/)
    usage(() => validateJq('.'), /whole object/)
  })

  it('kinds and groups', () => {
    expect(validateExplicitEntry({})).to.equal(undefined)
    usage(() => validateExplicitEntry({kind: 'deployment', jsonPointers: ['/a']}), /not a Kubernetes kind/)
    usage(() => validateExplicitEntry({kind: 'apps/Deployment', jsonPointers: ['/a']}), /not a Kubernetes kind/)
    usage(() => validateExplicitEntry({group: 'apps/v1', kind: 'Deployment', jsonPointers: ['/a']}), /not an API group/)
    usage(() => validateExplicitEntry({jsonPointers: ['/spec/replicas']}), /--kind is required/)
    usage(() => validateExplicitEntry({kind: 'Deployment'}), /Say what to ignore/)
    expect(validateExplicitEntry({group: '*', kind: '*', managedFieldsManagers: ['kube-controller-manager']})).to.deep.equal({group: '*', kind: '*', managedFieldsManagers: ['kube-controller-manager']})
    expect(validateExplicitEntry({kind: 'Service', jsonPointers: ['/a', '/a']})).to.deep.equal({kind: 'Service', jsonPointers: ['/a']})
  })
})
