import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {expect} from 'chai'
import {excludeSelfOps} from '../../../src/lib/recipes/unstick.js'
import {ROOT, tempDir} from '../../support/cli.js'
import {selfWaitApp} from '../../fixtures/apps.js'

/**
 * --exclude-self writes a spec.source.directory.exclude that Argo CD's repo server matches with
 * github.com/gobwas/glob (util/glob.Match, no separators). These cases are judged by that library
 * itself, built from test/support/gobwas-glob with the machine's Go — not by a port of it.
 */
const GO = ['/usr/local/go/bin/go', 'go'].find((g) => g === 'go' || existsSync(g))!
let matcher: string

function matches(pattern: string, paths: string[]): boolean[] {
  const out = execFileSync(matcher, [pattern, ...paths], {encoding: 'utf8'})
  return out.trim().split('\n').map((l) => l === 'match')
}

function merged(current: string | undefined, file: string): string {
  const app = selfWaitApp()
  app.spec.source = {repoURL: 'https://example.com/r.git', path: 'apps', ...(current === undefined ? {} : {directory: {exclude: current}})}
  const ops = excludeSelfOps(app, file)
  if (ops.length === 0) return current!
  const last = ops.at(-1)!
  const value = 'value' in last ? last.value : undefined
  return typeof value === 'string' ? value : (value as {exclude: string}).exclude
}

const PATHS = ['root-app.yaml', 'dev/a.yaml', 'prod/b.yml', 'dev/c.json', 'other.yaml', 'README.md', 'a.yaml', 'x/root-app.yaml', 'root-app.yml']

describe('--exclude-self under Argo CD\'s glob (github.com/gobwas/glob v1.0.0, the real library)', function () {
  this.timeout(180_000)
  before(() => {
    matcher = join(tempDir(), 'gobwas-glob')
    execFileSync(GO, ['build', '-o', matcher, '.'], {cwd: join(ROOT, 'test', 'support', 'gobwas-glob'), env: {...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod'}, stdio: ['ignore', 'ignore', 'inherit']})
  })

  for (const [current, file] of [
    ['{dev,prod}/*.{yaml,yml}', 'root-app.yaml'],
    ['*.{json,md}', 'root-app.yaml'],
    ['{a.yaml,b.yaml}', 'root-app.yaml'],
    ['{dev,prod}/*', 'root-app.yaml'],
    ['README.md', 'root-app.yaml'],
    ['{a,b}/{c,d}', 'root-app.yaml'],
    [undefined, 'root-app.yaml'],
    ['{dev,prod}/*.{yaml,yml}', '*/root-app.yaml'],
  ] as Array<[string | undefined, string]>) {
    it(`exclude ${current ?? '(none)'} + ${file}: excludes the file, and still exactly what it excluded before`, () => {
      const next = merged(current, file)
      const after = matches(next, PATHS)
      const before = current === undefined ? PATHS.map(() => false) : matches(current, PATHS)
      const self = matches(file, PATHS)
      expect(PATHS.filter((_, i) => after[i]), `${next}`).to.deep.equal(PATHS.filter((_, i) => before[i] || self[i]))
    })
  }

  it('already excluded (the glob matches the file alone): no change', () => {
    expect(merged('{a.yaml,root-app.yaml}', 'root-app.yaml')).to.equal('{a.yaml,root-app.yaml}')
    expect(merged('root-app.yaml', 'root-app.yaml')).to.equal('root-app.yaml')
  })
})
