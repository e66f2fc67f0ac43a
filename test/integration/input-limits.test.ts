import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {apiServerPerTest} from '../support/api-per-test.js'
import {runCli, tempDir} from '../support/cli.js'
import {healthyApp, NOW, selfWaitApp} from '../fixtures/apps.js'

const env = {ARGO_DOCTOR_NOW: NOW.toISOString()}

describe('input limits and --debug (built CLI against a real HTTP API server)', function () {
  this.timeout(60_000)
  const api = apiServerPerTest((server) => server.put(selfWaitApp()))

  it('durations beyond 24h are a usage error (exit 2), not an instant false timeout or exit 7', async () => {
    for (const flag of ['--timeout', '--request-timeout', '--min-age']) {
      const r = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', api.kubeconfig, '--yes', flag, '600h'], {env})
      expect(r.exitCode, `${flag}: ${r.stdout}${r.stderr}`).to.equal(2)
      expect(r.stderr).to.include('"600h" is longer than the longest duration argo-doctor accepts (24h)')
    }

    expect(api.server.requests).to.have.length(0)
    const ok = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', api.kubeconfig, '--dry-run', '--timeout', '24h', '--request-timeout', '1h'], {env})
    expect(ok.exitCode, ok.stderr).to.equal(0)
  })

  it('invalid namespaces and names are usage errors before any request (not a "missing CRD")', async () => {
    for (const [args, re] of [
      [['-n', 'x/../y'], /"x\/\.\.\/y" is not a valid namespace \(-n\)/],
      [['-n', 'Argocd'], /"Argocd" is not a valid namespace/],
    ] as const) {
      for (const command of ['unstick', 'explain', 'hard-refresh', 'undo']) {
        const r = await runCli([command, 'wealist-apps-prod', '--kubeconfig', api.kubeconfig, ...args], {env})
        expect(r.exitCode, `${command} ${args.join(' ')}: ${r.stderr}`).to.equal(2)
        expect(r.stderr).to.match(re)
        expect(r.stderr).to.not.match(/CRD|Argo CD cluster/)
      }
    }

    for (const name of ['../secrets', 'My_App', 'a'.repeat(254)]) {
      const r = await runCli(['explain', name, '--kubeconfig', api.kubeconfig], {env})
      expect(r.exitCode, r.stderr).to.equal(2)
      expect(r.stderr).to.include('is not a valid Application name')
    }

    const r = await runCli(['hard-refresh', 'wealist-apps-prod', 'bad/name', '--kubeconfig', api.kubeconfig, '--dry-run'], {env})
    expect(r.exitCode).to.equal(2)
    expect(api.server.requests).to.have.length(0)
  })

  it('malformed client-certificate data in the kubeconfig is a config error (exit 6)', async () => {
    const file = join(tempDir(), 'kubeconfig')
    writeFileSync(file, [
      'apiVersion: v1', 'kind: Config', 'current-context: x',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {client-certificate-data: bm90LWEtY2VydA==, client-key-data: bm90LWEta2V5}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
    ].join('\n'))
    const r = await runCli(['explain', 'wealist-apps-prod', '--kubeconfig', file], {env})
    expect(r.exitCode, r.stderr).to.equal(6)
    expect(r.stderr).to.match(/client certificate or key \(context "x"\) cannot be used/)
    expect(r.stderr).to.include('kubectl config view --minify --raw')
  })

  it('-f: more than 32 MiB is refused with a clear error; a large JSON file parses quickly', async () => {
    const dir = tempDir()
    const big = join(dir, 'big.yaml')
    writeFileSync(big, `# ${'x'.repeat(33 * 1024 * 1024)}\n`)
    const r = await runCli(['explain', '-f', big], {env})
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.include(`${big} is larger than 32 MiB, the most -f reads; nothing was changed.`)

    const app = healthyApp()
    app.metadata.annotations = Object.fromEntries(Array.from({length: 300_000}, (_, i) => [`example.com/k${i}`, 'v']))
    const json = join(dir, 'app.json')
    writeFileSync(json, JSON.stringify(app))
    const started = Date.now()
    const ok = await runCli(['explain', '-f', json], {env})
    expect(ok.exitCode, ok.stderr).to.be.oneOf([0, 20])
    expect(Date.now() - started).to.be.below(15_000)
  })

  it('a YAML file with a duplicate key is refused, naming the key', async () => {
    const file = join(tempDir(), 'dup.yaml')
    writeFileSync(file, 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n  name: b\nspec: {}\n')
    const r = await runCli(['explain', '-f', file], {env})
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.include('the key "name" appears twice in the same map')
  })

  it('a YAML bomb and a List with null items are usage errors (exit 2), not "Unexpected error"', async () => {
    const dir = tempDir()
    const levels = 'abcdefghi'.split('')
    const bomb = levels.map((l, i) => `${l}: &${l} [${Array.from({length: 9}, () => (i === 0 ? '"lol"' : `*${levels[i - 1]}`)).join(',')}]`).join('\n')
    const app = JSON.stringify(selfWaitApp())
    for (const [name, text, re] of [
      ['bomb.yaml', `${bomb}\n`, /bomb\.yaml is not valid YAML: .*alias/],
      ['nulls.yaml', `apiVersion: v1\nkind: List\nitems:\n- null\n- ${app}\n`, /nulls\.yaml: item 0 of the List is null, not a Kubernetes object/],
      ['nulls.json', JSON.stringify({apiVersion: 'v1', kind: 'List', items: [JSON.parse(app), null]}), /nulls\.json: item 1 of the List is null, not a Kubernetes object/],
    ] as const) {
      writeFileSync(join(dir, name), text)
      for (const command of ['explain', 'unstick']) {
        const r = await runCli([command, '-f', join(dir, name)], {env})
        expect(r.exitCode, `${command} ${name}: ${r.stderr}`).to.equal(2)
        expect(r.stderr).to.match(re)
        expect(r.stderr).not.to.match(/Unexpected error/)
      }
    }
  })

  it('an invalid -l selector is a usage error (exit 2) before any request', async () => {
    for (const selector of ['a b c!!', 'team=$(x)', 'env in (a', '=x', 'a,,b', 'k=' + 'v'.repeat(64)]) {
      for (const command of ['explain', 'hard-refresh', 'unstick', 'runbook']) {
        const r = await runCli([command, '-l', selector, '--kubeconfig', api.kubeconfig, '--dry-run'].filter((a) => command !== 'explain' && command !== 'runbook' || a !== '--dry-run'), {env})
        expect(r.exitCode, `${command} -l ${selector}: ${r.stderr}`).to.equal(2)
        expect(r.stderr).to.include('is not a valid label selector')
      }
    }

    expect(api.server.requests).to.have.length(0)
    for (const selector of ['team=payments', 'team==payments,env!=dev', 'env in (prod, staging),!legacy', 'app.kubernetes.io/part-of notin (x)', 'tier', 'k=']) {
      const r = await runCli(['explain', '-l', selector, '--kubeconfig', api.kubeconfig], {env})
      expect(r.exitCode, `${selector}: ${r.stderr}`).not.to.equal(2)
    }
  })

  it('a missing app in a 10,000-app file: the hint names a few, not all 10,000', async () => {
    const items = Array.from({length: 10_000}, (_, i) => ({...selfWaitApp(), metadata: {...selfWaitApp().metadata, name: `app-${String(i).padStart(5, '0')}`}}))
    const file = join(tempDir(), 'many.json')
    writeFileSync(file, JSON.stringify({apiVersion: 'v1', kind: 'List', items}))
    const r = await runCli(['unstick', 'nope', '-f', file], {env})
    expect(r.exitCode).to.equal(3)
    expect(r.stderr.length, r.stderr.slice(0, 300)).to.be.below(2000)
    expect(r.stderr).to.include('argocd/app-00000')
    expect(r.stderr).to.match(/9,99\d more/)
  })

  it('--debug prints the API request, the response status and the Status body', async () => {
    const ro = api.server.writeKubeconfig(tempDir())
    const r = await runCli(['unstick', 'wealist-apps-prod', '--kubeconfig', ro, '--context', 'readonly', '--yes', '--debug'], {env})
    expect(r.exitCode, r.stderr).to.equal(5)
    expect(r.stderr).to.match(/^API request: PATCH http:\/\/127\.0\.0\.1:\d+\/apis\/argoproj\.io\/v1alpha1\/namespaces\/argocd\/applications\/wealist-apps-prod$/m)
    expect(r.stderr).to.match(/^API response: 403$/m)
    expect(r.stderr).to.match(/^API status body: .*"reason":"Forbidden"/m)
    const missing = await runCli(['explain', 'nope', '--kubeconfig', api.kubeconfig, '--debug'], {env})
    expect(missing.stderr).to.match(/^API request: GET http:\/\/127\.0\.0\.1:\d+\/apis\/argoproj\.io\/v1alpha1\/namespaces\/argocd\/applications\/nope$/m)
    expect(missing.stderr).to.match(/^API response: 404$/m)
  })
})
