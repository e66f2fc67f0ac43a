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

  it('the Argo CD API backend (dist/lib/argocd/) is loaded only when it is used: not on a kubeconfig, yes for argocd doctor with a login', async () => {
    const argocd = async (bin: string, args: string[], env: Record<string, string | undefined>) => {
      const log = join(tempDir(), 'modules.log')
      writeFileSync(log, '')
      await execa('node', ['--import', pathToFileURL(register).href, join(ROOT, 'bin', bin), ...args], {reject: false, stdin: 'ignore', env: {...process.env, ARGOCD_SERVER: undefined, MODULE_LOG: log, ...env}})
      return readFileSync(log, 'utf8').split('\n').filter((u) => u.includes('/dist/lib/argocd/'))
    }

    expect(await argocd('kubectl-argo_doctor', ['explain', 'x', '--kubeconfig', '/nowhere'], {})).to.deep.equal([])
    expect(await argocd('argocd-doctor', ['explain', 'x', '--kubeconfig', '/nowhere'], {})).to.deep.equal([])
    const used = await argocd('argocd-doctor', ['explain', 'x'], {ARGOCD_SERVER: '127.0.0.1:1', ARGOCD_AUTH_TOKEN: 'token', ARGOCD_CONFIG_DIR: tempDir()})
    expect(used.some((u) => u.endsWith('/dist/lib/argocd/source.js'))).to.equal(true)
  })
})
