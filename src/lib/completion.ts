/**
 * Shell completion. `argo-doctor __complete WORD… CURRENT` prints the candidates for CURRENT, one a
 * line, then a cobra-style directive line (`:4` = no file completion, `:0` = the shell may complete
 * file names): the protocol kubectl (≥ 1.26) expects from `kubectl_complete-argo_doctor`, and the one
 * the scripts of `argo-doctor completion bash|zsh|fish` read. Commands and flags come from
 * oclif.manifest.json (no oclif load); Application names from the cluster, with the connection
 * flags already on the line (-n, --context, --kubeconfig, …). Completion never prints errors.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {isAppName} from './names.js'

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  options?: string[]
  hidden?: boolean
}

interface ManifestCommand {
  id: string
  hidden?: boolean
  args: Record<string, unknown>
  flags: Record<string, ManifestFlag>
}

const NO_FILES = 4
const FILES = 0
const FILE_FLAGS = new Set(['kubeconfig', 'filename', 'certificate-authority', 'save-plan'])
/** oclif's help command, which the manifest of our commands does not list. */
const EXTRA_COMMANDS = ['help']

export interface Completion {
  candidates: string[]
  directive: number
}

function manifest(root: string): Record<string, ManifestCommand> {
  return (JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}).commands
}

/** What the words before CURRENT say: the command, the flags given, and how many positionals. */
function scan(words: string[], commands: Record<string, ManifestCommand>) {
  let command: ManifestCommand | undefined
  let commandId: string | undefined
  const flags: Record<string, string | true> = {}
  let positionals = 0
  let pending: ManifestFlag | undefined
  for (const word of words) {
    if (pending) {
      flags[pending.name] = word
      pending = undefined
      continue
    }

    const flag = word.startsWith('-') && word !== '-' ? findFlag(word, command) : undefined
    if (flag) {
      const inline = /^[^=]+=(.*)$/.exec(word)?.[1] ?? (/^-[a-zA-Z](.+)$/.test(word) && flag.type === 'option' ? word.slice(2) : undefined)
      if (flag.type === 'option' && inline === undefined) pending = flag
      else flags[flag.name] = inline ?? true
    } else if (!word.startsWith('-')) {
      if (!commandId) {
        commandId = word
        command = commands[word]
      } else positionals++
    }
  }

  return {command, commandId, flags, positionals, pending}
}

function findFlag(word: string, command: ManifestCommand | undefined): ManifestFlag | undefined {
  if (!command) return undefined
  const name = word.replace(/=.*$/, '')
  const all = Object.values(command.flags)
  if (name.startsWith('--')) return all.find((f) => f.name === name.slice(2))
  return all.find((f) => f.char === name.slice(1, 2))
}

export async function complete(root: string, args: string[]): Promise<Completion> {
  const current = args.at(-1) ?? ''
  const words = args.slice(0, -1)
  const commands = manifest(root)
  const {command, commandId, flags, positionals, pending} = scan(words, commands)
  const starting = (xs: string[]) => ({candidates: xs.filter((x) => x.startsWith(current)), directive: NO_FILES})

  if (pending) {
    if (pending.options) return starting(pending.options)
    if (FILE_FLAGS.has(pending.name)) return {candidates: [], directive: FILES}
    if (pending.name === 'context') return starting(await contexts(flags))
    return {candidates: [], directive: NO_FILES}
  }

  if (!commandId) {
    if (current.startsWith('-')) return starting(['--help', '--version'])
    return starting([...new Set([...Object.values(commands).filter((c) => !c.hidden).map((c) => c.id), ...EXTRA_COMMANDS])].sort())
  }

  if (commandId === 'completion') return starting(positionals === 0 && !current.startsWith('-') ? ['bash', 'fish', 'zsh'] : [])
  if (commandId === 'help') return starting(positionals === 0 ? Object.values(commands).filter((c) => !c.hidden && c.id !== 'completion').map((c) => c.id).sort() : [])
  if (!command) return {candidates: [], directive: NO_FILES}
  if (current.startsWith('-')) {
    const names = Object.values(command.flags).filter((f) => !f.hidden).flatMap((f) => f.type === 'boolean' && f.name !== 'json' && (f as {allowNo?: boolean}).allowNo ? [`--${f.name}`, `--no-${f.name}`] : [`--${f.name}`])
    return starting([...names, '--help'].sort())
  }

  if ('app' in command.args && positionals === 0 && !flags.filename) return starting(await applicationNames(flags))
  // apply FILE: a saved plan.
  if ('file' in command.args && positionals === 0) return {candidates: [], directive: FILES}
  return {candidates: [], directive: NO_FILES}
}

