import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {stringify} from 'yaml'
import {baseUrlOf, chooseBackend, defaultConfigDir, parseArgocdOpts} from '../../../src/lib/argocd/session.js'
import {apiPlan} from '../../../src/lib/argocd/plan-calls.js'
import {buildHardRefreshPlan} from '../../../src/lib/recipes/hard-refresh.js'
import {buildUnstickPlan} from '../../../src/lib/recipes/unstick.js'
import {tempDir} from '../../support/cli.js'
import {healthyApp, hookStuckApp, NOW} from '../../fixtures/apps.js'
import type {Plan} from '../../../src/lib/plan.js'

describe('argocd session (the argocd CLI\'s rules, Argo CD v3.6.2)', () => {
  it('ARGOCD_OPTS as util/config/env.go reads it: --k v, bare --flag, --k=v, shell quoting; a stray word is refused', () => {
    const opts = parseArgocdOpts(`--server 'a b:443' --plaintext --grpc-web-root-path=/argo --header "X-A: 1"`)
    expect(Object.fromEntries(opts)).to.deep.include({server: 'a b:443', plaintext: 'true', 'grpc-web-root-path': '/argo', header: 'X-A: 1'})
    expect(() => parseArgocdOpts('stray --plaintext')).to.throw(/ARGOCD_OPTS is invalid at 'stray'/)
  })

  it('the config dir: $ARGOCD_CONFIG_DIR, else ~/.argocd when it exists, else $XDG_CONFIG_HOME/argocd, else ~/.config/argocd', () => {
    const home = tempDir()
    expect(defaultConfigDir({ARGOCD_CONFIG_DIR: '/x'}, home)).to.equal('/x')
    expect(defaultConfigDir({XDG_CONFIG_HOME: '/xdg'}, home)).to.equal('/xdg/argocd')
    expect(defaultConfigDir({}, home)).to.equal(join(home, '.config', 'argocd'))
    mkdirSync(join(home, '.argocd'))
    expect(defaultConfigDir({XDG_CONFIG_HOME: '/xdg'}, home)).to.equal(join(home, '.argocd'))
  })

  it('the server: --argocd-server, then ARGOCD_OPTS --server, then $ARGOCD_SERVER, then the context; the context\'s token only for its own server', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'config'), stringify({'current-context': 'c', contexts: [{name: 'c', server: 'cd.example:443', user: 'c'}], servers: [{server: 'cd.example:443', insecure: true}], users: [{name: 'c', 'auth-token': 'ctx-token'}]}), {mode: 0o600})
    const pick = async (env: Record<string, string>, argocdServer?: string) => {
      const b = await chooseBackend({argocdServer, asArgocdPlugin: true, kubeFlags: false, env: {ARGOCD_CONFIG_DIR: dir, ...env}})
      return b.kind === 'argocd' ? b.session : undefined
    }

    expect(await pick({})).to.deep.include({server: 'cd.example:443', baseUrl: 'https://cd.example', token: 'ctx-token', insecure: true})
    expect(await pick({ARGOCD_SERVER: 'other:8080'})).to.deep.include({server: 'other:8080', token: '', insecure: false})
    expect(await pick({ARGOCD_SERVER: 'other:8080', ARGOCD_OPTS: '--server cd.example:443'})).to.deep.include({server: 'cd.example:443', token: 'ctx-token'})
    expect(await pick({ARGOCD_AUTH_TOKEN: ' env-token\n'})).to.deep.include({token: 'env-token'})
    expect(await pick({}, 'https://cd.example:443')).to.deep.include({token: 'ctx-token', baseUrl: 'https://cd.example'})
    expect((await chooseBackend({asArgocdPlugin: true, kubeFlags: true, env: {ARGOCD_CONFIG_DIR: dir}})).kind).to.equal('kube')
    expect((await chooseBackend({asArgocdPlugin: false, kubeFlags: false, env: {ARGOCD_CONFIG_DIR: dir}})).kind).to.equal('kube')
    expect(await chooseBackend({asArgocdPlugin: true, kubeFlags: false, env: {ARGOCD_CONFIG_DIR: tempDir()}})).to.deep.include({kind: 'kube'})
  })

  it('the REST base URL: https unless plain text, :443 assumed by the address, the grpc-web root path appended', () => {
    expect(baseUrlOf('cd.example', false)).to.equal('https://cd.example')
    expect(baseUrlOf('127.0.0.1:8080', true)).to.equal('http://127.0.0.1:8080')
    expect(baseUrlOf('cd.example:443', false, 'argo-cd')).to.equal('https://cd.example/argo-cd')
  })
})

describe('plans as Argo CD API calls', () => {
  it('terminate → DELETE …/operation with the guards checked locally; hard refresh → GET ?refresh=hard without our timestamp annotation', () => {
    const stuck = hookStuckApp()
    const terminate = buildUnstickPlan(stuck, {now: NOW, minAgeSeconds: 0, force: false, controllerFreshSeconds: 300, skipTerminate: false}) as Plan
    expect(terminate.action).to.equal('terminate')
    const t = apiPlan(terminate, stuck)
    expect(t.writes).to.deep.equal([{kind: 'terminate'}])
    expect(t.localGuards.map((g) => g.path)).to.include('/metadata/resourceVersion')
    const refresh = apiPlan(buildHardRefreshPlan(healthyApp(), NOW), healthyApp())
    expect(refresh.writes).to.deep.equal([{kind: 'refresh'}])
    expect(JSON.stringify(refresh.effect)).to.not.include('refresh-timestamp')
  })

  it('clearing the operation, or writing a status field, is refused by name (exit REFUSED), never emulated', () => {
    const stuck = hookStuckApp()
    const clear = buildUnstickPlan(stuck, {now: NOW, minAgeSeconds: 0, force: false, controllerFreshSeconds: 300, skipTerminate: true}) as Plan
    expect(() => apiPlan(clear, stuck)).to.throw(/clearing a stuck operation .* needs Kubernetes access/)
    const status: Plan = {...clear, action: 'x', patch: [{op: 'replace', path: '/status/health', value: {}}]}
    expect(() => apiPlan(status, stuck)).to.throw(/writes \/status\/health, and the Argo CD API writes only spec, labels, annotations and finalizers/)
  })
})
