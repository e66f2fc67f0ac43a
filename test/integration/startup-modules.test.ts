import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {expect} from 'chai'
import {execa} from 'execa'
import {BIN, ROOT, tempDir} from '../support/cli.js'

/**
 * Start-up stays lean: the MCP SDK (and the zod it validates with) is loaded by `mcp` alone, never
 * by --help or by the other commands. Every ES module a run resolves is logged by a resolve hook.
 */
describe('start-up: modules each command loads', function () {
  this.timeout(30_000)
  const dir = tempDir()
  const hooks = join(dir, 'hooks.mjs')
  writeFileSync(hooks, "import {appendFileSync} from 'node:fs'\nexport async function resolve(specifier, context, next) {\n  const r = await next(specifier, context)\n  appendFileSync(process.env.MODULE_LOG, r.url + '\\n')\n  return r\n}\n")
  const register = join(dir, 'register.mjs')
  writeFileSync(register, `import {register} from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`)

  async function modules(args: string[]): Promise<string[]> {
    const log = join(tempDir(), 'modules.log')
    writeFileSync(log, '')
    await execa('node', ['--import', pathToFileURL(register).href, BIN, ...args], {reject: false, stdin: 'ignore', env: {...process.env, MODULE_LOG: log, NO_COLOR: '1', ARGO_DOCTOR_BACKUP_DIR: tempDir()}})
    return readFileSync(log, 'utf8').split('\n').filter(Boolean)
  }

  const sdk = (urls: string[]) => urls.filter((u) => /node_modules\/(@modelcontextprotocol|zod)\//.test(u))
  const example = join(ROOT, 'examples', 'wealist-apps-prod-stuck.yaml')

  for (const args of [['--help'], ['explain', '--help'], ['explain', '-f', example], ['unstick', '-f', example], ['apply', '--help']]) {
    it(`${args.join(' ')} does not load the MCP SDK`, async () => {
      const urls = await modules(args)
      expect(urls.length, 'the hook saw the run').to.be.greaterThan(0)
      expect(sdk(urls)).to.deep.equal([])
    })
  }

  it('mcp loads it (the check above can fail)', async () => {
    const urls = await modules(['mcp', '--server', 'http://127.0.0.1:1'])
    expect(sdk(urls).some((u) => u.includes('@modelcontextprotocol/sdk/dist/esm/server/mcp.js'))).to.equal(true)
  })
})
