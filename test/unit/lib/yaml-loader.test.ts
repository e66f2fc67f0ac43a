import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'
import {parseObjects, plainYaml} from '../../../src/lib/source.js'

const full = (text: string) => parseAllDocuments(text, {uniqueKeys: false}).map((d) => d.toJS({maxAliasCount: 100}))
const files = [
  ...readdirSync('examples').filter((f) => f.endsWith('.yaml')).map((f) => join('examples', f)),
  join('test', 'support', 'fixtures', 'stuck-app.yaml'),
]

describe('-f YAML: the fast loader for plain documents gives what the full parser gives', () => {
  for (const file of files) {
    it(`${file}: fast path taken, same values`, async () => {
      const text = readFileSync(file, 'utf8')
      const fast = await plainYaml(text)
      expect(fast, 'a plain kubectl -o yaml document takes the fast path').to.not.equal(undefined)
      expect(fast).to.deep.equal(full(text))
    })
  }

  it('YAML 1.2 core values: no timestamps, no yes/no booleans, octal/hex ints, quoted strings stay strings', async () => {
    const text = 'a: 2026-01-01T00:00:00Z\nb: yes\nc: on\nd: 0o17\ne: 0x1f\nf: "123"\ng: ~\nh: .inf\ni: 1e3\nj: 010\nk: True\n'
    const fast = await plainYaml(text)
    expect(fast).to.deep.equal(full(text))
    expect((fast![0] as Record<string, unknown>).a).to.equal('2026-01-01T00:00:00Z')
    expect((fast![0] as Record<string, unknown>).b).to.equal('yes')
  })

  it('anchors, aliases and tags go through the full parser (it caps alias expansion)', async () => {
    expect(await plainYaml('a: &x {k: v}\nb: *x\n')).to.equal(undefined)
    expect(await plainYaml('a: !!binary aGk=\n')).to.equal(undefined)
    const bomb = `a: &a ["x","x","x","x","x","x","x","x","x","x"]\n${Array.from({length: 8}, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array.from({length: 10}, () => `*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n')}\n`
    let error: Error | undefined
    try {
      await parseObjects(bomb, 'bomb.yaml')
    } catch (error_) {
      error = error_ as Error
    }

    expect(error?.message, 'refused, not expanded').to.match(/bomb\.yaml|alias/i)
  })

  it('a duplicate key or a syntax error still gets the full parser\'s exact message', async () => {
    expect(await plainYaml('a: 1\na: 2\n')).to.equal(undefined)
    let dup: Error | undefined
    await parseObjects('apiVersion: argoproj.io/v1alpha1\nkind: Application\nkind: Application\n', 'dup.yaml').catch((error) => {
      dup = error
    })
    expect(dup?.message).to.equal('dup.yaml is not valid YAML: the key "kind" appears twice in the same map.')
    expect(await plainYaml('a: [1, 2\n')).to.equal(undefined)
  })
})
