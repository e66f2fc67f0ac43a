/**
 * Offline (-f) input with context: besides the Application(s), a file may hold the objects a
 * recipe needs from the cluster — the app's AppProject (sync windows) and its
 * HorizontalPodAutoscalers (which workload they scale), e.g.
 *   { kubectl get app my-app -n argocd -o yaml; echo ---; kubectl get hpa -n my-ns -o yaml; } > app.yaml
 */
import {readFile} from 'node:fs/promises'
import {isApplication, type Application} from './app.js'
import {DoctorError} from './errors.js'
import type {HpaInfo} from './recipes/ignore-rules.js'
import {fileSource, type AppSource} from './source.js'

export type KubeObject = Record<string, any> & {apiVersion?: string; kind?: string; metadata?: {name?: string; namespace?: string}}

export interface FileWithRelated {
  source: AppSource
  apps: Application[]
  /** Every object in the file that is not an Application. */
  related: KubeObject[]
}

const SAVE_HINT = 'Save the app with: kubectl get applications.argoproj.io NAME -n NS -o yaml > app.yaml'

export async function readFileWithRelated(path: string): Promise<FileWithRelated> {
  let text: string
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8')
  } catch (error) {
    throw new DoctorError('USAGE', `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`)
  }

  const origin = path === '-' ? 'standard input' : path
  const {parseAllDocuments} = await import('yaml')
  const objects: KubeObject[] = []
  const docs = parseAllDocuments(text)
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new DoctorError('USAGE', `${origin} is not valid YAML or JSON: ${doc.errors[0].message.split('\n')[0]}`, SAVE_HINT)
    const value = doc.toJS() as unknown
    if (value === null || value === undefined || typeof value !== 'object') continue
    const items = (value as {items?: unknown}).items
    if (Array.isArray(items)) objects.push(...(items as KubeObject[]))
    else objects.push(value as KubeObject)
  }

  const apps = objects.filter((o) => isApplication(o)) as unknown as Application[]
  if (apps.length === 0) throw new DoctorError('USAGE', `${origin} holds no Argo CD Application (expected apiVersion argoproj.io/v1alpha1, kind Application).`, SAVE_HINT)
  return {source: fileSource(apps, path), apps, related: objects.filter((o) => !isApplication(o))}
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export function hpaInfoOf(obj: KubeObject): HpaInfo {
  const ref = obj.spec?.scaleTargetRef as {apiVersion?: string; kind?: string; name?: string} | undefined
  return {
    namespace: obj.metadata?.namespace ?? '',
    name: obj.metadata?.name ?? '',
    target: ref?.kind && ref.name ? {apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name} : undefined,
    unreadable: ref?.kind && ref.name ? undefined : 'it has no spec.scaleTargetRef',
  }
}

export const isHpa = (o: KubeObject) => o.kind === 'HorizontalPodAutoscaler' && String(o.apiVersion ?? '').startsWith('autoscaling/')
export const isAppProject = (o: KubeObject) => o.kind === 'AppProject' && String(o.apiVersion ?? '').startsWith('argoproj.io/')
