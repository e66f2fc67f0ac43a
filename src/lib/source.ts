import {open} from 'node:fs/promises'
import {hostname} from 'node:os'
import {isApplication, type AppRef, type Application} from './app.js'
import {DoctorError} from './errors.js'
import type {Cluster, WaitCheck, WaitManyOptions, WaitOptions, WaitResult, WaitTarget} from './cluster/kube.js'
import {gatherRelated, relatedFromFile, type RelatedWants} from './diagnose/related.js'
import type {Related} from './diagnose/types.js'
import type {LiveMeta} from './deletion.js'
import {readLive, type ManagedPick} from './live-resources.js'
import type {JsonPatchOp, Plan} from './plan.js'

export interface ListOptions {
  /** undefined = every namespace. */
  namespace?: string
  labelSelector?: string
  pageSize?: number
}

/**
 * Where Applications come from: the cluster, or a file saved with `kubectl get app -o yaml`.
 * Commands and the pipeline use only this interface; they never branch on where the apps live.
 */
export interface AppSource {
  /** The Kubernetes API (kubeconfig), the Argo CD API (argocd/source.ts), or a saved file. */
  readonly kind: 'cluster' | 'argocd' | 'file'
  /** Where the apps come from, for messages: the context name, or the file's path. */
  readonly origin: string
  /** Who is acting (the kubeconfig user), recorded in operations we start and in backups. */
  readonly user?: string
  /** The kubeconfig context and API server, for the backup's change record. */
  readonly context?: string
  readonly server?: string
  read(ref: AppRef): Promise<Application>
  /** Every app in scope, page by page (a file is one page). */
  list(opts: ListOptions): AsyncIterable<Application[]>
  /**
   * Every app in scope, one at a time as they arrive (fleet scans): the cluster makes one
   * unpaginated LIST and hands out each app as soon as it is parsed (paging if the server will not);
   * a file gives its apps in file order.
   */
  stream(opts: ListOptions): AsyncIterable<Application>
  /**
   * The object as it would be after the patch: server-side dryRun=All, or applied locally (files, and
   * the Argo CD API, which has no dry run). `plan` says which change it is (the Argo CD API makes
   * each kind of change with its own call).
   */
  preview(ref: AppRef, patch: JsonPatchOp[], plan?: Plan): Promise<Application>
  /** Write the patch for real. A file source never writes (the pipeline treats -f as a dry run). */
  apply(ref: AppRef, patch: JsonPatchOp[], plan?: Plan): Promise<Application>
  /** How the preview was made, when it is not a server dry run ("applied locally to the file"). */
  readonly previewKind?: string
  /** The command that makes the same change, when it is not the kubectl patch (the Argo CD API: the argocd CLI's). */
  equivalent?(plan: Plan, app: Application): {label: string; command: string}
  /** Wait until `check` passes on a newer version of the app (watch from `fromResourceVersion`). */
  watch(ref: AppRef, fromResourceVersion: string, check: WaitCheck, opts: WaitOptions): Promise<WaitResult>
  /**
   * Wait for many apps of one namespace at once (one watch on the namespace). Optional: without it
   * the pipeline waits for each app with `watch`.
   */
  watchMany?(namespace: string, targets: WaitTarget[], opts: WaitManyOptions): Promise<Map<string, WaitResult>>
  /**
   * The objects besides the Application that a diagnosis or a recipe needs (AppProject, hook Jobs,
   * HPAs, …): read from the cluster (a 403/404 becomes a note, never a failure), or taken from the
   * -f file (what the file does not hold is reported as unreadable, never guessed).
   */
  readRelated(app: Application, wants: RelatedWants): Promise<Related>
  /**
   * The metadata (age, finalizers, sync options) of the managed resources `pick` selects, read live
   * when they are on this cluster; undefined when they cannot be (offline, or another destination).
   */
  readManaged(app: Application, pick: ManagedPick): Promise<LiveMeta[] | undefined>
  /** Leave a trail in the cluster: a Kubernetes Event on the Application (a file source has no cluster: nothing). */
  recordEvent(app: Application, event: AppEvent): Promise<void>
  /**
   * A finding's Event, created once an hour as `<key>.<YYYYMMDDHH>` ('exists' when it already is):
   * create only, so a scan needs no update on Events — which would let it rewrite any Event in the
   * namespace, a person's audit trail included. Events live an hour (kube-apiserver --event-ttl),
   * so at most two are alive per finding, and a finding that is gone stops being posted.
   */
  postFindingEvent(target: EventTarget, key: string, event: AppEvent): Promise<'created' | 'exists'>
}

