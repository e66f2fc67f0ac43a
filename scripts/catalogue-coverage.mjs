#!/usr/bin/env node
// Print (or with --write, update in README.md between the catalogue markers) the message
// catalogue's coverage per family. Run: node --import tsx scripts/catalogue-coverage.mjs --write
import {readFileSync, writeFileSync} from 'node:fs'
import {coverageTable} from '../src/lib/diagnose/catalogue/index.ts'

const table = coverageTable()
if (!process.argv.includes('--write')) {
  console.log(table)
} else {
  const path = new URL('../README.md', import.meta.url)
  const readme = readFileSync(path, 'utf8')
  const begin = '<!-- catalogue-coverage:begin -->'
  const end = '<!-- catalogue-coverage:end -->'
  const i = readme.indexOf(begin)
  const j = readme.indexOf(end)
  if (i < 0 || j < i) throw new Error(`README.md has no ${begin} … ${end} block`)
  writeFileSync(path, `${readme.slice(0, i + begin.length)}\n${table}\n${readme.slice(j)}`)
}
