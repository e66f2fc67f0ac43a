#!/usr/bin/env node
// Regenerate the README's generated parts from their source of truth (run after `npm run build`).
// Today: the exit-code table, from src/lib/exit-codes.ts. `--check` fails instead of writing.
import {readFileSync, writeFileSync} from 'node:fs'
import {exitCodeTable} from '../dist/lib/exit-codes.js'

const README = new URL('../README.md', import.meta.url)
const START = /(<!-- exit-codes:[^\n]*-->\n)[\s\S]*?(\n<!-- \/exit-codes -->)/
const text = readFileSync(README, 'utf8')
if (!START.test(text)) throw new Error('README.md has no <!-- exit-codes: … --> block')
const next = text.replace(START, (_, open, close) => `${open}${exitCodeTable()}${close}`)
if (process.argv.includes('--check')) {
  if (next !== text) {
    console.error('README.md exit-code table is out of date: run npm run docs')
    process.exit(1)
  }
} else if (next !== text) {
  writeFileSync(README, next)
  console.log('README.md: exit-code table updated')
}