const str = (v: string | true | undefined) => (typeof v === 'string' ? v : undefined)

async function contexts(flags: Record<string, string | true>): Promise<string[]> {
  try {
    const {loadKubeConfig} = await import('./cluster/kube.js')
    return loadKubeConfig({kubeconfig: str(flags.kubeconfig)}).getContexts().map((c) => c.name)
  } catch {
    return []
  }
}

/** Application names in -n (or $ARGOCD_NAMESPACE, else argocd) or, with -A, everywhere. */
async function applicationNames(flags: Record<string, string | true>): Promise<string[]> {
  try {
    const {connect} = await import('./cluster/kube.js')
    const cluster = connect({
      kubeconfig: str(flags.kubeconfig), context: str(flags.context), requestTimeout: 5,
      cluster: str(flags.cluster), user: str(flags.user), server: str(flags.server), token: str(flags.token),
      certificateAuthority: str(flags['certificate-authority']), insecureSkipTlsVerify: flags['insecure-skip-tls-verify'] === true,
      as: str(flags.as), asGroups: typeof flags['as-group'] === 'string' ? [flags['as-group']] : undefined,
    })
    const namespace = str(flags.namespace) ?? process.env.ARGOCD_NAMESPACE ?? 'argocd'
    const page = await cluster.listApps({namespace: flags['all-namespaces'] ? undefined : namespace, limit: 500})
    // Only names the API server could have accepted: a hostile server's `$(…)` never reaches a shell.
    return page.items.map((a) => a.metadata.name).filter((name) => isAppName(name)).sort()
  } catch {
    return []
  }
}

export async function printCompletion(root: string, args: string[]): Promise<void> {
  const {candidates, directive} = await complete(root, args)
  // Names come from the cluster: never let a control byte reach the terminal.
  const safe = candidates.filter((c) => /^[\x21-\x7e]+$/.test(c))
  process.stdout.write([...safe, `:${directive}`].join('\n') + '\n')
}

/** `argo-doctor completion SHELL`: a script that asks `BIN __complete …` for every completion. */
export function completionScript(shell: 'bash' | 'zsh' | 'fish', bin: string): string {
  const fn = `_${bin.replaceAll(/[^a-zA-Z0-9]/g, '_')}`
  switch (shell) {
    case 'bash': {
      return `# bash completion for ${bin}. Load it: source <(${bin} completion bash)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" out directive
  out="$(${bin} __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null)" || return 0
  directive="\${out##*:}"
  out="\${out%:*}"
  # Each line is a literal candidate: never compgen -W, which expands $(…) and \`…\` in its word list.
  local c q
  COMPREPLY=()
  while IFS= read -r c; do
    [[ -n "$c" && "$c" == "$cur"* ]] || continue
    printf -v q '%q' "$c"
    COMPREPLY+=("$q")
  done <<<"$out"
  if [[ \${#COMPREPLY[@]} -eq 0 && "$directive" == 0 ]]; then mapfile -t COMPREPLY < <(compgen -f -- "$cur"); fi
}
complete -F ${fn} ${bin}
`
    }

    case 'zsh': {
      return `#compdef ${bin}
# zsh completion for ${bin}. Load it: source <(${bin} completion zsh)
${fn}() {
  local -a out
  out=("\${(@f)$(${bin} __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null)}")
  local directive="\${out[-1]#:}"
  out=("\${(@)out[1,-2]}")
  if (( \${#out} )); then compadd -- "\${out[@]}"; elif [[ "$directive" == 0 ]]; then _files; fi
}
compdef ${fn} ${bin}
`
    }

    case 'fish': {
      return `# fish completion for ${bin}. Load it: ${bin} completion fish | source
function __${fn}_complete
  set -l tokens (commandline -opc) (commandline -ct)
  ${bin} __complete $tokens[2..-1] 2>/dev/null | string match -v -r '^:'
end
complete -c ${bin} -f -a '(__${fn}_complete)'
`
    }
  }
}