/** The Application an Event is about. */
export interface EventTarget {
  name: string
  namespace: string
  uid?: string
  resourceVersion?: string
}

function eventBody(target: EventTarget, event: AppEvent): Record<string, unknown> {
  const now = new Date()
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {generateName: `${target.name}.argo-doctor.`, namespace: target.namespace},
    involvedObject: {apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: target.name, namespace: target.namespace, uid: target.uid, resourceVersion: target.resourceVersion},
    reason: event.reason,
    message: event.message.slice(0, 1024),
    type: event.type,
    source: {component: 'argo-doctor'},
    reportingComponent: 'argo-doctor',
    reportingInstance: hostname(),
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  }
}

export interface AppEvent {
  /** CamelCase, e.g. ArgoDoctorUnstick. */
  reason: string
  message: string
  type: 'Normal' | 'Warning'
}

export function clusterSource(cluster: Cluster): AppSource {
  return {
    kind: 'cluster',
    origin: `context "${cluster.contextName}"`,
    user: cluster.user,
    context: cluster.contextName,
    server: cluster.server,
    read: (ref) => cluster.getApp(ref),
    list: (opts) => cluster.listAllApps(opts),
    stream: (opts) => cluster.streamApps(opts),
    preview: (ref, patch) => cluster.patchApp(ref, patch, {dryRun: true}),
    apply: (ref, patch) => cluster.patchApp(ref, patch, {dryRun: false}),
    watch: (ref, from, check, opts) => cluster.waitForApp(ref, from, check, opts),
    watchMany: (namespace, targets, opts) => cluster.waitForApps(namespace, targets, opts),
    readRelated: (app, wants) => gatherRelated(cluster, app, wants),
    readManaged: (app, pick) => readLive(cluster, app, pick),
    async recordEvent(app, event) {
      const target = {name: app.metadata.name, namespace: app.metadata.namespace ?? 'argocd', uid: app.metadata.uid, resourceVersion: app.metadata.resourceVersion}
      await cluster.createEvent(target.namespace, eventBody(target, event))
    },
    async postFindingEvent(target, key, event) {
      const body = eventBody(target, event)
      const hour = new Date().toISOString().slice(0, 13).replaceAll(/\D/g, '')
      try {
        await cluster.createEvent(target.namespace, {...body, metadata: {name: `${key}.${hour}`, namespace: target.namespace}})
        return 'created'
      } catch (error) {
        if (error instanceof DoctorError && error.code === 'CONFLICT') return 'exists'
        throw error
      }
    },
  }
}

/** A Kubernetes object read from a file (Applications, and the AppProjects/HPAs some recipes use). */
export type KubeObject = Record<string, any> & {apiVersion?: string; kind?: string; metadata?: {name?: string; namespace?: string}}

export interface ObjectsFile {
  apps: Application[]
  /** Every object in the file that is not an Application. */
  related: KubeObject[]
}

const SAVE_HINT = 'Save the app with: kubectl get applications.argoproj.io NAME -n NS -o yaml > app.yaml'

/** The largest -f input accepted; a saved Application (even an App-of-Apps with its whole status) is far smaller. */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024

