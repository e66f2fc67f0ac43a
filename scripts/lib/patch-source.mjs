// For the esbuild plugins that change a dependency's file at build time (client-node-esbuild.mjs,
// oclif-esbuild.mjs): the file with exact pieces of text replaced, each of which must be there
// exactly once, or the build fails naming the plugin to check (the library changed under it).
import {readFile} from 'node:fs/promises'

/** `path`'s text with each [from, to] of `replacements` applied (a [text, text] pair only checks that text is there once). */
export async function patchedSource(path, replacements, plugin) {
  let source = await readFile(path, 'utf8')
  for (const [from, to] of replacements) {
    if (source.split(from).length !== 2) throw new Error(`${path}: "${from}" is not there once (the library changed: check ${plugin})`)
    source = source.replace(from, () => to)
  }

  return source
}
