import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {CATALOGUE, coverage, coverageTable, matchCatalogue, REMOVED_APIS, removedApi, renderCause, type CatalogueEntry} from '../../../src/lib/diagnose/catalogue/index.js'

/**
 * The catalogue is tested from its own data: every entry carries real messages (from the emitter's
 * format string or a public issue, cited in `from`), and each must be matched by that entry — not
 * by an earlier one — and render without a missing template value.
 */

const command = (verb: string, ...extra: string[]) => ['argo-doctor', verb, 'my-app', '-n', 'argocd', ...extra].join(' ')
const VARS = {app: 'my-app', appNamespace: 'argocd', controllerNamespace: 'argocd', namespace: 'my-ns', nsFlag: ' -n my-ns', rootCause: 'Error: x', repos: 'https://github.com/example/deploy.git', resource: 'Job.batch my-ns/db-migrate', name: 'db-migrate', kind: 'Job', kubectlTarget: 'job.batch db-migrate -n my-ns'}

function inputFor(entry: CatalogueEntry, example: CatalogueEntry['examples'][number]) {
  return {families: [entry.family], resource: example.resource, refValueFiles: entry.id === 'comparison-error-values-missing'}
}

describe('message catalogue: every entry on its own examples', () => {
  for (const entry of CATALOGUE) {
    describe(entry.id, () => {
      it('cites where its message comes from (file@version or a public issue) and a public docs link', () => {
        expect(entry.source).to.match(/@v\d|https:\/\/github\.com\/[^/]+\/[^/]+\/(?:issues|pull)\/\d+|google\.golang\.org\/grpc/)
        expect(entry.docs).to.match(/^https:\/\//)
        expect(entry.examples.length).to.be.greaterThan(0)
        for (const ex of entry.examples) expect(ex.from, ex.message).to.match(/@v\d|https:\/\/github\.com\//)
      })

      for (const example of entry.examples) {
        it(`matches ${JSON.stringify(example.message.slice(0, 90))}`, () => {
          const hit = matchCatalogue(example.message, inputFor(entry, example))
          expect(hit?.entry.id, `matched ${hit?.entry.id ?? 'nothing'}`).to.equal(entry.id)
          const r = renderCause(hit!, VARS, command)
          expect(r.missing, `unfilled template values in ${entry.id}`).to.deep.equal([])
          expect(r.title).not.to.match(/\{\{|\}\}/)
          expect(r.steps.length).to.be.greaterThan(0)
        })
      }
    })
  }

  it('ids are unique and patterns carry no global/sticky flag (exec must not keep state)', () => {
    const ids = CATALOGUE.map((e) => e.id)
    expect(new Set(ids).size).to.equal(ids.length)
    for (const e of CATALOGUE) expect(e.pattern.flags, e.id).not.to.match(/[gy]/)
  })

  it('a message no entry knows matches nothing (the generic finding stays)', () => {
    expect(matchCatalogue('something entirely new happened')).to.equal(undefined)
  })
})

describe('removed API versions are not missing CRDs', () => {
  it('a built-in kind at a removed apiVersion: the removal, not "install the CRD"', () => {
    const hit = matchCatalogue('The Kubernetes API could not find policy/PodDisruptionBudget for requested resource my-ns/web. Make sure the "PodDisruptionBudget" CRD is installed on the destination cluster.', {resource: {group: 'policy', version: 'v1beta1', kind: 'PodDisruptionBudget'}})
    expect(hit?.entry.id).to.equal('sync-failed-removed-api')
    const r = renderCause(hit!, VARS, command)
    expect(r.title).to.equal('Sync failed: PodDisruptionBudget policy/v1beta1 was removed in Kubernetes 1.25')
    expect(r.steps[0]).to.include('apiVersion: policy/v1')
  })

  it('the same wording for a real custom resource stays "CRD missing"', () => {
    const hit = matchCatalogue('The Kubernetes API could not find monitoring.coreos.com/ServiceMonitor for requested resource my-ns/web. Make sure the "ServiceMonitor" CRD is installed on the destination cluster.', {resource: {group: 'monitoring.coreos.com', version: 'v1', kind: 'ServiceMonitor'}})
    expect(hit?.entry.id).to.equal('sync-failed-missing-crd')
  })

  it('the table: every entry names a Kubernetes version and a replacement or a note', () => {
    for (const r of REMOVED_APIS) {
      expect(r.removedIn).to.match(/^1\.\d+$/)
      expect(r.replacement ?? r.note, `${r.group}/${r.version}`).to.be.a('string')
    }

    expect(removedApi('extensions', 'v1beta1', 'Ingress')?.replacement).to.equal('networking.k8s.io/v1')
    expect(removedApi('apps', 'v1', 'Deployment')).to.equal(undefined)
  })
})

describe('wrappers yield to the cause inside them', () => {
  it('"one or more objects failed to apply, reason: <quota>" is the quota', () => {
    expect(matchCatalogue('one or more objects failed to apply, reason: pods "x" is forbidden: exceeded quota: q, requested: cpu=1, used: cpu=2, limited: cpu=2')?.entry.id).to.equal('sync-failed-quota-exceeded')
  })

  it('a repo-server whose helm was OOM-killed is not a Helm error in Git', () => {
    const hit = matchCatalogue('rpc error: code = Unknown desc = `helm template . --name-template api --values /tmp/v.yaml` failed signal: killed', {families: ['comparison']})
    expect(hit?.entry.id).to.equal('comparison-error-repo-server-killed')
    expect(renderCause(hit!, VARS, command).title).to.equal('The repo-server killed helm template while generating manifests (memory limit)')
  })
})

describe('README coverage table', () => {
  it('matches the catalogue data (regenerate: node --import tsx scripts/catalogue-coverage.mjs --write)', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    expect(readme).to.include(coverageTable())
    const total = coverage().reduce((n, f) => n + f.entries, 0)
    expect(total).to.equal(CATALOGUE.length)
  })
})