/** JSON input (what `kubectl get -o json` writes) takes JSON.parse, which is linear; YAML documents go through the YAML parser. */
async function parseDocuments(text: string, origin: string): Promise<unknown[]> {
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return [JSON.parse(text) as unknown]
    } catch {
      // Not strict JSON (YAML flow style, comments, …): fall through to the YAML parser.
    }
  }

  const fast = await plainYaml(text)
  if (fast) return fast
  const {isScalar, parseAllDocuments, visit} = await import('yaml')
  // The yaml package's own duplicate-key check compares every key with every other (quadratic: a
  // 40k-key map takes 40 s); it is off, and duplicates are found with one Set per map instead.
  const docs = parseAllDocuments(text, {uniqueKeys: false})
  return (Array.isArray(docs) ? docs : [docs]).map((doc) => {
    if (doc.errors.length > 0) throw new DoctorError('USAGE', `${origin} is not valid YAML or JSON: ${doc.errors[0].message.split('\n')[0]}`, SAVE_HINT)
    visit(doc, {
      Map(_key, map) {
        const seen = new Set<unknown>()
        for (const pair of map.items) {
          const key = isScalar(pair.key) ? pair.key.value : pair.key
          if (seen.has(key)) throw new DoctorError('USAGE', `${origin} is not valid YAML: the key ${JSON.stringify(String(key)).slice(0, 80)} appears twice in the same map.`, SAVE_HINT)
          seen.add(key)
        }
      },
    })
    try {
      return doc.toJS({maxAliasCount: 100}) as unknown
    } catch (error) {
      // The yaml package refuses a "billion laughs" document: "Excessive alias count …".
      throw new DoctorError('USAGE', `${origin} is not valid YAML: ${(error as Error).message.split('\n')[0]}.`, SAVE_HINT)
    }
  })
}

