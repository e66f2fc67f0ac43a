#!/usr/bin/env node
// Build step: render `--help` of every command for each way argo-doctor is invoked, so the
// start-up fast path (src/fast-path.ts) can print it without loading oclif.
import {execFile} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..')
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'))
const ids = ['index', ...Object.keys(manifest.commands).filter((id) => !manifest.commands[id].hidden)]
const variants = {'argo-doctor': 'argo-doctor', 'kubectl-argo_doctor': 'kubectl-argo-doctor', 'argocd-doctor': 'argocd-doctor'} // bin file → variantOf(name)
const env = {...process.env, ARGO_DOCTOR_NO_FAST_PATH: '1', NO_COLOR: '1', COLUMNS: '80'}

await Promise.all(Object.entries(variants).map(async ([file, variant]) => {
  const dir = join(root, 'dist', 'help', variant)
  mkdirSync(dir, {recursive: true})
  for (const id of ids) {
    const args = id === 'index' ? ['--help'] : [id, '--help']
    const {stdout} = await run(process.execPath, [join(root, 'bin', file), ...args], {env})
    writeFileSync(join(dir, `${id}.txt`), stdout)
  }
}))
console.error(`render-help: ${ids.length} topics × ${Object.keys(variants).length} entry points`)
