// esbuild plugin for every bundle that holds @oclif/core's Command (scripts/bundle.mjs for the npm
// package, scripts/release.mjs for the single executable).
//
// @oclif/core's command.js requires its configuration module (config/: Config, plugin loading, the
// module loader, ejs templates; ~8 ms to initialise) at load, but uses it only in the static
// Command.run(), which loads a Config when none is given. Our commands are run by src/dispatch.ts
// with a Config it builds itself (new Command(argv, config)._run()), and oclif's full path (help,
// unknown commands) loads @oclif/core's index, which requires config/ itself. So in command.js that
// require becomes a getter: config/ is initialised when Command.run() asks for Config, not before.
import {readFile} from 'node:fs/promises'

const EAGER = 'const config_1 = require("./config");'
const LAZY = 'const config_1 = { get Config() { return require("./config").Config; } };'

export const oclifCommandLazyConfig = {
  name: 'oclif-command-lazy-config',
  setup(build) {
    build.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]command\.js$/}, async ({path}) => {
      const source = await readFile(path, 'utf8')
      if (!source.includes(EAGER)) throw new Error(`${path}: no "${EAGER}" (@oclif/core changed: check scripts/lib/oclif-esbuild.mjs)`)
      const uses = source.match(/config_1\.\w+/g) ?? []
      if (uses.some((use) => use !== 'config_1.Config')) throw new Error(`${path}: uses ${[...new Set(uses)].join(', ')} of its config module, not only Config (check scripts/lib/oclif-esbuild.mjs)`)
      return {contents: source.replace(EAGER, LAZY), loader: 'js'}
    })
  },
}
