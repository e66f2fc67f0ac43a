import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js'
import {expect} from 'chai'
import {BIN, tempDir} from '../support/cli.js'
import {unsafeChars} from '../fixtures/hostile.js'
import {createApp, getApp, KUBECONFIG, kubectl, minutesAgo, NS, playRefreshController, requireCluster} from './support.js'

const stuck = (message: string) => ({
  status: {
    sync: {status: 'OutOfSync'},
    health: {status: 'Progressing'},
    reconciledAt: minutesAgo(1),
    operationState: {phase: 'Running', message, startedAt: minutesAgo(9 * 60), operation: {sync: {revision: '5f2c9e1a'}, initiatedBy: {automated: true}}},
  },
})

function json(result: unknown): any {
  const [content] = (result as {content: Array<{text: string}>}).content
  expect(unsafeChars(content.text), 'raw control characters in the tool result').to.deep.equal([])
  return JSON.parse(content.text)
}

describe('e2e: argo-doctor mcp through the MCP SDK client against a real kube-apiserver', () => {
  let client: Client
  before(requireCluster)
  beforeEach(async () => {
    client = new Client({name: 'e2e-agent', version: '1.0.0'})
    await client.connect(new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--kubeconfig', KUBECONFIG, '-n', NS, '--allow-writes', '--allow', 'unstick,hard-refresh,undo'],
      env: {...process.env as Record<string, string>, NO_COLOR: '1', ARGO_DOCTOR_BACKUP_DIR: tempDir('e2e-backups-')},
      stderr: 'ignore',
    }))
  })
  afterEach(async () => client.close())

  it('plan_unstick then apply_plan fixes a stuck app; the real CRD schema accepts the write; plan_undo is offered', async () => {
    await createApp('mcp-stuck', stuck('waiting for healthy state of argoproj.io/Application/mcp-stuck'))
    const tools = (await client.listTools()).tools.map((t) => t.name).sort()
    expect(tools).to.deep.equal(['app_history', 'apply_plan', 'describe_backups', 'explain', 'list_findings', 'plan_hard_refresh', 'plan_undo', 'plan_unstick'])
    const plan = json(await client.callTool({name: 'plan_unstick', arguments: {app: 'mcp-stuck'}}))
    expect(plan.plan_id).to.match(/^plan-/)
    expect(plan.diff).to.match(/^- {2}operationState:/m)
    expect((await getApp('mcp-stuck')).status.operationState.phase).to.equal('Running')
    const controller = playRefreshController('mcp-stuck')
    const applied = json(await client.callTool({name: 'apply_plan', arguments: {plan_id: plan.plan_id}}).finally(() => controller.stop()))
    expect(applied, JSON.stringify(applied)).to.include({status: 'applied', exitCode: 0})
    expect((await getApp('mcp-stuck')).status.operationState).to.equal(undefined)
    const events = JSON.parse(await kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=mcp-stuck', '-o', 'json'])).items
    expect(events.map((e: {message: string}) => e.message).join('\n')).to.match(/via MCP client "e2e-agent" with argo-doctor unstick/)
    const backups = json(await client.callTool({name: 'describe_backups', arguments: {app: 'mcp-stuck'}}))
    expect(backups.result.backups).to.have.length(1)
  })

  it('an app changed between plan and apply is refused: nothing written, the new preview returned', async () => {
    await createApp('mcp-changed', stuck('waiting for healthy state'))
    const plan = json(await client.callTool({name: 'plan_unstick', arguments: {app: 'mcp-changed'}}))
    await kubectl(['patch', 'applications.argoproj.io', 'mcp-changed', '-n', NS, '--type', 'merge', '-p', JSON.stringify({status: {operationState: {message: 'changed by the controller \u001b[2J'}}})])
    const changed = await getApp('mcp-changed')
    const refused = await client.callTool({name: 'apply_plan', arguments: {plan_id: plan.plan_id}})
    expect(refused.isError).to.equal(true)
    const body = json(refused)
    expect(body).to.include({status: 'conflict', exitCode: 8})
    expect(body.now.resourceVersion).to.equal(changed.metadata.resourceVersion)
    expect((await getApp('mcp-changed')).metadata.resourceVersion).to.equal(changed.metadata.resourceVersion)
  })
})
