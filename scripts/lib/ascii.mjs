// Build step shared by scripts/bundle.mjs (the npm package's bundles) and scripts/release.mjs (the
// single executable's app.cjs).
import * as acorn from 'acorn'
import {readFileSync, writeFileSync} from 'node:fs'

/**
 * Make a bundle ASCII, so that V8 holds its source as one byte per character: one non-ASCII
 * character makes the whole source a two-byte string (main.cjs: 3.9 MB instead of 2 MB, held for
 * the life of every run, and copied twice while it loads; the single executable's app.cjs can then
 * also be decoded as Latin-1, a copy, instead of as UTF-8). esbuild already writes strings and
 * templates in ASCII; what it leaves is regular expression literals (ours and our libraries') and
 * comments. In those a character becomes its \uXXXX escape, which a pattern reads as the same
 * character (a surrogate pair as one code point under the u flag); anything else fails the build.
 */
export function asciiOnly(file) {
  const code = readFileSync(file, 'utf8')
  // eslint-disable-next-line no-control-regex
  const NON_ASCII = /[^\u0000-\u007f]/g
  if (!code.match(NON_ASCII)) return
  const spans = []
  acorn.parse(code, {ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, allowReturnOutsideFunction: true,
    onToken: (t) => t.type.label === 'regexp' && spans.push([t.start, t.end]),
    onComment: (_block, _text, start, end) => spans.push([start, end])})
  const escaped = code.replace(NON_ASCII, (c, at) => {
    const span = spans.find(([start, end]) => at >= start && at < end)
    if (!span) throw new Error(`${file} has a non-ASCII character outside a regular expression or comment at ${at}: ${JSON.stringify(code.slice(at - 40, at + 20))}`)
    if (code[at - 1] === '\\') throw new Error(`${file} escapes a non-ASCII character at ${at}: ${JSON.stringify(code.slice(at - 40, at + 20))}`)
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
  writeFileSync(file, escaped)
}
