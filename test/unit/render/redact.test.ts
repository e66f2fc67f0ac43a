import {expect} from 'chai'
import {ELIDED, elideSourceSecrets, elisionNote} from '../../../src/lib/render/redact.js'

describe('elideSourceSecrets', () => {
  it('elides secret-bearing fields of every source (spec.sources[], history, plugin env, jsonnet) and leaves the rest', () => {
    const app = {
      spec: {sources: [
        {repoURL: 'https://charts', chart: 'a', helm: {releaseName: 'a', values: 'pw: 1', parameters: [{name: 'p', value: 's3cret', forceString: true}]}},
        {repoURL: 'https://git', path: 'p', plugin: {name: 'vault', env: [{name: 'TOKEN', value: 't0ken'}], parameters: [{name: 'x', string: 'y'}]}},
        {repoURL: 'https://git', directory: {jsonnet: {extVars: [{name: 'k', value: 'v', code: false}], tlas: []}}},
      ]},
      status: {history: [{id: 1, source: {repoURL: 'https://charts', helm: {valuesObject: {pw: 2}}}}]},
    }
    const {value, elided} = elideSourceSecrets(app)
    expect(JSON.stringify(value)).to.not.match(/s3cret|t0ken|pw/)
    expect(value.spec.sources[0].helm).to.deep.equal({releaseName: 'a', values: ELIDED, parameters: [{name: 'p', value: ELIDED, forceString: true}]})
    expect(value.spec.sources[1].plugin).to.deep.equal({name: 'vault', env: [{name: 'TOKEN', value: ELIDED}], parameters: ELIDED})
    expect(value.spec.sources[2].directory!.jsonnet.extVars).to.deep.equal([{name: 'k', value: ELIDED, code: false}])
    expect(elided).to.deep.equal([
      'spec.sources[0].helm.values', 'spec.sources[0].helm.parameters[].value', 'spec.sources[1].plugin.env[].value', 'spec.sources[1].plugin.parameters',
      'spec.sources[2].directory.jsonnet.extVars[].value', 'status.history[0].source.helm.valuesObject',
    ])
    expect(app.spec.sources[0].helm!.values).to.equal('pw: 1')
  })

  it('elides inside kubectl\'s last-applied-configuration (JSON text) and keeps the rest of it; text that is not JSON is elided whole', () => {
    const LAST = 'kubectl.kubernetes.io/last-applied-configuration'
    const config = {apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {name: 'a'}, spec: {source: {repoURL: 'https://charts', chart: 'a', helm: {values: 'pw: s3cret'}}}}
    const app = {metadata: {name: 'a', annotations: {[LAST]: `${JSON.stringify(config)}\n`, other: 'x'}}}
    const {value, elided} = elideSourceSecrets(app)
    expect(JSON.stringify(value)).not.to.include('s3cret')
    expect(JSON.parse(value.metadata.annotations[LAST])).to.deep.equal({...config, spec: {source: {...config.spec.source, helm: {values: ELIDED}}}})
    expect(value.metadata.annotations[LAST].endsWith('}\n')).to.equal(true)
    expect(value.metadata.annotations.other).to.equal('x')
    expect(elided).to.deep.equal([`metadata.annotations.${LAST}.spec.source.helm.values`])
    // nothing to elide: the text is left exactly as it was
    const plain = {metadata: {annotations: {[LAST]: '{"spec": {"source": {"repoURL": "r", "path": "p"}}}\n'}}}
    expect(elideSourceSecrets(plain).value).to.deep.equal(plain)
    const broken = elideSourceSecrets({metadata: {annotations: {[LAST]: '{"spec": truncated pw: s3cret'}}})
    expect(broken.value.metadata.annotations[LAST]).to.equal(ELIDED)
    expect(elisionNote(broken.elided)).to.include(`the whole text of metadata.annotations.${LAST}`)
  })

  it('says nothing when nothing was elided; otherwise names the fields and the sources', () => {
    expect(elideSourceSecrets({spec: {source: {repoURL: 'r', path: 'p'}}}).elided).to.deep.equal([])
    expect(elisionNote([])).to.equal(undefined)
    expect(elisionNote(['spec.source.helm.values', 'status.sync.comparedTo.source.helm.values'])).to.match(/^Elided \(may hold secrets\): helm\.values of spec\.source, status\.sync\.comparedTo\.source\./)
  })
})
