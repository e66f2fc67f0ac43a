import {readdirSync} from 'node:fs'
import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js'
import {expect} from 'chai'
import {startFakeApiServer, type FakeApiServer} from '../support/fake-apiserver.js'
import {BIN, tempDir} from '../support/cli.js'
import {NOW, selfWaitApp} from '../fixtures/apps.js'
import {EVIL, hostileStuckApp, unsafeChars} from '../fixtures/hostile.js'
import {platformHpa, platformOutOfSyncApp} from '../fixtures/seed002.js'

const APP = ['argoproj.io/v1alpha1', 'Application', 'argocd'] as const
const READ_TOOLS = ['app_history', 'describe_backups', 'explain', 'list_findings']
const VERB_TOOLS = ['plan_approve_prune', 'plan_force_presync', 'plan_hard_refresh', 'plan_ignore_status', 'plan_unblock_delete', 'plan_undo', 'plan_unstick', 'plan_rollback', 'plan_retry_sync', 'plan_pause_sync', 'plan_resume_sync']

/** The text of a tool result, checked to carry no raw control character, parsed. */
function textOf(result: unknown): {text: string; json: any} {
  const content = (result as {content: Array<{type: string; text: string}>}).content
  expect(content).to.have.length(1)
  const {text} = content[0]
  expect(unsafeChars(text), 'raw control characters in the tool result').to.deep.equal([])
  return {text, json: JSON.parse(text)}
}

