// esbuild plugins for every bundle that holds @oclif/core's Command (scripts/bundle.mjs for the npm
// package, scripts/release.mjs for the single executable).
//
// @oclif/core's command.js requires its configuration module (config/: Config, plugin loading, the
// module loader, ejs templates; ~8 ms to initialise) at load, but uses it only in the static
// Command.run(), which loads a Config when none is given. Our commands are run by src/dispatch.ts
// with a Config it builds itself (new Command(argv, config)._run()), and oclif's full path (help,
// unknown commands) loads @oclif/core's index, which requires config/ itself. So in command.js that
// require becomes a getter: config/ is initialised when Command.run() asks for Config, not before.
import {patchedSource} from './patch-source.mjs'

const EAGER = 'const config_1 = require("./config");'
const LAZY = 'const config_1 = { get Config() { return require("./config").Config; } };'

export const oclifCommandLazyConfig = {
  name: 'oclif-command-lazy-config',
  setup(build) {
    build.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]command\.js$/}, async ({path}) => {
      const source = await patchedSource(path, [[EAGER, LAZY]], 'scripts/lib/oclif-esbuild.mjs')
      const uses = source.match(/config_1\.\w+/g) ?? []
      if (uses.some((use) => use !== 'config_1.Config')) throw new Error(`${path}: uses ${[...new Set(uses)].join(', ')} of its config module, not only Config (check scripts/lib/oclif-esbuild.mjs)`)
      return {contents: source, loader: 'js'}
    })
  },
}

// clean-stack (oclif's errors use it to print a stack) calls os.homedir() when it is loaded, and that
// throws where HOME is unset and the user has no passwd entry (a container run with an arbitrary
// uid): every command then died at start-up with a system error and a line of the bundle. Here the
// home directory is looked up when a stack is printed, and a missing one only leaves paths as they are.
const HOME_AT_LOAD = "const homeDir = typeof os.homedir === 'undefined' ? '' : os.homedir();"
const HOME_WHEN_USED = "const homeDir = () => { try { return typeof os.homedir === 'undefined' ? '' : os.homedir(); } catch { return ''; } };"
const HOME_USE = "p1.replace(homeDir, '~')"
const HOME_USE_LATE = "(homeDir() ? p1.replace(homeDir(), '~') : p1)"

export const cleanStackWithoutHome = {
  name: 'clean-stack-without-home',
  setup(build) {
    build.onLoad({filter: /[\\/]clean-stack[\\/]index\.js$/}, async ({path}) => ({loader: 'js',
      contents: await patchedSource(path, [[HOME_AT_LOAD, HOME_WHEN_USED], [HOME_USE, HOME_USE_LATE]], 'scripts/lib/oclif-esbuild.mjs')}))
  },
}
