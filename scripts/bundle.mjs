#!/usr/bin/env node
// Build step: replace dist/lib/cluster/client-node.js (a re-export of @kubernetes/client-node) with
// one ESM file holding the library and all its dependencies. See src/lib/cluster/client-node.ts.
import {build} from 'esbuild'
import {statSync} from 'node:fs'
import {join} from 'node:path'

const root = join(import.meta.dirname, '..')
const outfile = join(root, 'dist', 'lib', 'cluster', 'client-node.js')
const t0 = Date.now()
const result = await build({
  stdin: {contents: "export * from '@kubernetes/client-node'\n", resolveDir: root, sourcefile: 'client-node.ts', loader: 'js'},
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile,
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
  // CommonJS dependencies (node-fetch, ws, js-yaml…) call require() for Node built-ins.
  banner: {js: "import {createRequire as __argoDoctorCreateRequire} from 'node:module';const require=__argoDoctorCreateRequire(import.meta.url);"},
})
const inputs = Object.keys(result.metafile.inputs).length
console.error(`bundle: ${outfile.slice(root.length + 1)} ${(statSync(outfile).size / 1024 / 1024).toFixed(1)} MB from ${inputs} modules in ${Date.now() - t0} ms`)