describe('argo-doctor mcp (a real MCP client spawning the built binary, against a real HTTP API server)', function () {
  this.timeout(60_000)
  let server: FakeApiServer
  let kubeconfig: string
  let backups: string
  const clients: Client[] = []
  const stored = (name = 'wealist-apps-prod') => server.get(...APP, name)

  async function connect(...flags: string[]): Promise<Client> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--kubeconfig', kubeconfig, ...flags],
      env: {...process.env as Record<string, string>, NO_COLOR: '1', ARGO_DOCTOR_NOW: NOW.toISOString(), ARGO_DOCTOR_BACKUP_DIR: backups},
      stderr: 'ignore',
    })
    const client = new Client({name: 'argo-doctor-test-client', version: '1.0.0'})
    await client.connect(transport)
    clients.push(client)
    return client
  }

  /** The application-controller, played by the test: finishes a requested hard refresh. */
  function playController(name = 'wealist-apps-prod'): () => void {
    const timer = setInterval(() => {
      if (stored(name)?.metadata.annotations?.['argocd.argoproj.io/refresh']) {
        server.mutate(...APP, name, (o) => {
          delete o.metadata.annotations['argocd.argoproj.io/refresh']
          o.status.reconciledAt = '2026-01-02T00:12:30Z'
          o.status.sync.status = 'Synced'
        })
      }
    }, 50)
    return () => clearInterval(timer)
  }

  beforeEach(async () => {
    server = await startFakeApiServer()
    kubeconfig = server.writeKubeconfig(tempDir())
    backups = tempDir('argo-doctor-backups-')
    server.put(selfWaitApp())
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
    await server.stop()
  })

  it('read-only by default: only the read tools, each readOnlyHint, and the instructions say so', async () => {
    const client = await connect()
    const {tools} = await client.listTools()
    expect(tools.map((t) => t.name).sort()).to.deep.equal(READ_TOOLS)
    for (const tool of tools) {
      expect(tool.annotations?.readOnlyHint, tool.name).to.equal(true)
      expect(tool.inputSchema.type).to.equal('object')
    }

    const explain = tools.find((t) => t.name === 'explain')!
    expect(Object.keys(explain.inputSchema.properties ?? {}).sort()).to.deep.equal(['app', 'selector'])
    expect(tools.find((t) => t.name === 'app_history')!.inputSchema.required).to.deep.equal(['app'])
    expect(client.getInstructions()).to.match(/Mode: READ-ONLY/)
    // No write tool at all, not even one that would refuse.
    const call = await client.callTool({name: 'apply_plan', arguments: {plan_id: 'x'}})
    expect(call.isError).to.equal(true)
  })

  it('--allow-writes: a plan_<verb> per changing verb (read-only: a dry run) and one apply_plan with truthful hints; --allow narrows them', async () => {
    const all = await connect('--allow-writes')
    const {tools} = await all.listTools()
    expect(tools.map((t) => t.name).sort()).to.deep.equal([...READ_TOOLS, 'apply_plan', ...VERB_TOOLS].sort())
    for (const tool of tools.filter((t) => t.name.startsWith('plan_'))) {
      expect(tool.annotations, tool.name).to.include({readOnlyHint: true})
      expect(tool.inputSchema.required, tool.name).to.deep.equal(['app'])
    }

    const unstick = tools.find((t) => t.name === 'plan_unstick')!
    expect(unstick.inputSchema.properties).to.have.keys('app', 'force', 'terminate', 'resync')
    expect((unstick.inputSchema.properties as any).force.type).to.equal('boolean')
    expect(tools.find((t) => t.name === 'apply_plan')!.annotations).to.include({readOnlyHint: false, destructiveHint: true, idempotentHint: false})
    expect(all.getInstructions()).to.match(/Mode: WRITES ALLOWED for unstick, hard-refresh/)

    const narrow = await connect('--allow-writes', '--allow', 'hard-refresh')
    const narrowed = (await narrow.listTools()).tools
    expect(narrowed.map((t) => t.name).sort()).to.deep.equal([...READ_TOOLS, 'apply_plan', 'plan_hard_refresh'].sort())
    // A hard refresh only adds an annotation, and a second one changes nothing more.
    expect(narrowed.find((t) => t.name === 'apply_plan')!.annotations).to.include({destructiveHint: false, idempotentHint: true})
  })

  it('explain returns what -o json prints (the envelope), read tools see the stuck app', async () => {
    const client = await connect()
    const {json} = textOf(await client.callTool({name: 'explain', arguments: {app: 'wealist-apps-prod'}}))
    expect(json).to.include({command: 'explain', status: 'findings', exitCode: 20})
    expect(json.result.app).to.deep.equal({name: 'wealist-apps-prod', namespace: 'argocd'})
    expect(json.result.findings.map((f: {id: string}) => f.id)).to.include('self-wait')
    const fleet = textOf(await client.callTool({name: 'list_findings', arguments: {severity: 'critical'}})).json
    expect(fleet.result.apps.map((a: {name: string}) => a.name)).to.deep.equal(['wealist-apps-prod'])
    const {resources} = await client.listResources()
    expect(resources.map((r) => r.uri)).to.deep.equal(['argo-doctor://apps/argocd/wealist-apps-prod'])
    const read = await client.readResource({uri: resources[0].uri})
    expect(JSON.parse((read.contents[0] as {text: string}).text).findings.length).to.be.greaterThan(0)
    const prompt = await client.getPrompt({name: 'triage-incident', arguments: {app: 'wealist-apps-prod'}})
    expect((prompt.messages[0].content as {text: string}).text).to.match(/Do not call apply_plan without their explicit yes/)
  })

  it('plan_unstick previews without writing; apply_plan writes exactly it, backs up, records an Event naming the client, and the app is unstuck', async () => {
    const client = await connect('--allow-writes')
    const before = stored()
    const plan = textOf(await client.callTool({name: 'plan_unstick', arguments: {app: 'wealist-apps-prod'}})).json
    expect(plan.plan_id).to.match(/^plan-/)
    expect(plan).to.include({verb: 'unstick', resourceVersion: before.metadata.resourceVersion, patchType: 'application/json-patch+json'})
    expect(plan.diff).to.match(/^- {2}operationState:/m)
    expect(plan.guards).to.include(`/metadata/resourceVersion is still "${before.metadata.resourceVersion}"`)
    expect(plan.kubectl).to.match(/^kubectl patch applications\.argoproj\.io wealist-apps-prod -n argocd --kubeconfig \S+ --type json -p /)
    expect(plan.via).to.equal('argo-doctor-test-client')
    expect(stored()).to.deep.equal(before)
    expect(server.requests.filter((q) => q.method === 'PATCH').every((q) => q.query.dryRun === 'All')).to.equal(true)

    const stop = playController()
    const applied = textOf(await client.callTool({name: 'apply_plan', arguments: {plan_id: plan.plan_id}}).finally(stop)).json
    expect(applied, JSON.stringify(applied)).to.include({status: 'applied', exitCode: 0})
    const written = server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined)
    expect(written).to.have.length(1)
    expect(written[0].body).to.deep.equal(plan.patch)
    expect(stored().status.operationState).to.equal(undefined)
    expect(applied.steps[0].backup).to.be.a('string')
    expect(readdirSync(backups).length).to.equal(2)
    const event = server.requests.find((q) => q.method === 'POST' && q.path.endsWith('/events'))
    expect(event?.body.message).to.match(/By admin via MCP client "argo-doctor-test-client" with argo-doctor unstick/)

    // A plan is applied at most once.
    const again = await client.callTool({name: 'apply_plan', arguments: {plan_id: plan.plan_id}})
    expect(again.isError).to.equal(true)
    expect(textOf(again).json.error.code).to.equal('NOT_FOUND')
  })

  it('apply_plan refuses (nothing written) when the app changed between plan and apply, and returns the new preview', async () => {
    const client = await connect('--allow-writes')
    const plan = textOf(await client.callTool({name: 'plan_unstick', arguments: {app: 'wealist-apps-prod'}})).json
    server.mutate(...APP, 'wealist-apps-prod', (o) => {
      o.status.operationState.message = 'changed by the controller'
    })
    const changed = stored()
    const refused = await client.callTool({name: 'apply_plan', arguments: {plan_id: plan.plan_id}})
    expect(refused.isError).to.equal(true)
    const {json} = textOf(refused)
    expect(json).to.include({status: 'conflict', exitCode: 8})
    expect(json.error.message).to.match(/changed since the plan was made .* nothing was written/)
    expect(json.now.plan_id).to.match(/^plan-/).and.not.equal(plan.plan_id)
    expect(json.now.resourceVersion).to.equal(changed.metadata.resourceVersion)
    expect(json.now.diff).to.include('changed by the controller')
    expect(server.requests.filter((q) => q.method === 'PATCH' && q.query.dryRun === undefined)).to.have.length(0)
    expect(stored()).to.deep.equal(changed)
  })

  it('an expired plan is refused and nothing is written', async () => {
    const client = await connect('--allow-writes', '--plan-ttl', '1s')
    const plan = textOf(await client.callTool({name: 'plan_hard_refresh', arguments: {app: 'wealist-apps-prod'}})).json
    const before = stored()
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const refused = await client.callTool({name: 'apply_plan', arguments: {plan_id: plan.plan_id}})
    expect(refused.isError).to.equal(true)
    const {json} = textOf(refused)
    expect(json.error).to.include({code: 'REFUSED'})
    expect(json.error.message).to.match(/This plan expired at .*; nothing was written/)
    expect(stored()).to.deep.equal(before)
  })

  it('every write is undoable through plan_undo: ignore-status applied, then undone, the spec as it was', async () => {
    server.put(platformOutOfSyncApp())
    server.put(platformHpa())
    const name = 'wealist-platform-prod'
    const original = stored(name)
    // The controller, played by the test: every spec change is reconciled.
    let seen = JSON.stringify(original.spec)
    const timer = setInterval(() => {
      const app = stored(name)
      if (JSON.stringify(app.spec) !== seen) {
        seen = JSON.stringify(app.spec)
        server.mutate(...APP, name, (o) => {
          if (o.metadata.annotations) delete o.metadata.annotations['argocd.argoproj.io/refresh']
          o.status.reconciledAt = new Date().toISOString()
        })
      }
    }, 50)
    try {
      const client = await connect('--allow-writes', '--allow', 'ignore-status,undo', '--timeout', '10s')
      const plan = textOf(await client.callTool({name: 'plan_ignore_status', arguments: {app: name}})).json
      expect(textOf(await client.callTool({name: 'apply_plan', arguments: {plan_id: plan.plan_id}})).json).to.include({status: 'applied'})
      expect(stored(name).spec.ignoreDifferences).to.not.deep.equal(original.spec.ignoreDifferences)
      const backups = textOf(await client.callTool({name: 'describe_backups', arguments: {app: name}})).json.result.backups
      expect(backups.map((b: {recipe: string}) => b.recipe)).to.deep.equal(['ignore-status'])
      const undo = textOf(await client.callTool({name: 'plan_undo', arguments: {app: name, backup: backups[0].record}})).json
      expect(undo).to.include({verb: 'undo'})
      expect(textOf(await client.callTool({name: 'apply_plan', arguments: {plan_id: undo.plan_id}})).json).to.include({status: 'applied'})
      expect(stored(name).spec).to.deep.equal(original.spec)
      // A backup path the app's backups do not list is refused, never read.
      const elsewhere = await client.callTool({name: 'plan_undo', arguments: {app: name, backup: '/etc/passwd'}})
      expect(textOf(elsewhere).json.error.code).to.equal('USAGE')
    } finally {
      clearInterval(timer)
    }
  })

  it('hostile cluster text (messages, names, annotations) and a hostile app name never reach the client raw', async () => {
    server.put(hostileStuckApp())
    const client = await connect('--allow-writes')
    const explained = textOf(await client.callTool({name: 'explain', arguments: {app: 'hostile'}}))
    expect(explained.text).to.include('\\u001b]0;pwned')
    expect(JSON.stringify(explained.json)).to.include(JSON.stringify(EVIL).slice(1, -1).slice(0, 6))
    textOf(await client.callTool({name: 'list_findings', arguments: {}}))
    textOf(await client.callTool({name: 'app_history', arguments: {app: 'hostile'}}))
    textOf(await client.callTool({name: 'plan_unstick', arguments: {app: 'hostile', force: true}}))
    const bad = await client.callTool({name: 'explain', arguments: {app: `x${EVIL}`}})
    expect(bad.isError).to.equal(true)
    expect(textOf(bad).json.error.code).to.equal('USAGE')
    expect(client.getInstructions()).to.not.include('pwned')
  })
})
