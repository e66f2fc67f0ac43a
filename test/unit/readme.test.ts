import {readFileSync} from 'node:fs'
import {expect} from 'chai'
import {exitCodeTable} from '../../src/lib/exit-codes.js'

/** The README's generated parts must match their source of truth (regenerate with `npm run docs`). */
describe('README', () => {
  it('the exit-code table is the one src/lib/exit-codes.ts renders', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const block = /<!-- exit-codes:[^\n]*-->\n([\s\S]*?)\n<!-- \/exit-codes -->/.exec(readme)
    expect(block, 'README.md lost its <!-- exit-codes --> block').to.not.equal(null)
    expect(block![1], 'run npm run docs').to.equal(exitCodeTable())
  })
})
