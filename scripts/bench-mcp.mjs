#!/usr/bin/env node
/**
 * npm run bench:mcp — numbers, not a test: how long `argo-doctor mcp` takes to be ready for an
 * MCP client (spawn → initialize answered → tools listed), and how long one `explain` tool call
 * takes (one app with its related objects, and the namespace's fleet), through the SDK's own
 * client over stdio, against the test API server with --apps Applications.
 *
 * Runs under tsx for the test API server: node --import tsx scripts/bench-mcp.mjs [--runs 10] [--apps 200]
 */
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js'

const ROOT = join(fileURLToPath(import.meta.url), '..', '..')
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

const runs = arg('runs', 10)
const apps = arg('apps', 200)
const {startFakeApiServer} = await import(join(ROOT, 'test', 'support', 'fake-apiserver.ts'))
const {selfWaitApp, healthyApp} = await import(join(ROOT, 'test', 'fixtures', 'apps.ts'))
const server = await startFakeApiServer()
const dir = mkdtempSync(join(tmpdir(), 'bench-mcp-'))
const kubeconfig = server.writeKubeconfig(dir)
server.put(selfWaitApp())
for (let i = 1; i < apps; i++) {
  const app = healthyApp()
  app.metadata.name = `app-${String(i).padStart(5, '0')}`
  server.put(app)
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
const ready = []
const one = []
const fleet = []
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint()
  const client = new Client({name: 'bench', version: '1'})
  await client.connect(new StdioClientTransport({command: process.execPath, args: [join(ROOT, 'bin', 'argo-doctor'), 'mcp', '--kubeconfig', kubeconfig], stderr: 'ignore'}))
  await client.listTools()
  ready.push(ms(t0))
  let t1 = process.hrtime.bigint()
  await client.callTool({name: 'explain', arguments: {app: 'wealist-apps-prod'}})
  one.push(ms(t1))
  t1 = process.hrtime.bigint()
  await client.callTool({name: 'explain', arguments: {}})
  fleet.push(ms(t1))
  await client.close()
}

await server.stop()
const f = (x) => `${x.toFixed(0)} ms`
console.log(`argo-doctor mcp, ${runs} runs, node ${process.version}, test API server with ${apps} Applications (medians):`)
console.log(`  start-up (spawn → initialize → tools/list answered): ${f(median(ready))} (min ${f(Math.min(...ready))}, max ${f(Math.max(...ready))})`)
console.log(`  explain, one app with its related objects:           ${f(median(one))} (min ${f(Math.min(...one))}, max ${f(Math.max(...one))})`)
console.log(`  explain, the namespace's ${apps} apps:                ${f(median(fleet))} (min ${f(Math.min(...fleet))}, max ${f(Math.max(...fleet))})`)
