/**
 * The parts of @oclif/core our commands use, from its subpath modules. Not from '@oclif/core'
 * itself: its index loads every part of oclif (configuration, plugins, help, globbing) and checks
 * the Node version with semver on every run, which a command does not need (npm checks `engines`
 * at install). The full configuration is loaded only where it is used: src/main.ts.
 */
export {Command} from '@oclif/core/command'
export * as Args from '@oclif/core/args'
export * as Flags from '@oclif/core/flags'
export type {Interfaces} from '@oclif/core'
