import {DoctorError} from '../errors.js'
import type {Io} from './io.js'
import {oneLine} from './safe.js'

/** Ask yes/no on stderr. Refuses (never hangs, never reads a piped "y") without a terminal. */
export async function confirmChange(io: Io, question: string): Promise<boolean> {
  if (!io.interactive) {
    throw new DoctorError('NEEDS_CONFIRMATION', 'Refusing to change the cluster without confirmation: there is no interactive terminal to ask on.',
      'Re-run with --yes to apply without asking, or with --dry-run to only preview.')
  }

  const {confirm} = await import('@inquirer/prompts')
  try {
    return await confirm({message: io.render(oneLine(question)), default: false}, {output: io.stderr})
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError') throw new DoctorError('INTERRUPTED', 'Interrupted at the prompt; nothing was changed.')
    throw error
  }
}

/** Pick one of `choices` on stderr. Names and descriptions may quote the cluster: one line each, escaped. */
export async function chooseOne<T>(io: Io, message: string, choices: Array<{name: string; value: T; description?: string}>, defaultValue?: T): Promise<T> {
  const {select} = await import('@inquirer/prompts')
  try {
    const safe = choices.map((c) => ({...c, name: io.render(oneLine(c.name)), description: c.description === undefined ? undefined : io.render(oneLine(c.description))}))
    return await select<T>({message: io.render(oneLine(message)), choices: safe, pageSize: 15, default: defaultValue}, {output: io.stderr})
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError') throw new DoctorError('INTERRUPTED', 'Interrupted at the prompt; nothing was changed.')
    throw error
  }
}
