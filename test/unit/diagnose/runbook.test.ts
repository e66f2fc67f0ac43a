import {PassThrough} from 'node:stream'
import {expect} from 'chai'
import {explainFleet, explainSingle} from '../../../src/lib/explain.js'
import {Io} from '../../../src/lib/render/io.js'
import {describeRunbook, runInteractive, type Choice} from '../../../src/lib/runbook.js'
import {EVIL, unsafeChars} from '../../fixtures/hostile.js'
import {EXAMPLE_NOW, examplesIn, issueApp} from '../../fixtures/examples.js'
import type {Application} from '../../../src/lib/app.js'

function captureIo(): {io: Io; text: () => string} {
  const out = new PassThrough()
  const err = new PassThrough()
  let buf = ''
  out.on('data', (d) => (buf += d.toString()))
  err.on('data', () => {})
  return {io: new Io(false, false, out as unknown as NodeJS.WriteStream, err as unknown as NodeJS.WriteStream), text: () => buf}
}

const style = {bin: 'kubectl argo-doctor'}

describe('runbook', () => {
  it('runs the argv a fix command was quoted from, never the printed line parsed back: hostile names stay one word', async () => {
    const {io, text} = captureIo()
    const evil = `bill'ing$(touch /tmp/x) ${EVIL}`
    const app = issueApp('billing')
    app.metadata.name = evil
    app.metadata.namespace = "arg o'cd"
    const hostileStyle = {bin: 'kubectl argo-doctor', kubeconfig: '/tmp/a b', context: 'prod'}
    const seen: string[] = []
    const answers: Array<(choices: Array<Choice<any>>) => any> = [
      (choices) => choices[0].value,
      (choices) => choices[0].value, // the unstick fix
      (choices) => choices.find((c) => c.name === 'Quit')!.value,
    ]
    const ran: string[][] = []
    await runInteractive({
      io,
      style: hostileStyle,
      listFleet: () => explainFleet([app], EXAMPLE_NOW, hostileStyle),
      explainOne: async () => explainSingle(app, EXAMPLE_NOW, hostileStyle),
      choose: async (message, choices) => {
        seen.push(message, ...choices.flatMap((c) => [String(c.name), c.description ?? '']))
        return answers.shift()!(choices)
      },
      async runFix(argv) {
        ran.push(argv)
        return 0
      },
    })
    expect(ran).to.deep.equal([['unstick', evil, '-n', "arg o'cd", '--kubeconfig', '/tmp/a b', '--context', 'prod']])
    // What the user sees (output and every choice) has no control character; the printed command is quoted.
    expect(unsafeChars(text() + seen.join('\n'))).to.deep.equal([])
    expect(text()).to.include(`$ kubectl argo-doctor unstick 'bill'\\''ing$(touch /tmp/x) `)
  })

  it('without a terminal lists what it would offer and changes nothing', async () => {
    const {io} = captureIo()
    const report = await explainFleet(examplesIn('argocd-issues.yaml'), EXAMPLE_NOW, style)
    const text = describeRunbook(io, report, style)
    expect(text).to.match(/^Runbook: no interactive terminal, so nothing is run/)
    expect(text).to.include('critical hook-never-completes: $ kubectl argo-doctor unstick payments -n argocd')
    expect(text).to.include('warning  sync-window-blocked: no command; manual steps in: kubectl argo-doctor explain staging-gitops -n argocd')
  })

  it('offers approve-prune for a sync waiting on Prune=confirm and unblock-delete for a stuck deletion', async () => {
    const {io} = captureIo()
    const report = await explainFleet(examplesIn('argocd-issues.yaml'), EXAMPLE_NOW, style)
    const text = describeRunbook(io, report, style)
    expect(text).to.include('warning  prune-awaiting-confirmation: $ kubectl argo-doctor approve-prune legacy-crons -n argocd')
    expect(text).to.include('critical deletion-stuck-finalizer: $ kubectl argo-doctor unblock-delete zookeeper-operator -n argocd')
  })

  it('interactive: the chosen approve-prune fix runs as that command', async () => {
    const {io} = captureIo()
    let app: Application = issueApp('legacy-crons')
    const answers: Array<(choices: Array<Choice<any>>) => any> = [
      (choices) => choices.find((c) => String(c.name).startsWith('argocd/legacy-crons'))!.value,
      (choices) => choices[0].value,
      (choices) => choices.find((c) => c.name === 'Quit')!.value,
    ]
    const ran: string[][] = []
    await runInteractive({
      io,
      style,
      listFleet: () => explainFleet([app], EXAMPLE_NOW, style),
      explainOne: async () => explainSingle(app, EXAMPLE_NOW, style),
      choose: async (_message, choices) => answers.shift()!(choices),
      async runFix(argv) {
        ran.push(argv)
        app = structuredClone(app)
        app.metadata.annotations = {'argocd.argoproj.io/deletion-approved': EXAMPLE_NOW.toISOString().replace(/\.\d+Z$/, 'Z')}
        return 0
      },
    })
    expect(ran).to.deep.equal([['approve-prune', 'legacy-crons', '-n', 'argocd']])
  })

  it('interactive: pick an app, run its fix through the command, explain again, quit', async () => {
    const {io, text} = captureIo()
    let app: Application = issueApp('billing')
    const answers: Array<(choices: Array<Choice<any>>) => any> = [
      (choices) => choices.find((c) => String(c.name).startsWith('argocd/billing'))!.value,
      (choices) => choices[0].value, // the unstick fix
      (choices) => choices.find((c) => c.name === 'Quit')!.value,
    ]
    const ran: string[][] = []
    const code = await runInteractive({
      io,
      style,
      listFleet: () => explainFleet([app], EXAMPLE_NOW, style),
      explainOne: async () => explainSingle(app, EXAMPLE_NOW, style),
      choose: async (_message, choices) => answers.shift()!(choices),
      async runFix(argv) {
        ran.push(argv)
        app = structuredClone(app)
        delete app.status!.operationState
        return 0
      },
    })
    expect(ran).to.deep.equal([['unstick', 'billing', '-n', 'argocd']])
    expect(code).to.equal(0)
    expect(text()).to.include('$ kubectl argo-doctor unstick billing -n argocd')
    expect(text()).to.include('operation-stuck-no-operation fix finished with exit code 0. Explaining billing again')
    expect(text()).to.include('argocd/billing needs nothing more.')
  })

  it('interactive: passes -f on to fixes when offline, and says when nothing needs attention', async () => {
    const {io, text} = captureIo()
    const ran: string[][] = []
    const code = await runInteractive({
      io,
      style,
      fixArgs: ['-f', 'x.yaml'],
      listFleet: () => explainFleet([issueApp('billing')], EXAMPLE_NOW, style),
      explainOne: async () => explainSingle(issueApp('billing'), EXAMPLE_NOW, style),
      choose: (() => {
        const script = [(c: Array<Choice<any>>) => c[0].value, (c: Array<Choice<any>>) => c[0].value, (c: Array<Choice<any>>) => c.at(-1)!.value]
        return async (_m: string, c: Array<Choice<any>>) => script.shift()!(c)
      })(),
      async runFix(argv) {
        ran.push(argv)
        return 13
      },
    })
    expect(ran[0].slice(-2)).to.deep.equal(['-f', 'x.yaml'])
    expect(code).to.equal(0)
    expect(text()).to.include('fix finished with exit code 13')

    const healthy = captureIo()
    const none = await runInteractive({io: healthy.io, style, listFleet: () => explainFleet([examplesIn('wealist-prod.yaml')[2]], EXAMPLE_NOW, style), explainOne: async () => { throw new Error('unused') }, choose: async () => { throw new Error('unused') }, runFix: async () => 0})
    expect(none).to.equal(0)
    expect(healthy.text()).to.include('The only application looks healthy.')
  })
})