/** An anchor (&a), an alias (*a) or a tag (!x) where YAML allows one (outside whole-line comments); a false match only sends the text to the full parser. */
const YAML_NODE_PROPERTY = /(?:^|[\s[{,])[&*!]/

/**
 * The fast loader for plain documents (what `kubectl get -o yaml` writes): js-yaml with the YAML 1.2
 * core schema (no timestamps, no merge keys: the same values as the full parser's default), several
 * times faster than the yaml package. Anything else — anchors, aliases or tags (the full parser caps
 * alias expansion), duplicate keys, a syntax error — returns undefined and goes through the full
 * parser, which gives the exact error message.
 */
export async function plainYaml(text: string): Promise<unknown[] | undefined> {
  if (YAML_NODE_PROPERTY.test(text.replaceAll(/^[ \t]*#.*$/gm, ''))) return undefined
  const {CORE_SCHEMA, loadAll} = await import('js-yaml')
  try {
    return loadAll(text, undefined, {schema: CORE_SCHEMA})
  } catch {
    return undefined
  }
}

/** Parse YAML/JSON text holding one object, a List, or several documents; it must hold an Application. */
export async function parseObjects(text: string, origin: string): Promise<ObjectsFile> {
  const objects: KubeObject[] = []
  for (const value of await parseDocuments(text, origin)) {
    if (value === null || value === undefined || typeof value !== 'object') continue
    const items = (value as {items?: unknown}).items
    if (!Array.isArray(items)) {
      objects.push(value as KubeObject)
      continue
    }

    const bad = items.findIndex((item) => item === null || typeof item !== 'object' || Array.isArray(item))
    if (bad >= 0) throw new DoctorError('USAGE', `${origin}: item ${bad} of the List is ${items[bad] === null ? 'null' : JSON.stringify(items[bad]).slice(0, 40)}, not a Kubernetes object.`, SAVE_HINT)
    objects.push(...(items as KubeObject[]))
  }

  const apps = objects.filter((o) => isApplication(o)) as unknown as Application[]
  if (apps.length === 0) throw new DoctorError('USAGE', `${origin} holds no Argo CD Application (expected apiVersion argoproj.io/v1alpha1, kind Application).`, SAVE_HINT)
  return {apps, related: objects.filter((o) => !isApplication(o))}
}

const tooLarge = (origin: string) => new DoctorError('USAGE', `${origin} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB, the most -f reads; nothing was changed.`,
  'Save only the app: kubectl get applications.argoproj.io NAME -n NS -o json > app.json (add its AppProject/HPAs if needed, not a whole namespace dump).')

/** Read -f FILE ("-" = standard input), at most MAX_INPUT_BYTES. */
export async function readObjectsFile(path: string): Promise<ObjectsFile> {
  const origin = path === '-' ? 'standard input' : path
  let text: string
  try {
    text = path === '-' ? await readStdin(origin) : await readCapped(path, origin)
  } catch (error) {
    if (error instanceof DoctorError) throw error
    throw new DoctorError('USAGE', `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`)
  }

  return parseObjects(text, origin)
}

async function readCapped(path: string, origin: string): Promise<string> {
  const handle = await open(path, 'r')
  try {
    const chunks: Buffer[] = []
    let size = 0
    for (;;) {
      const {bytesRead, buffer} = await handle.read(Buffer.alloc(1024 * 1024), 0, 1024 * 1024, null)
      if (bytesRead === 0) break
      size += bytesRead
      if (size > MAX_INPUT_BYTES) throw tooLarge(origin)
      chunks.push(buffer.subarray(0, bytesRead))
    }

    return Buffer.concat(chunks).toString('utf8')
  } finally {
    await handle.close()
  }
}

async function readStdin(origin: string): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length
    if (size > MAX_INPUT_BYTES) throw tooLarge(origin)
    chunks.push(chunk as Buffer)
  }

  return Buffer.concat(chunks).toString('utf8')
}

/** How many of a file's apps a "not in the file" hint names. */
const HINT_NAMES = 10

/**
 * The app NAME in a file. The namespace only decides between apps of the same name, since a
 * saved file may come from another namespace than -n says. Without a name, a one-app file's app.
 */
export function pickFromFile(apps: Application[], name: string, namespace: string | undefined, path: string): Application {
  if (!name && apps.length === 1) return apps[0]
  const matches = apps.filter((a) => a.metadata.name === name)
  const pick = matches.length > 1 && namespace ? matches.find((a) => (a.metadata.namespace ?? 'argocd') === namespace) : matches[0]
  if (!pick) {
    const shown = apps.slice(0, HINT_NAMES).map((a) => `${a.metadata.namespace ?? '?'}/${a.metadata.name}`).join(', ')
    const more = apps.length - HINT_NAMES
    throw new DoctorError('NOT_FOUND', `Application "${name}" is not in ${path}.`, `It holds: ${shown}${more > 0 ? ` (and ${more.toLocaleString('en-US')} more)` : ''}`)
  }

  return pick
}

/** Offline source: previews apply the JSON patch locally (fast-json-patch), nothing is ever written. */
export function fileSource(file: ObjectsFile, path: string): AppSource {
  const {apps, related} = file
  const find = (ref: AppRef) => pickFromFile(apps, ref.name, ref.namespace, path)
  const offline = (): never => {
    throw new DoctorError('USAGE', `${path} is a saved file: argo-doctor only previews changes to it, it never writes or waits.`, 'Drop -f to act on the cluster.')
  }

  return {
    kind: 'file',
    origin: path === '-' ? 'standard input' : path,
    previewKind: 'applied locally to the file',
    read: async (ref) => structuredClone(find(ref)),
    // A saved file is explained whole: -n only picks between apps of the same name (pickFromFile).
    async * list() {
      yield apps
    },
    async * stream() {
      yield * apps
    },
    apply: async () => offline(),
    watch: async () => offline(),
    readRelated: async (app, wants) => relatedFromFile(related, app, wants),
    readManaged: async () => undefined,
    recordEvent: async () => {},
    postFindingEvent: async () => offline(),
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
