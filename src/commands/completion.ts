import {Args, Command} from '../lib/oclif.js'
import {completionScript} from '../lib/completion.js'

export default class Completion extends Command {
  static summary = 'Print a shell completion script (bash, zsh or fish).'
  static description = `Completes command names, flags and Application names (read from the cluster with the connection flags already typed: -n, --context, --kubeconfig…).

bash:  source <(argo-doctor completion bash)        (or save it in /etc/bash_completion.d/)
zsh:   source <(argo-doctor completion zsh)         (or save it as _argo-doctor in your $fpath)
fish:  argo-doctor completion fish > ~/.config/fish/completions/argo-doctor.fish

kubectl (1.26 or newer) completes \`kubectl argo-doctor <TAB>\` by itself once kubectl_complete-argo_doctor is on PATH: the npm package installs it; with the single binary, link it under that name (ln -s argo-doctor kubectl_complete-argo_doctor).`

  static examples = ['<%= config.bin %> completion bash > /etc/bash_completion.d/argo-doctor', 'source <(<%= config.bin %> completion zsh)']
  static args = {shell: Args.string({description: 'bash, zsh or fish', options: ['bash', 'zsh', 'fish'], required: true})}

  async run(): Promise<void> {
    const {args} = await this.parse(Completion)
    // The scripts complete the standalone command: kubectl has its own way in (kubectl_complete-argo_doctor).
    process.stdout.write(completionScript(args.shell as 'bash' | 'zsh' | 'fish', 'argo-doctor'))
  }
}
