/** Entry point shared by argo-doctor, kubectl-argo_doctor and argocd-doctor. */
import {userInfo} from 'node:os'
import {tryDispatch} from './dispatch.js'
import {homeDirectory} from './lib/home.js'
import {invocation} from './lib/invocation.js'

export async function main(binName: string, root: string): Promise<void> {
  if (process.argv[2] === '__complete') {
    // Shell completion (lib/completion.ts): answered without oclif; the scripts call it on every TAB.
    const {printCompletion} = await import('./lib/completion.js')
    await printCompletion(root, process.argv.slice(3))
    process.exit(0)
  }

  // oclif asks os.userInfo() for the login shell when $SHELL is unset, and that throws when the uid
  // has no passwd entry — a container run with an arbitrary runAsUser: nothing would start.
  if (!process.env.SHELL) {
    try {
      userInfo()
    } catch {
      process.env.SHELL = '/bin/sh'
    }
  }

  invocation.bin = binName
  // A command: straight from the table of commands (dispatch.ts). Help, `help`, an unknown command: oclif's full path.
  if (!(await tryDispatch(binName, root, process.argv.slice(2)))) {
    // oclif's full path (help, an unknown command) asks for the home directory as its configuration
    // loads, which throws where there is none (HOME unset, no passwd entry): give it one that does
    // not exist, as Debian does for system users. Our commands never get here (dispatch.ts), so they
    // still see no home and say what they lack (no ~/.kube/config, no backup directory).
    if (homeDirectory() === undefined) process.env.HOME = '/nonexistent'
    await runOclif(binName, root)
  }
  // A request that timed out may still hold a socket open (a hung API server); don't let it keep us alive.
  setTimeout(() => process.exit(), 200).unref()
}

/** oclif's full configuration (package.json, plugins, manifest, help), then its own dispatch. */
async function runOclif(binName: string, root: string): Promise<void> {
  const {Config, flush, handle, run} = await import('@oclif/core')
  try {
    const config = await Config.load({root})
    // Help and examples read naturally for the way we were invoked ("kubectl argo-doctor unstick …").
    config.pjson.oclif.bin = binName // run() reloads the config from this object
    config.bin = binName
    const argv = process.argv.slice(2)
    // No arguments: the interactive runbook (it only prints what it would offer without a terminal).
    await run(argv.length === 0 ? ['runbook'] : argv, config)
    await flush()
  } catch (error) {
    await handle(error as Error)
  }
}
