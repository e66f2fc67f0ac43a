/**
 * `argocd doctor` for someone with an Argo CD login and no Kubernetes access: the REAL argocd CLI
 * (`argocd login`, then its plugin dispatch runs bin/argocd-doctor with the caller's environment)
 * against the REAL argocd-server of the tier (v3.6+; skipped when the binary has none). Every run
 * has KUBECONFIG pointing at nothing and an empty HOME: the API path needs no kubeconfig.
 *  - admin: explain a stuck hook; terminate it (DELETE …/operation, audited by Argo CD as admin);
 *    a PATCH (pause-sync, then resume-sync); a hard refresh (GET ?refresh=hard); clearing refused;
 *  - a local user whose Argo CD RBAC allows get and sync but not update: the 403 said clearly, nothing written;
 *  - a token that expired, and one the server does not accept: exit 4 naming `argocd login`.
 */
import {appendFileSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {ROOT, tempDir} from '../support/cli.js'
import {configMap, createApp, deleteApps, getApp, gitPut, heading, kubectl, NS, recordText, record, reproduceHangingHook, requireArgocd, sleep, SUMMARY_FILE, uniq, waitForApp} from './support.js'

const S = 'S30 argocd-api'
const ARGOCD = process.env.ARGOCD_BIN ?? ''
const SERVER = process.env.ARGOCD_SERVER_ADDR ?? ''
const ALICE_PASSWORD = 'alice-e2e-password-1'

interface Run {
  exitCode: number
  stdout: string
  stderr: string
}

/** The argocd CLI as a user runs it: plugins from PATH (bin/argocd-doctor), its config in `configDir`, no kubeconfig anywhere. */
async function argocd(configDir: string, args: string[], env: Record<string, string> = {}, show = true): Promise<Run> {
  const home = tempDir('argocd-api-home-')
  const r = await execa(ARGOCD, args, {
    reject: false, stdin: 'ignore', timeout: 180_000, extendEnv: false,
    env: {PATH: `${join(ROOT, 'bin')}${delimiter}${process.env.PATH}`, HOME: home, ARGOCD_CONFIG_DIR: configDir, KUBECONFIG: join(home, 'no-kubeconfig'), NO_COLOR: '1', ARGO_DOCTOR_BACKUP_DIR: join(home, 'backups'), ...env},
  })
  const out = {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
  if (show) {
    recordText(S, `$ argocd ${args.join(' ')}`, `exit ${out.exitCode}`)
    appendFileSync(SUMMARY_FILE, `\n\`\`\`\n$ argocd ${args.join(' ')}  → exit ${out.exitCode}\n${out.stdout}\n--- stderr\n${out.stderr}\n\`\`\`\n`)
  }
  return out
}

async function login(user: string, password: string): Promise<string> {
  const dir = tempDir('argocd-api-config-')
  const r = await argocd(dir, ['login', SERVER, '--plaintext', '--username', user, '--password', password], {}, false)
  expect(r.exitCode, r.stderr).to.equal(0)
  expect(r.stdout).to.include(`'${user}:login' logged in successfully`)
  return dir
}

describe('argocd tier S30: `argocd doctor` through the real argocd CLI and argocd-server (Argo CD RBAC, no kubeconfig)', () => {
  const ns = uniq('s30-api')
  const stuck = `${ns}-hook`
  const plain = `${ns}-plain`
  let admin: string
  let alice: string
  let adminPassword: string
  const tokens: string[] = []

  before(function () {
    requireArgocd()
    if (!SERVER || !ARGOCD) this.skip() // argocd-server is in the tier's binary from Argo CD 3.6 on
  })
  before(() => heading(S, `apps ${stuck}, ${plain}; argocd-server ${SERVER}`))
  before(async () => {
    adminPassword = Buffer.from(JSON.parse(await kubectl(['get', 'secret', 'argocd-initial-admin-secret', '-n', NS, '-o', 'json'])).data.password, 'base64').toString('utf8')
    // A local user who may read and sync every app, but not update one (argocd-cm accounts, argocd-rbac-cm).
    await kubectl(['patch', 'configmap', 'argocd-cm', '-n', NS, '--type', 'merge', '-p', JSON.stringify({data: {'accounts.alice': 'login, apiKey'}})])
    await kubectl(['patch', 'configmap', 'argocd-rbac-cm', '-n', NS, '--type', 'merge', '-p', JSON.stringify({data: {'policy.csv': 'p, role:get-sync, applications, get, */*, allow\np, role:get-sync, applications, sync, */*, allow\np, role:get-sync, projects, get, *, allow\ng, alice, role:get-sync\n'}})])
    admin = await login('admin', adminPassword)
    for (let i = 0; ; i++) {
      // argocd-server picks up the new account from its informer; the password is set as admin.
      const r = await argocd(admin, ['account', 'update-password', '--account', 'alice', '--current-password', adminPassword, '--new-password', ALICE_PASSWORD], {}, false)
      if (r.exitCode === 0) break
      if (i > 20) throw new Error(`could not set alice's password: ${r.stderr}`)
      await sleep(500)
    }

    alice = await login('alice', ALICE_PASSWORD)
  })
  after(async () => {
    await deleteApps(stuck, plain)
    await kubectl(['patch', 'configmap', 'argocd-rbac-cm', '-n', NS, '--type', 'json', '-p', '[{"op":"remove","path":"/data"}]']).catch(() => undefined)
  })
  after(() => {
    // No output of any run shows a token.
    for (const token of tokens) for (const r of runs) expect(r.stdout + r.stderr).not.to.include(token)
  })
  const runs: Run[] = []
  const doctor = async (config: string, args: string[], env: Record<string, string> = {}) => {
    const r = await argocd(config, ['doctor', ...args], env)
    runs.push(r)
    return r
  }

  it('`argocd doctor explain` on a stuck PreSync hook: the Argo CD API backend, as admin, without a kubeconfig', async () => {
    const app = await reproduceHangingHook(stuck, ns, 'db-migrate')
    record(S, 'before (hook hangs)', app)
    // The token the CLI stored: it must never be printed.
    const config = await execa('cat', [join(admin, 'config')])
    tokens.push(...String(config.stdout).match(/auth-token: (\S+)/g)!.map((l) => l.slice('auth-token: '.length)))
    const r = await doctor(admin, ['explain', stuck])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stderr).to.match(new RegExp(`Backend: the Argo CD API at http://${SERVER.replaceAll('.', '\\.')} \\(server from argocd context .*\\), acting as Argo CD user "admin"`))
    expect(r.stdout).to.include(`argocd/${stuck}`)
    expect(r.stdout).to.include('waiting for completion of hook batch/Job/db-migrate')
    expect(r.stdout).to.not.include('No problems found')
  })

  it('clearing the operation at once (--no-terminate) is refused by name: it needs Kubernetes access; nothing written', async () => {
    const before = await getApp(stuck)
    const r = await doctor(admin, ['unstick', stuck, '--min-age', '0s', '--no-terminate', '--yes'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(14)
    expect(r.stderr).to.include('needs Kubernetes access. The Argo CD API has no call for it, and argo-doctor does not emulate one; nothing was written.')
    const after = await getApp(stuck)
    expect(after.metadata.resourceVersion === before.metadata.resourceVersion || after.status.operationState.phase === 'Running', 'nothing was written').to.equal(true)
  })

  it('`argocd doctor unstick`: a terminate through DELETE …/operation, which argocd-server audits as admin; the operation ends', async () => {
    const r = await doctor(admin, ['unstick', stuck, '--min-age', '0s', '--yes', '--timeout', '90s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include(`Equivalent argocd:\n  argocd app terminate-op ${stuck} --app-namespace argocd`)
    expect(r.stdout).to.match(/Backup of the live object: |Applied: Terminate/)
    const after = await getApp(stuck)
    record(S, 'after unstick (terminate)', after)
    expect(after.status.operationState?.phase).to.not.equal('Running')
    const events = JSON.parse(await kubectl(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${stuck}`, '-o', 'json'])).items as Array<{message?: string}>
    expect(events.map((e) => e.message), 'Argo CD\'s own audit Event names the user').to.include('admin terminated running operation')
  })

  it('a PATCH through the API (pause-sync, then resume-sync) and a hard refresh (GET ?refresh=hard)', async () => {
    const sha = await gitPut(`apps/${plain}`, {'cm.yaml': configMap('plain')})
    await createApp(plain, {path: `apps/${plain}`, revision: sha, namespace: ns, syncPolicy: {automated: {selfHeal: true}, syncOptions: ['CreateNamespace=true']}})
    await waitForApp(plain, 'Synced', (a) => a.status?.sync?.status === 'Synced' && !a.metadata.annotations?.['argocd.argoproj.io/refresh'])
    const pause = await doctor(admin, ['pause-sync', plain, '--yes', '--reason', 'e2e'])
    expect(pause.exitCode, pause.stdout + pause.stderr).to.equal(0)
    expect(pause.stdout).to.include('Diff (applied locally: the Argo CD API has no dry run for these calls):')
    const paused = await getApp(plain)
    expect(paused.spec.syncPolicy.automated).to.equal(undefined)
    expect(JSON.parse(paused.metadata.annotations['argo-doctor/sync-paused'])).to.include({by: 'admin', reason: 'e2e'})
    const resume = await doctor(admin, ['resume-sync', plain, '--yes'])
    expect(resume.exitCode, resume.stdout + resume.stderr).to.equal(0)
    expect((await getApp(plain)).spec.syncPolicy.automated).to.deep.equal({selfHeal: true})
    const refresh = await doctor(admin, ['hard-refresh', plain, '--yes', '--timeout', '60s'])
    expect(refresh.exitCode, refresh.stdout + refresh.stderr).to.equal(0)
    expect(refresh.stdout).to.match(/✔ Refreshed at \S+: sync Synced/)
  })

  it('Argo CD RBAC that allows get and sync but not update: the API\'s 403, said clearly (exit 5), nothing written; a refresh (get) is allowed', async () => {
    const before = await getApp(plain)
    const r = await doctor(alice, ['pause-sync', plain, '--yes'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(5)
    expect(r.stderr).to.include(`Error: Argo CD RBAC does not allow you (alice) to update Application argocd/${plain} on default/${plain}: permission denied: applications, update, default/${plain}, sub: alice`)
    expect(r.stderr).to.match(/Nothing was written\.\n {2}Ask an Argo CD admin for the "update" action on applications in argocd-rbac-cm/)
    const after = await getApp(plain)
    expect(after.spec).to.deep.equal(before.spec)
    expect(after.metadata.annotations?.['argo-doctor/sync-paused']).to.equal(undefined)
    const refresh = await doctor(alice, ['hard-refresh', plain, '--yes', '--timeout', '60s'])
    expect(refresh.exitCode, refresh.stdout + refresh.stderr).to.equal(0)
  })

  it('a token that expired, and one argocd-server does not accept: exit 4, naming `argocd login`', async () => {
    const gen = await argocd(admin, ['account', 'generate-token', '--account', 'alice', '--expires-in', '1s'], {}, false)
    expect(gen.exitCode, gen.stderr).to.equal(0)
    const short = gen.stdout.trim()
    tokens.push(short)
    await sleep(2500)
    const expired = await doctor(tempDir('empty-'), ['explain', plain], {ARGOCD_SERVER: SERVER, ARGOCD_AUTH_TOKEN: short, ARGOCD_OPTS: '--plaintext'})
    expect(expired.exitCode, expired.stderr).to.equal(4)
    expect(expired.stderr).to.match(/Error: Your Argo CD session expired at \S+ \(Argo CD server /)
    expect(expired.stderr).to.include(`Log in again with: argocd login ${SERVER} --plaintext`)
    const forged = `${short.split('.').slice(0, 2).join('.')}.AAAA`
    const [head, , sig] = short.split('.')
    const claims = JSON.parse(Buffer.from(short.split('.')[1], 'base64url').toString('utf8'))
    const unexpired = `${head}.${Buffer.from(JSON.stringify({...claims, exp: Math.floor(Date.now() / 1000) + 3600})).toString('base64url')}.${sig}`
    tokens.push(forged, unexpired)
    const invalid = await doctor(tempDir('empty-'), ['explain', plain], {ARGOCD_SERVER: SERVER, ARGOCD_AUTH_TOKEN: unexpired, ARGOCD_OPTS: '--plaintext'})
    expect(invalid.exitCode, invalid.stderr).to.equal(4)
    expect(invalid.stderr).to.include('The Argo CD server does not accept your session token')
  })
})
