/**
 * e2e helpers: a REAL kube-apiserver + etcd started by scripts/cluster.sh (scripts/e2e.sh exports
 * KUBECONFIG and E2E_APISERVER_PID), and argo-doctor run through real kubectl plugin dispatch.
 */
import {delimiter, join} from 'node:path'
import {execa} from 'execa'
import {ROOT, tempDir} from '../support/cli.js'
import {PtySession} from '../support/pty.js'

export const KUBECONFIG = process.env.KUBECONFIG ?? ''
export const NS = 'argocd'
const PATH_WITH_PLUGIN = `${join(ROOT, 'bin')}${delimiter}${process.env.PATH}`

export function requireCluster(): void {
  if (!KUBECONFIG || !process.env.E2E_APISERVER_PID) throw new Error('run the e2e tier with `npm run test:e2e` (it starts the cluster)')
}

export async function kubectl(args: string[], input?: string): Promise<string> {
  const r = await execa('kubectl', ['--kubeconfig', KUBECONFIG, ...args], {input, reject: false})
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`)
  return String(r.stdout)
}

export interface Run {
  exitCode: number
  stdout: string
  stderr: string
}

/** `kubectl argo-doctor …` exactly as a user types it: kubectl finds bin/kubectl-argo_doctor on PATH. */
export async function doctor(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const kubeconfig = args.includes('--kubeconfig') ? [] : ['--kubeconfig', KUBECONFIG]
  const r = await execa('kubectl', ['argo-doctor', ...args, ...kubeconfig], {
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
    env: {...process.env, PATH: PATH_WITH_PLUGIN, NO_COLOR: '1', CI: '', ARGO_DOCTOR_BACKUP_DIR: tempDir('e2e-backups-'), ...env},
  })
  return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
}

export function doctorInPty(args: string[]): PtySession {
  const quoted = ['kubectl', 'argo-doctor', ...args, '--kubeconfig', KUBECONFIG].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ')
  return new PtySession(quoted, {PATH: PATH_WITH_PLUGIN, ARGO_DOCTOR_BACKUP_DIR: tempDir('e2e-backups-')})
}

export async function getApp(name: string): Promise<any> {
  return JSON.parse(await kubectl(['get', 'applications.argoproj.io', name, '-n', NS, '-o', 'json']))
}

/** Create an Application, then fabricate controller-written state with a plain merge patch (the CRD has no status subresource). */
export async function createApp(name: string, state: {operation?: unknown; status?: unknown; spec?: Record<string, unknown>; labels?: Record<string, string>} = {}): Promise<any> {
  await kubectl(['delete', 'applications.argoproj.io', name, '-n', NS, '--ignore-not-found', '--wait=false'])
  const app = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {name, namespace: NS, labels: state.labels},
    spec: {
      project: 'default',
      source: {repoURL: 'https://github.com/wealist/wealist-infra.git', targetRevision: 'main', path: 'k8s/argocd/apps/prod'},
      destination: {server: 'https://kubernetes.default.svc', namespace: 'argocd'},
      ...state.spec,
    },
  }
  await kubectl(['create', '-f', '-'], JSON.stringify(app))
  if (state.operation || state.status) {
    await kubectl(['patch', 'applications.argoproj.io', name, '-n', NS, '--type', 'merge', '-p', JSON.stringify({operation: state.operation, status: state.status})])
  }

  return getApp(name)
}

export function minutesAgo(m: number): string {
  return new Date(Date.now() - m * 60_000).toISOString().replace(/\.\d+Z$/, 'Z')
}

/** Play the application-controller's part for refreshes: remove the annotation once it appears. */
export function playRefreshController(name: string): {stop: () => void} {
  let stopped = false
  const loop = async () => {
    while (!stopped) {
      const app = await getApp(name).catch(() => undefined)
      if (app?.metadata.annotations?.['argocd.argoproj.io/refresh']) {
        await kubectl(['annotate', 'applications.argoproj.io', name, '-n', NS, 'argocd.argoproj.io/refresh-']).catch(() => undefined)
        await kubectl(['patch', 'applications.argoproj.io', name, '-n', NS, '--type', 'merge', '-p', JSON.stringify({status: {reconciledAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z')}})]).catch(() => undefined)
      }

      await new Promise((r) => setTimeout(r, 200))
    }
  }

  void loop()
  return {stop: () => {
    stopped = true
  }}
}
