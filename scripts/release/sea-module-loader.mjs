// Replaces @oclif/core's lib/module-loader.js in the single executable's bundle (scripts/release.mjs):
// oclif imports commands by file path; here every command module is already in the bundle, listed
// by its path relative to the CLI's root (sea-app.mjs explains the embedded root).
import {isAbsolute, join, relative, resolve, sep} from 'node:path'
import {EMBEDDED_MODULES, EMBEDDED_ROOT} from 'sea:embedded'

function find(filePath) {
  const key = relative(EMBEDDED_ROOT, filePath).split(sep).join('/')
  for (const candidate of [key, `${key}.js`, `${key}/index.js`]) {
    if (EMBEDDED_MODULES[candidate]) return {filePath: join(EMBEDDED_ROOT, candidate), isESM: true, module: EMBEDDED_MODULES[candidate]()}
  }

  const error = new Error(`${filePath} is not in this executable`)
  error.code = 'MODULE_NOT_FOUND'
  throw error
}

export async function loadWithData(config, modulePath) {
  const found = find(isAbsolute(modulePath) ? modulePath : resolve(config.root, modulePath))
  return {...found, module: await found.module}
}

export const isPathModule = (filePath) => /\.m?[jt]sx?$/.test(filePath)
export const load = async (config, modulePath) => (await loadWithData(config, modulePath)).module
export const loadWithDataFromManifest = (cached, root) => loadWithData({root}, join(...cached.relativePath))
