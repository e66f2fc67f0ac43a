import {readFile} from 'node:fs/promises'
import {isApplication, type AppRef, type Application} from './app.js'
import {DoctorError} from './errors.js'
import type {Cluster} from './cluster/kube.js'
import type {JsonPatchOp} from './plan.js'

/** Where Applications come from: the cluster, or a file saved with `kubectl get app -o yaml`. */
export interface AppSource {
  readonly kind: 'cluster' | 'file'
  read(ref: AppRef): Promise<Application>
  /** The object as it would be after the patch: server-side dryRun=All, or applied locally for files. */
  preview(ref: AppRef, patch: JsonPatchOp[]): Promise<Application>
  readonly cluster?: Cluster
}

export function clusterSource(cluster: Cluster): AppSource {
  return {
    kind: 'cluster',
    cluster,
    read: (ref) => cluster.getApp(ref),
    preview: (ref, patch) => cluster.patchApp(ref, patch, {dryRun: true}),
  }
}

/** Parse YAML/JSON text holding one Application, a List, or several documents. */
export async function parseApplications(text: string, origin: string): Promise<Application[]> {
  const {parseAllDocuments} = await import('yaml')
  const docs = parseAllDocuments(text)
  const objects: unknown[] = []
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new DoctorError('USAGE', `${origin} is not valid YAML or JSON: ${doc.errors[0].message.split('\n')[0]}`, 'Save the app with: kubectl get applications.argoproj.io NAME -n NS -o yaml > app.yaml')
    const value = doc.toJS()
    if (value === null || value === undefined) continue
    if (value && typeof value === 'object' && Array.isArray((value as {items?: unknown}).items)) objects.push(...(value as {items: unknown[]}).items)
    else objects.push(value)
  }

  const apps = objects.filter((o) => isApplication(o))
  const others = objects.length - apps.length
  if (apps.length === 0) {
    throw new DoctorError('USAGE', `${origin} holds no Argo CD Application (expected apiVersion argoproj.io/v1alpha1, kind Application).`, 'Save the app with: kubectl get applications.argoproj.io NAME -n NS -o yaml > app.yaml')
  }

  if (others > 0) process.stderr.write(`warning: ${origin}: ignored ${others} object(s) that are not Applications\n`)
  return apps
}

export async function readApplicationsFile(path: string): Promise<Application[]> {
  let text: string
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8')
  } catch (error) {
    throw new DoctorError('USAGE', `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`)
  }

  return parseApplications(text, path === '-' ? 'standard input' : path)
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Offline source: previews apply the JSON patch locally (fast-json-patch), nothing is ever written. */
export function fileSource(apps: Application[], path: string): AppSource {
  const find = (ref: AppRef) => {
    const app = apps.find((a) => a.metadata.name === ref.name && (a.metadata.namespace ?? ref.namespace) === ref.namespace)
      ?? (apps.length === 1 && !ref.name ? apps[0] : undefined)
    if (!app) throw new DoctorError('NOT_FOUND', `Application "${ref.name}" (namespace "${ref.namespace}") is not in ${path}.`, `It holds: ${apps.map((a) => `${a.metadata.namespace ?? '?'}/${a.metadata.name}`).join(', ')}`)
    return app
  }

  return {
    kind: 'file',
    read: async (ref) => structuredClone(find(ref)),
    async preview(ref, patch) {
      const {default: jsonpatch} = await import('fast-json-patch')
      try {
        return jsonpatch.applyPatch(structuredClone(find(ref)), structuredClone(patch) as never, true, false).newDocument as Application
      } catch (error) {
        const e = error as {name?: string; message: string}
        if (e.name === 'TEST_OPERATION_FAILED') throw new DoctorError('CONFLICT', `A guard failed while applying the patch locally: ${e.message.split('\n')[0]}`)
        throw new DoctorError('REJECTED', `The patch does not apply to ${path}: ${e.message.split('\n')[0]}`)
      }
    },
  }
}
