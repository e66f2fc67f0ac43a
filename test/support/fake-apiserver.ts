/**
 * A real HTTP server (node:http, 127.0.0.1, random port) that speaks the part
 * of the Kubernetes API argo-doctor uses, with kube-apiserver v1.34's status
 * codes, messages and patch semantics — so command tests cannot pass by
 * agreeing with our own mistakes.
 *
 * What it models (each checked against a real kube-apiserver v1.34.12 built by
 * scripts/cluster.sh; the differential suite in
 * test/integration/fake-apiserver.test.ts re-checks it when one is up):
 *  - GET / LIST (label + field selectors, limit/continue; a list of 128 KiB or
 *    more gzipped for a client that accepts it) / WATCH (initial
 *    ADDED events, resourceVersion replay, 410 "too old", timeoutSeconds);
 *  - PATCH json-patch / merge-patch with evanphx/json-patch v4 semantics
 *    (./kube-json-patch.ts), dryRun=All, fieldManager, fieldValidation;
 *    strategic merge on a custom resource → 415;
 *  - what the server does after the patch: CRD pruning of unknown fields
 *    (Warning headers), silent pruning of non-nullable nulls, CRD schema
 *    validation (from the real Argo CD CRD when found, see crd-schema.ts),
 *    ObjectMeta rules (immutable uid, name/namespace checks, no new finalizers
 *    while deleting), resourceVersion preconditions (409), generation bumps
 *    (any non-metadata change on a CR), no-op patches that change nothing;
 *  - POST / PUT / DELETE (finalizers → deletionTimestamp; removing the last
 *    finalizer of a deleting object deletes it);
 *  - bearer-token auth: 401 for unknown tokens, RBAC-style 403 for the
 *    read-only user on writes, 403 for anonymous requests;
 *  - discovery (/api, /apis, …) so `kubectl --kubeconfig <fake>` works.
 *
 * Not modelled: server-side apply, strategic merge on lists of built-ins,
 * snapshot reads for continue tokens, built-in type schemas, admission.
 */
import {randomUUID} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {execFileSync} from 'node:child_process'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import {gzipSync} from 'node:zlib'
import type {AddressInfo} from 'node:net'
import {dirname, isAbsolute, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseAllDocuments, stringify as yamlStringify} from 'yaml'

import {
  type CrdInfo,
  type FieldError,
  type Schema,
  findArgoCdCrdDir,
  loadCrdFile,
  pruneAllNullMapValues,
  pruneNonNullableNulls,
  pruneUnknownFields,
  ratchet,
  sortKeys,
  validateAgainstSchema,
} from './crd-schema.js'
import {PatchApplyError, PatchDecodeError, applyJsonPatch, applyMergePatch, goJsonType, jsonEqual, parseJsonGo} from './kube-json-patch.js'
import {
  type FieldRequirement,
  type LabelRequirement,
  SelectorError,
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './kube-selectors.js'
import {
  type GroupResource,
  type Status,
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  err,
  forbidden,
  forbiddenPath,
  genericStatus,
  genericUnprocessable,
  grString,
  invalid,
  makeStatus,
  notFound,
  q,
  unauthorized,
} from './kube-status.js'

// ---------------------------------------------------------------- public API

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  contentType?: string
  /** parsed JSON when the body is JSON, else the raw text */
  body?: any
  headers: Record<string, string>
  /** the authenticated user name ("system:anonymous" without a token; undefined for a bad token) */
  user?: string
  /** HTTP status the fake answered with (set once answered) */
  status?: number
}

export interface FailureMatch {
  method?: string
  pathIncludes?: string
  /** true: only requests with dryRun=All; false: only requests without */
  dryRun?: boolean
  /** true: only watch requests (?watch=true); false: only others */
  watch?: boolean
  /** true: only requests with ?limit (a paginated LIST); false: only requests without */
  paginated?: boolean
}

export interface PutOptions {
  /**
   * Default true: the object goes through what `kubectl create`/`replace`
   * would meet on a real server (unknown fields rejected, CRD schema
   * validation, nulls pruned). false stores it as given (system fields only),
   * for states a real server could hold but not be sent today.
   */
  validate?: boolean
}

export interface FakeApiServer {
  /** http://127.0.0.1:PORT */
  url: string
  /**
   * Writes `<dir>/kubeconfig` and returns its path. Contexts: `admin`
   * (current; token admin-token), `readonly` (token readonly-token: get/list/
   * watch anything, every write → 403), `badtoken` (token nope → 401 on
   * everything), `anonymous` (no credentials → 403 on resources).
   */
  writeKubeconfig(dir: string, opts?: {namespace?: string; file?: string}): string
  /**
   * Create or replace any object; returns the stored copy; emits ADDED/MODIFIED.
   * Plants state: a given uid / creationTimestamp / generation is kept (else
   * assigned, or kept from the object it replaces); resourceVersion is always
   * the server's.
   */
  put(obj: any, opts?: PutOptions): any
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): any | undefined
  /**
   * The test plays the controller: `fn` edits a copy, which is written like a
   * controller's update (schema-validated, nulls pruned; throws on a
   * rejection). Bumps resourceVersion and emits MODIFIED — unless nothing
   * changed, which (like the real server) is a no-op.
   */
  mutate(apiVersion: string, kind: string, namespace: string | undefined, name: string, fn: (obj: any) => void | any): any
  /** Delete an object like `kubectl delete` (finalizers → deletionTimestamp). */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void
  /** every request received, in order */
  requests: RecordedRequest[]
  /** called before a non-dry-run PATCH is applied (before the current object is read) */
  onBeforePatch?: (req: RecordedRequest) => void | Promise<void>
  /** called before any PATCH, dry run or not (a busy controller writing between every read and write) */
  onBeforeAnyPatch?: (req: RecordedRequest) => void | Promise<void>
  /** answer the next matching request with this Status instead */
  failNext(match: FailureMatch, status: number, reason?: string, message?: string): void
  /** answer the next matching request with this raw body (an HTML error page, a bare `{}`, …) and status */
  answerNext(match: FailureMatch, status: number, body: string, contentType?: string): void
  /**
   * The next matching LIST is served with chunked encoding (as kube-apiserver streams a large
   * list) but only its first `afterBytes` bytes (on the wire: gzipped when the list is) arrive: then the connection is reset ('reset', a
   * dropped connection or a proxy cutting it), or nothing more is sent ('stall', a stuck
   * connection) until release() sends the rest.
   */
  interruptNextList(match: FailureMatch, afterBytes: number, how: 'reset' | 'reset-on-release' | 'stall'): {release: () => void}
  /**
   * Answer every LIST of more than `n` items with the first `n` and a continue token, even
   * without ?limit (as a server or proxy that pages on its own might; kube-apiserver itself only
   * pages on request). undefined turns it off.
   */
  capLists(n: number | undefined): void
  /** delay every response by `ms` (0 turns it off) */
  delay(ms: number): void
  /** the evanphx/json-patch message of the last rejected patch (the server itself only says "the server rejected our request…") */
  lastPatchError?: string
  /** current global resourceVersion */
  readonly resourceVersion: string
  /** forget watch history up to now: watches from an older resourceVersion get 410 Expired */
  compact(): void
  /** end all open watch streams (as a server restart would) */
  closeWatches(): void
  /** reset the TCP connection of every open watch stream (RST, as a proxy or load balancer dropping it would) */
  resetWatches(): void
  /** the server goes away: stop listening (new connections are refused) and reset every open connection */
  goAway(): Promise<void>
  /** after goAway(): listen again on the same port, with the same state */
  comeBack(): Promise<void>
  /** number of open watch streams */
  readonly openWatches: number
  /** where the CRD schemas came from: a directory, or 'none' (generic rules only) */
  readonly schemaSource: string
  /** PEM of the serving certificate (its own CA) when started with tls: true */
  readonly caPem?: string
  stop(): Promise<void>
}

export interface FakeApiServerOptions {
  /** directory with Argo CD CRD YAMLs; false = no schema (generic rules); default: findArgoCdCrdDir() */
  crdDir?: string | false
  /** first resourceVersion handed out is this + 1 (default 1000) */
  startResourceVersion?: number
  /** clock for creationTimestamp/deletionTimestamp/managedFields (default: real time) */
  now?: () => Date
  /**
   * Serve HTTPS with a throwaway self-signed certificate (needs `openssl` on
   * PATH). Needed when kubectl is the client: client-go reads a kubeconfig's
   * credentials only for TLS servers, so over plain http kubectl is anonymous.
   */
  tls?: boolean
  /**
   * Requests without credentials act as this user instead of system:anonymous (403 on resources):
   * 'admin' is what `kubectl proxy` in front of an API server looks like, or a cluster that grants
   * anonymous access.
   */
  anonymousAs?: 'admin'
}

let selfSigned: {key: string; cert: string} | undefined

/** A self-signed certificate for 127.0.0.1 (cached per process). */
function selfSignedCert(): {key: string; cert: string} {
  if (selfSigned) return selfSigned
  const d = mkdtempSync(join(tmpdir(), 'fake-apiserver-tls-'))
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem'), '-days', '2',
        '-subj', '/CN=fake-apiserver', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-addext', 'basicConstraints=critical,CA:TRUE'],
      {stdio: 'ignore'},
    )
    selfSigned = {key: readFileSync(join(d, 'key.pem'), 'utf8'), cert: readFileSync(join(d, 'cert.pem'), 'utf8')}
    return selfSigned
  } finally {
    rmSync(d, {recursive: true, force: true})
  }
}

const here = dirname(fileURLToPath(import.meta.url))

/** Read a YAML or JSON fixture (one document → object, several → array). Relative paths: cwd, then test/support/fixtures. */
export function loadFixture(path: string): any {
  const candidates = isAbsolute(path) ? [path] : [resolve(path), join(here, 'fixtures', path)]
  let text: string | undefined
  for (const c of candidates) {
    try {
      text = readFileSync(c, 'utf8')
      break
    } catch {
      // next
    }
  }
  if (text === undefined) throw new Error(`fixture not found: ${path}`)
  const docs = parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((d) => d !== null && d !== undefined)
  return docs.length === 1 ? docs[0] : docs
}

export async function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const s = new FakeApiServerImpl(opts)
  await s.listen()
  return s
}

// ---------------------------------------------------------------- resource types

interface ResourceType extends GroupResource {
  group: string
  version: string
  kind: string
  listKind: string
  plural: string
  singular: string
  shortNames: string[]
  namespaced: boolean
  custom: boolean
  schema?: Schema
  /** when metadata.generation is bumped */
  generation: 'nonMetadata' | 'spec' | 'none'
  allowUnconditionalUpdate: boolean
  /** supported field selector labels besides metadata.name/metadata.namespace */
  fields: string[]
}

function builtin(group: string, version: string, kind: string, plural: string, namespaced: boolean, generation: ResourceType['generation'], fields: string[] = [], shortNames: string[] = []): ResourceType {
  return {
    group,
    version,
    kind,
    listKind: kind + 'List',
    plural,
    singular: kind.toLowerCase(),
    shortNames,
    namespaced,
    custom: false,
    generation,
    allowUnconditionalUpdate: true,
    fields,
  }
}

const BUILTINS: ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, 'none', ['status.phase'], ['ns']),
  builtin('', 'v1', 'Secret', 'secrets', true, 'none', ['type']),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, 'none', [], ['cm']),
  builtin('', 'v1', 'Pod', 'pods', true, 'none', ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP', 'status.nominatedNodeName'], ['po']),
  builtin('', 'v1', 'Service', 'services', true, 'none', [], ['svc']),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, 'none', [], ['sa']),
  builtin('', 'v1', 'Event', 'events', true, 'none', ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'], ['ev']),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, 'spec', [], ['deploy']),
  builtin('apps', 'v1', 'StatefulSet', 'statefulsets', true, 'spec', [], ['sts']),
  builtin('apps', 'v1', 'DaemonSet', 'daemonsets', true, 'spec', [], ['ds']),
  builtin('apps', 'v1', 'ReplicaSet', 'replicasets', true, 'spec', [], ['rs']),
  builtin('batch', 'v1', 'Job', 'jobs', true, 'spec', ['status.successful']),
  builtin('batch', 'v1', 'CronJob', 'cronjobs', true, 'spec', [], ['cj']),
  builtin('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, 'spec', [], ['hpa']),
  builtin('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, 'none', [], ['pvc']),
  builtin('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, 'none', [], ['sc']),
  builtin('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false, 'none'),
]

function customType(c: CrdInfo | {group: string; kind: string; plural: string; namespaced: boolean; shortNames?: string[]}, version: string, schema?: Schema): ResourceType {
  return {
    group: c.group,
    version,
    kind: c.kind,
    listKind: 'listKind' in c ? c.listKind : c.kind + 'List',
    plural: c.plural,
    singular: 'singular' in c ? c.singular : c.kind.toLowerCase(),
    shortNames: c.shortNames ?? [],
    namespaced: c.namespaced,
    custom: true,
    schema,
    generation: 'nonMetadata',
    allowUnconditionalUpdate: false, // customResourceStrategy: a PUT/patch result needs metadata.resourceVersion
    fields: [],
  }
}

const ARGO_FALLBACK = [
  {group: 'argoproj.io', kind: 'Application', plural: 'applications', namespaced: true, shortNames: ['app', 'apps']},
  {group: 'argoproj.io', kind: 'AppProject', plural: 'appprojects', namespaced: true, shortNames: ['appproj', 'appprojs']},
  {group: 'argoproj.io', kind: 'ApplicationSet', plural: 'applicationsets', namespaced: true, shortNames: ['appset', 'appsets']},
]

// ---------------------------------------------------------------- users

interface User {
  name: string
  readonly: boolean
  anonymous: boolean
}

const TOKENS: Record<string, User> = {
  'admin-token': {name: 'admin', readonly: false, anonymous: false},
  'readonly-token': {name: 'readonly', readonly: true, anonymous: false},
}

// ---------------------------------------------------------------- helpers

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T)
}

function isMap(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function deepEqual(a: unknown, b: unknown): boolean {
  return jsonEqual(a, b)
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

function parseBool(v: string | undefined): boolean {
  return v !== undefined && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function gvString(group: string, version: string): string {
  return group ? `${group}/${version}` : version
}

function splitApiVersion(apiVersion: string): [string, string] {
  const i = apiVersion.indexOf('/')
  return i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)]
}

/** Go strconv.ParseUint, as the storage versioner parses resourceVersion. */
function parseRv(rv: string): number | string {
  if (!/^[0-9]+$/.test(rv)) return `strconv.ParseUint: parsing ${q(rv)}: invalid syntax`
  return Number(rv)
}

function withoutVolatile(o: any): any {
  const c = clone(o)
  if (isMap(c?.metadata)) {
    delete c.metadata.resourceVersion
    delete c.metadata.managedFields
  }
  return c
}

function nonMetadata(o: any): any {
  const c: Record<string, unknown> = {}
  for (const k of Object.keys(o ?? {})) if (k !== 'metadata') c[k] = o[k]
  return c
}

const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

const META_STRING = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp']
const META_INT = ['generation', 'deletionGracePeriodSeconds']
const META_MAP = ['labels', 'annotations']
const META_LIST = ['finalizers', 'ownerReferences', 'managedFields']

/**
 * ObjectMeta round trip (GetObjectMetaWithOptions → SetObjectMeta): unknown
 * fields dropped, zero values omitted, a null label/annotation value becomes
 * "", a wrong type is a decode error (Go's message).
 */
function coerceObjectMeta(meta: unknown): {meta?: Record<string, any>; unknown: string[]; error?: string} {
  if (meta === undefined || meta === null) return {unknown: []}
  if (!isMap(meta)) return {unknown: [], error: `json: cannot unmarshal ${goJsonType(meta)} into Go value of type v1.ObjectMeta`}
  const out: Record<string, any> = {}
  const unknown: string[] = []
  const typeErr = (f: string, v: unknown, goType: string) => `json: cannot unmarshal ${goJsonType(v)} into Go struct field ObjectMeta.${f} of type ${goType}`
  for (const k of Object.keys(meta)) {
    const v = meta[k]
    if (META_STRING.includes(k)) {
      if (v === null) continue
      if (typeof v !== 'string') return {unknown, error: typeErr(k, v, 'string')}
      if (v !== '') out[k] = v
    } else if (META_INT.includes(k)) {
      if (v === null) continue
      if (typeof v !== 'number' || !Number.isInteger(v)) return {unknown, error: typeErr(k, v, 'int64')}
      if (v !== 0 || k === 'deletionGracePeriodSeconds') out[k] = v
    } else if (META_MAP.includes(k)) {
      if (v === null) continue
      if (!isMap(v)) return {unknown, error: typeErr(k, v, 'map[string]string')}
      const m: Record<string, string> = {}
      for (const [mk, mv] of Object.entries(v)) {
        if (mv === null) m[mk] = ''
        else if (typeof mv !== 'string') return {unknown, error: typeErr(k, mv, 'string')}
        else m[mk] = mv
      }
      if (Object.keys(m).length > 0) out[k] = m
    } else if (META_LIST.includes(k)) {
      if (v === null) continue
      if (!Array.isArray(v)) return {unknown, error: typeErr(k, v, k === 'finalizers' ? '[]string' : `[]v1.${k === 'ownerReferences' ? 'OwnerReference' : 'ManagedFieldsEntry'}`)}
      if (k === 'finalizers') {
        for (const f of v) if (typeof f !== 'string' && f !== null) return {unknown, error: typeErr(k, f, 'string')}
        const fs = v.map((f) => (f === null ? '' : f))
        if (fs.length > 0) out[k] = fs
      } else if (v.length > 0) {
        out[k] = v
      }
    } else {
      unknown.push(`metadata.${k}`)
    }
  }
  return {meta: out, unknown}
}

/** An approximation of managedFields: which manager last set which fields (FieldsV1 shape). */
function fieldsDiff(newV: any, oldV: any, root: boolean): Record<string, any> {
  const out: Record<string, any> = {}
  if (!isMap(newV)) return out
  for (const k of Object.keys(newV)) {
    if (root && (k === 'apiVersion' || k === 'kind')) continue
    if (root && k === 'metadata') {
      const m: Record<string, any> = {}
      for (const mk of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
        const nv = newV.metadata?.[mk]
        const ov = oldV?.metadata?.[mk]
        if (nv === undefined || deepEqual(nv, ov)) continue
        if (isMap(nv)) m[`f:${mk}`] = {...(ov === undefined ? {'.': {}} : {}), ...fieldsDiff(nv, ov, false)}
        else m[`f:${mk}`] = {}
      }
      if (Object.keys(m).length > 0) out['f:metadata'] = m
      continue
    }
    const nv = newV[k]
    const ov = isMap(oldV) ? oldV[k] : undefined
    if (deepEqual(nv, ov)) continue
    if (isMap(nv) && Object.keys(nv).length > 0) out[`f:${k}`] = {...(isMap(ov) ? {} : {'.': {}}), ...fieldsDiff(nv, ov, false)}
    else out[`f:${k}`] = {}
  }
  return out
}

function mergeFields(a: Record<string, any>, b: Record<string, any>): Record<string, any> {
  const out = clone(a)
  for (const [k, v] of Object.entries(b)) out[k] = isMap(out[k]) && isMap(v) ? mergeFields(out[k], v) : v
  return out
}

// ---------------------------------------------------------------- the server

interface Stored {
  rt: ResourceType
  obj: any
}

interface HistoryEvent {
  rv: number
  type: 'ADDED' | 'MODIFIED' | 'DELETED'
  rt: ResourceType
  obj: any
  prev?: any
}

interface Watcher {
  rt: ResourceType
  namespace?: string
  labels: LabelRequirement[]
  fields: FieldRequirement[]
  res: ServerResponse
  timer?: NodeJS.Timeout
}

interface Failure {
  match: FailureMatch
  status: Status
  raw?: {status: number; body: string; contentType: string}
}

interface WriteOpts {
  dryRun: boolean
  fieldValidation: 'Ignore' | 'Warn' | 'Strict'
  manager?: string
  /** what the body is, for decode error messages */
  source: 'patch' | 'body'
  warnings: string[]
  /** put(): the test plants state — provided uid / creationTimestamp / generation are kept */
  plant?: {uid?: string; creationTimestamp?: string; generation?: number}
}

const JSON_PATCH = 'application/json-patch+json'
const MERGE_PATCH = 'application/merge-patch+json'
const SMP = 'application/strategic-merge-patch+json'
const APPLY = 'application/apply-patch+yaml'

class FakeApiServerImpl implements FakeApiServer {
  url = ''
  requests: RecordedRequest[] = []
  onBeforePatch?: (req: RecordedRequest) => void | Promise<void>
  onBeforeAnyPatch?: (req: RecordedRequest) => void | Promise<void>
  lastPatchError?: string
  readonly schemaSource: string
  readonly caPem?: string

  private server: Server
  private types: ResourceType[] = [...BUILTINS]
  private store = new Map<string, Stored>()
  private rv: number
  private compactedRv: number
  private history: HistoryEvent[] = []
  private watchers = new Set<Watcher>()
  private failures: Failure[] = []
  private interruptions: Array<{match: FailureMatch; afterBytes: number; how: 'reset' | 'reset-on-release' | 'stall'; released: Promise<void>}> = []
  private listCap: number | undefined
  private delayMs = 0
  private now: () => Date

  constructor(private readonly opts: FakeApiServerOptions) {
    this.rv = opts.startResourceVersion ?? 1000
    this.compactedRv = this.rv
    this.now = opts.now ?? (() => new Date())
    const dir = opts.crdDir === false ? undefined : (opts.crdDir ?? findArgoCdCrdDir())
    const found = new Set<string>()
    if (dir) {
      for (const f of ['application-crd.yaml', 'appproject-crd.yaml', 'applicationset-crd.yaml']) {
        let crds: CrdInfo[] = []
        try {
          crds = loadCrdFile(join(dir, f))
        } catch {
          continue
        }
        for (const c of crds) {
          for (const [version, schema] of Object.entries(c.versions)) this.types.push(customType(c, version, schema))
          found.add(c.kind)
        }
      }
    }
    for (const c of ARGO_FALLBACK) if (!found.has(c.kind)) this.types.push(customType(c, 'v1alpha1'))
    this.schemaSource = found.size > 0 ? dir! : 'none'
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) this.sendStatus(res, makeStatus(500, 'InternalError', `fake-apiserver: ${(e as Error).stack ?? e}`, {}))
        else res.end()
      })
    }
    if (opts.tls) {
      const {key, cert} = selfSignedCert()
      this.caPem = cert
      this.server = createHttpsServer({key, cert}, handler)
    } else {
      this.server = createServer(handler)
    }
  }

  listen(): Promise<void> {
    return new Promise((resolveListen) => {
      this.server.listen(0, '127.0.0.1', () => {
        const a = this.server.address() as AddressInfo
        this.url = `${this.caPem ? 'https' : 'http'}://127.0.0.1:${a.port}`
        resolveListen()
      })
    })
  }

  get resourceVersion(): string {
    return String(this.rv)
  }

  get openWatches(): number {
    return this.watchers.size
  }

  // ------------------------------------------------ test API

  writeKubeconfig(dir: string, opts: {namespace?: string; file?: string} = {}): string {
    mkdirSync(dir, {recursive: true})
    const path = join(dir, opts.file ?? 'kubeconfig')
    const ctx = (user: string) => ({cluster: 'fake', user, ...(opts.namespace ? {namespace: opts.namespace} : {})})
    const cfg = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{name: 'fake', cluster: {server: this.url, 'insecure-skip-tls-verify': true}}],
      users: [
        {name: 'admin', user: {token: 'admin-token'}},
        {name: 'readonly', user: {token: 'readonly-token'}},
        {name: 'badtoken', user: {token: 'nope'}},
        {name: 'anonymous', user: {}},
      ],
      contexts: ['admin', 'readonly', 'badtoken', 'anonymous'].map((n) => ({name: n, context: ctx(n)})),
      'current-context': 'admin',
      preferences: {},
    }
    writeFileSync(path, yamlStringify(cfg), {mode: 0o600})
    return path
  }

  put(obj: any, opts: PutOptions = {}): any {
    if (!isMap(obj) || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') throw new Error('put: object needs apiVersion and kind')
    const rt = this.typeForKind(obj.apiVersion, obj.kind)
    const name = obj.metadata?.name
    if (!name) throw new Error('put: object needs metadata.name')
    const ns = rt.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined
    const key = this.key(rt, ns, name)
    const cur = this.store.get(key)
    const validate = opts.validate !== false
    try {
      if (!validate) return clone(this.rawPut(rt, ns, name, clone(obj), cur?.obj))
      const m = obj.metadata ?? {}
      const plant = {
        uid: typeof m.uid === 'string' && m.uid ? m.uid : undefined,
        creationTimestamp: typeof m.creationTimestamp === 'string' && m.creationTimestamp ? m.creationTimestamp : undefined,
        generation: typeof m.generation === 'number' && m.generation > 0 ? m.generation : undefined,
      }
      const w: WriteOpts = {dryRun: false, fieldValidation: 'Strict', source: 'body', warnings: [], manager: 'fake-apiserver-put', plant}
      if (!cur) return clone(this.create(rt, ns, clone(obj), w).obj)
      const candidate = clone(obj)
      candidate.metadata = {...candidate.metadata, resourceVersion: cur.obj.metadata.resourceVersion, uid: cur.obj.metadata.uid}
      return clone(this.update(rt, ns, name, cur.obj, candidate, w).obj)
    } catch (e) {
      if (e instanceof StatusError) throw new Error(`put ${rt.kind} ${ns ? ns + '/' : ''}${name}: ${e.status.message}`)
      throw e
    }
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): any | undefined {
    const rt = this.typeForKind(apiVersion, kind)
    return clone(this.store.get(this.key(rt, rt.namespaced ? (namespace ?? 'default') : undefined, name))?.obj)
  }

  mutate(apiVersion: string, kind: string, namespace: string | undefined, name: string, fn: (obj: any) => void | any): any {
    const rt = this.typeForKind(apiVersion, kind)
    const ns = rt.namespaced ? (namespace ?? 'default') : undefined
    const cur = this.store.get(this.key(rt, ns, name))
    if (!cur) throw new Error(`mutate: ${rt.kind} ${ns ? ns + '/' : ''}${name} not found`)
    const draft = clone(cur.obj)
    const ret = fn(draft)
    // an arrow like `(a) => (a.x = 1)` returns the assigned value: only an object replaces the draft
    const candidate = isMap(ret) ? ret : draft
    if (isMap(candidate.metadata) && candidate.metadata.resourceVersion === undefined) candidate.metadata.resourceVersion = cur.obj.metadata.resourceVersion
    try {
      const w: WriteOpts = {dryRun: false, fieldValidation: 'Ignore', source: 'body', warnings: [], manager: 'argocd-application-controller'}
      return clone(this.update(rt, ns, name, cur.obj, candidate, w).obj)
    } catch (e) {
      if (e instanceof StatusError) throw new Error(`mutate ${rt.kind} ${ns ? ns + '/' : ''}${name}: ${e.status.message}`)
      throw e
    }
  }

  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const rt = this.typeForKind(apiVersion, kind)
    const ns = rt.namespaced ? (namespace ?? 'default') : undefined
    this.delete(rt, ns, name, false)
  }

  interruptNextList(match: FailureMatch, afterBytes: number, how: 'reset' | 'reset-on-release' | 'stall'): {release: () => void} {
    let release = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    this.interruptions.push({match, afterBytes, how, released})
    return {release}
  }

  capLists(n: number | undefined): void {
    this.listCap = n
  }

  failNext(match: FailureMatch, status: number, reason?: string, message?: string): void {
    this.failures.push({match, status: genericStatus(status, reason, message)})
  }

  answerNext(match: FailureMatch, status: number, body: string, contentType = 'application/json'): void {
    this.failures.push({match, status: genericStatus(status), raw: {status, body, contentType}})
  }

  delay(ms: number): void {
    this.delayMs = ms
  }

  compact(): void {
    this.compactedRv = this.rv
    this.history = []
  }

  closeWatches(): void {
    for (const w of [...this.watchers]) this.endWatch(w)
  }

  resetWatches(): void {
    for (const w of [...this.watchers]) {
      if (w.timer) clearTimeout(w.timer)
      this.watchers.delete(w)
      w.res.socket?.resetAndDestroy()
    }
  }

  private port = 0

  async goAway(): Promise<void> {
    this.port = (this.server.address() as AddressInfo).port
    this.resetWatches()
    await new Promise<void>((r) => {
      this.server.close(() => r())
      this.server.closeAllConnections()
    })
  }

  comeBack(): Promise<void> {
    return new Promise((r) => {
      this.server.listen(this.port, '127.0.0.1', () => r())
    })
  }

  async stop(): Promise<void> {
    this.closeWatches()
    if (!this.server.listening) return
    await new Promise<void>((r) => {
      this.server.close(() => r())
      this.server.closeAllConnections()
    })
  }

  // ------------------------------------------------ store

  private typeForKind(apiVersion: string, kind: string): ResourceType {
    const [group, version] = splitApiVersion(apiVersion)
    const rt = this.types.find((t) => t.group === group && t.version === version && t.kind === kind)
    if (!rt) throw new Error(`fake-apiserver: unknown kind ${kind} in ${apiVersion}`)
    return rt
  }

  private key(rt: ResourceType, ns: string | undefined, name: string): string {
    return `${rt.group}/${rt.plural}/${ns ?? ''}/${name}`
  }

  private objectsOf(rt: ResourceType, ns?: string): Array<{key: string; obj: any}> {
    const out: Array<{key: string; obj: any}> = []
    for (const [, s] of this.store) {
      if (s.rt.group !== rt.group || s.rt.plural !== rt.plural) continue
      const ons: string | undefined = s.obj.metadata.namespace
      if (ns !== undefined && ons !== ns) continue
      // the etcd key relative to the list prefix, which is also the sort and continue key
      out.push({key: rt.namespaced && ns === undefined ? `/${ons}/${s.obj.metadata.name}` : `/${s.obj.metadata.name}`, obj: s.obj})
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  /** Objects served by a version carry that apiVersion (all versions share one store). */
  private served(rt: ResourceType, obj: any): any {
    const o = clone(obj)
    o.apiVersion = gvString(rt.group, rt.version)
    o.kind = rt.kind
    return o
  }

  private nextRv(): number {
    return ++this.rv
  }

  private emit(type: HistoryEvent['type'], rt: ResourceType, obj: any, prev?: any): void {
    const ev: HistoryEvent = {rv: Number(obj.metadata.resourceVersion), type, rt, obj: clone(obj), prev: prev === undefined ? undefined : clone(prev)}
    this.history.push(ev)
    for (const w of this.watchers) this.deliver(w, ev)
  }

  private rawPut(rt: ResourceType, ns: string | undefined, name: string, obj: any, existing: any): any {
    obj.metadata = {...(obj.metadata ?? {})}
    if (ns !== undefined) obj.metadata.namespace = ns
    else delete obj.metadata.namespace
    obj.metadata.uid = obj.metadata.uid ?? existing?.metadata.uid ?? randomUUID()
    obj.metadata.creationTimestamp = obj.metadata.creationTimestamp ?? existing?.metadata.creationTimestamp ?? rfc3339(this.now())
    if (rt.generation !== 'none' && obj.metadata.generation === undefined) obj.metadata.generation = existing?.metadata.generation ?? 1
    obj.metadata.resourceVersion = String(this.nextRv())
    this.store.set(this.key(rt, ns, name), {rt, obj})
    this.emit(existing ? 'MODIFIED' : 'ADDED', rt, obj, existing)
    return obj
  }

  // ------------------------------------------------ the write paths (shared by HTTP and the test API)

  /**
   * The request decoder: CR pruning + null pruning + ObjectMeta coercion.
   * Returns the decoded object; unknown-field warnings go to w.warnings.
   */
  private decode(rt: ResourceType, candidate: unknown, w: WriteOpts): any {
    if (!isMap(candidate)) {
      throw this.decodeError(rt, candidate, `json: cannot unmarshal ${goJsonType(candidate)} into Go value of type map[string]interface {}`, w)
    }
    const obj = clone(candidate)
    if (obj.kind === undefined || obj.kind === null || obj.kind === '') throw this.decodeError(rt, candidate, `Object 'Kind' is missing in '${JSON.stringify(sortKeys(candidate))}'`, w)
    let unknown: string[] = []
    if (rt.schema) {
      unknown = pruneUnknownFields(obj, rt.schema)
      pruneNonNullableNulls(obj, rt.schema)
    } else {
      // built-in types decode into Go structs (null → zero value, omitted); CRs
      // without a schema here: Argo CD's CRDs declare nothing nullable
      const meta = obj.metadata
      delete obj.metadata
      pruneAllNullMapValues(obj)
      if (meta !== undefined) obj.metadata = meta
    }
    const cm = coerceObjectMeta(obj.metadata)
    if (cm.error) throw this.decodeError(rt, candidate, cm.error, w)
    if (cm.meta) obj.metadata = cm.meta
    else delete obj.metadata
    unknown = [...unknown, ...cm.unknown].sort()
    if (unknown.length > 0) {
      if (w.fieldValidation === 'Strict') {
        throw this.decodeError(rt, candidate, `strict decoding error: ${unknown.map((u) => `unknown field ${q(u)}`).join(', ')}`, w)
      }
      if (w.fieldValidation === 'Warn') w.warnings.push(...unknown.map((u) => `unknown field ${q(u)}`))
    }
    if (rt.group === '' && rt.kind === 'Secret' && isMap(obj.stringData)) {
      obj.data = {...(obj.data ?? {})}
      for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v)).toString('base64')
      delete obj.stringData
    }
    return obj
  }

  private decodeError(rt: ResourceType, candidate: unknown, msg: string, w: WriteOpts): StatusError {
    if (w.source === 'body') {
      return badRequest(`${rt.kind} in version ${q(rt.version)} cannot be handled as a ${rt.kind}: ${msg}`)
    }
    const js = JSON.stringify(sortKeys(candidate))
    return invalid({group: '', kind: ''}, '', [{type: 'FieldValueInvalid', field: 'patch', body: `Invalid value: ${q(js)}: ${msg}`}])
  }

  /** kind / apiVersion of a decoded body must be the resource's. */
  private checkKind(rt: ResourceType, obj: any, name: string): void {
    if (obj.kind !== rt.kind) {
      throw invalid({group: rt.group, kind: String(obj.kind)}, name, [{type: 'FieldValueInvalid', field: 'kind', body: `Invalid value: ${q(String(obj.kind))}: must be ${rt.kind}`}])
    }
    const gv = gvString(rt.group, rt.version)
    if (obj.apiVersion !== gv && !(typeof obj.apiVersion === 'string' && splitApiVersion(obj.apiVersion)[0] === rt.group && this.types.some((t) => t.group === rt.group && t.plural === rt.plural && gvString(t.group, t.version) === obj.apiVersion))) {
      throw invalid({group: rt.group, kind: rt.kind}, name, [{type: 'FieldValueInvalid', field: 'apiVersion', body: `Invalid value: ${q(String(obj.apiVersion))}: must be ${gv}`}])
    }
  }

  /** ValidateObjectMetaAccessor: checks on the new object alone (labels). */
  private metaAccessorErrors(newObj: any): FieldError[] {
    const errs: FieldError[] = []
    for (const v of Object.values<string>(newObj.metadata?.labels ?? {})) {
      if (v.length > 63) errs.push({type: 'FieldValueInvalid', field: 'metadata.labels', body: `Invalid value: ${q(v)}: must be no more than 63 characters`})
      else if (!LABEL_VALUE_RE.test(v)) errs.push({type: 'FieldValueInvalid', field: 'metadata.labels', body: `Invalid value: ${q(v)}: ${LABEL_VALUE_MSG}`})
    }
    return errs
  }

  /** ValidateObjectMetaAccessorUpdate, in its order: finalizers, …, uid, …, deletionTimestamp, labels. */
  private metaUpdateErrors(newObj: any, oldObj: any): FieldError[] {
    const errs: FieldError[] = []
    const nm = newObj.metadata ?? {}
    const om = oldObj.metadata
    if (om.deletionTimestamp) {
      const extra = [...new Set<string>(nm.finalizers ?? [])].filter((f) => !(om.finalizers ?? []).includes(f)).sort()
      if (extra.length > 0) {
        errs.push({
          type: 'FieldValueForbidden',
          field: 'metadata.finalizers',
          body: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map(q).join(', ')}}`,
        })
      }
    }
    if (nm.uid !== om.uid) errs.push({type: 'FieldValueInvalid', field: 'metadata.uid', body: `Invalid value: ${q(nm.uid ?? '')}: field is immutable`})
    if ((nm.deletionTimestamp ?? null) !== (om.deletionTimestamp ?? null)) {
      // kube-apiserver v1.34 renders the value as JSON: "\"2020-01-01T00:00:00Z\"" (v1.32: 2020-01-01 00:00:00 +0000 UTC)
      const t = nm.deletionTimestamp ? JSON.stringify(new Date(nm.deletionTimestamp).toISOString().replace(/\.000Z$/, 'Z')) : 'null'
      errs.push({type: 'FieldValueInvalid', field: 'metadata.deletionTimestamp', body: `Invalid value: ${t}: field is immutable`})
    }
    return [...errs, ...this.metaAccessorErrors(newObj)]
  }

  private schemaErrors(rt: ResourceType, newObj: any, oldObj: any | undefined): FieldError[] {
    if (rt.schema) return ratchet(validateAgainstSchema(newObj, rt.schema), newObj, oldObj)
    if (!rt.custom) return []
    // no CRD schema: the one rule Argo CD's CRDs imply everywhere — no nulls in lists
    const errs: FieldError[] = []
    const walk = (x: unknown, path: string) => {
      if (Array.isArray(x)) {
        const itemType = x.some((i) => isMap(i)) ? 'object' : x.some((i) => typeof i === 'string') ? 'string' : 'object'
        x.forEach((v, i) => {
          const p = `${path}[${i}]`
          if (v === null) errs.push({type: 'FieldValueTypeInvalid', field: p, body: `Invalid value: "null": ${p} in body must be of type ${itemType}: "null"`})
          else walk(v, p)
        })
      } else if (isMap(x)) {
        for (const k of Object.keys(x).sort()) if (!(path === '' && k === 'metadata')) walk(x[k], path ? `${path}.${k}` : k)
      }
    }
    walk(newObj, '')
    return ratchet(errs, newObj, oldObj)
  }

  private touchManagedFields(obj: any, old: any | undefined, manager: string | undefined, rt: ResourceType): void {
    if (!manager) return
    const changed = fieldsDiff(obj, old, true)
    if (Object.keys(changed).length === 0) return
    const apiVersion = gvString(rt.group, rt.version)
    const entries: any[] = Array.isArray(obj.metadata.managedFields) ? obj.metadata.managedFields : []
    const e = entries.find((x) => x.manager === manager && x.operation === 'Update' && x.apiVersion === apiVersion)
    const time = rfc3339(this.now())
    if (e) {
      e.fieldsV1 = mergeFields(e.fieldsV1 ?? {}, changed)
      e.time = time
    } else {
      entries.push({apiVersion, fieldsType: 'FieldsV1', fieldsV1: changed, manager, operation: 'Update', time})
    }
    obj.metadata.managedFields = entries
  }

  private create(rt: ResourceType, reqNs: string | undefined, body: unknown, w: WriteOpts): {code: number; obj: any} {
    const obj = this.decode(rt, body, w)
    const meta = (obj.metadata ??= {})
    if (!meta.name && meta.generateName) meta.name = meta.generateName + Math.random().toString(36).slice(2, 7)
    const name: string = meta.name ?? ''
    this.checkKind(rt, obj, name)
    if (rt.namespaced) {
      if (meta.namespace && meta.namespace !== reqNs) throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
      meta.namespace = reqNs
    } else {
      delete meta.namespace
    }
    if (!name) {
      throw invalid({group: rt.group, kind: rt.kind}, '', [{type: 'FieldValueRequired', field: 'metadata.name', body: 'Required value: name or generateName is required'}])
    }
    const key = this.key(rt, reqNs, name)
    if (this.store.has(key)) throw alreadyExists(rt, name)
    // FillObjectMetaSystemFields + BeforeCreate
    meta.uid = w.plant?.uid ?? randomUUID()
    meta.creationTimestamp = w.plant?.creationTimestamp ?? rfc3339(this.now())
    delete meta.deletionTimestamp
    delete meta.deletionGracePeriodSeconds
    delete meta.resourceVersion
    delete meta.managedFields
    if (rt.generation !== 'none') meta.generation = w.plant?.generation ?? 1
    else delete meta.generation
    // BeforeCreate's validateCommonFields and strategy.Validate both run ValidateObjectMetaAccessor
    const accessor = this.metaAccessorErrors(obj)
    const errs = [...accessor, ...accessor, ...this.schemaErrors(rt, obj, undefined)]
    if (errs.length > 0) throw invalid({group: rt.group, kind: rt.kind}, name, errs)
    this.touchManagedFields(obj, undefined, w.manager, rt)
    if (w.dryRun) return {code: 201, obj}
    meta.resourceVersion = String(this.nextRv())
    this.store.set(key, {rt, obj})
    this.emit('ADDED', rt, obj)
    return {code: 201, obj}
  }

  /** GuaranteedUpdate + BeforeUpdate + validation, as Store.Update runs them for PATCH and PUT. */
  private update(rt: ResourceType, reqNs: string | undefined, reqName: string, current: any, candidate: unknown, w: WriteOpts): {code: number; obj: any} {
    const obj = this.decode(rt, candidate, w)
    // ensure the namespace matches the request (patcher.applyPatch)
    const meta = (obj.metadata ??= {})
    if (rt.namespaced) {
      if (!meta.namespace) meta.namespace = reqNs
      else if (meta.namespace !== reqNs) throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
    } else {
      delete meta.namespace
    }
    // checkName
    if (!meta.name) throw badRequest(`the name of the object (${reqName} based on URL) was undeterminable: name must be provided`)
    if (meta.name !== reqName) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${reqName})`)
    this.checkKind(rt, obj, reqName)
    // resourceVersion precondition (Store.Update)
    const curRv = Number(current.metadata.resourceVersion)
    if (meta.resourceVersion === undefined) {
      if (!rt.allowUnconditionalUpdate) {
        throw invalid({group: rt.group, kind: rt.plural}, reqName, [{type: 'FieldValueInvalid', field: 'metadata.resourceVersion', body: 'Invalid value: 0: must be specified for an update'}])
      }
      meta.resourceVersion = current.metadata.resourceVersion
    } else {
      const n = parseRv(meta.resourceVersion)
      if (typeof n === 'string') throw err(500, undefined, n)
      if (n !== curRv) throw conflict(rt, reqName)
    }
    // BeforeUpdate: system fields come from the stored object
    const om = current.metadata
    if (om.generation !== undefined) meta.generation = om.generation
    else delete meta.generation
    if (rt.generation === 'nonMetadata' && !deepEqual(nonMetadata(obj), nonMetadata(current))) meta.generation = (om.generation ?? 0) + 1
    if (rt.generation === 'spec' && !deepEqual(obj.spec, current.spec)) meta.generation = (om.generation ?? 0) + 1
    if (!meta.uid) meta.uid = om.uid
    if (om.creationTimestamp) meta.creationTimestamp = om.creationTimestamp
    if (om.deletionTimestamp) meta.deletionTimestamp = om.deletionTimestamp
    if (om.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds === undefined) meta.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds
    // validateCommonFields runs ValidateObjectMetaAccessor + …Update, strategy.ValidateUpdate …Update again
    const upd = this.metaUpdateErrors(obj, current)
    const errs = [...this.metaAccessorErrors(obj), ...upd, ...upd, ...this.schemaErrors(rt, obj, current)]
    if (errs.length > 0) throw invalid({group: rt.group, kind: rt.kind}, reqName, errs)
    if (w.plant) {
      if (w.plant.uid) meta.uid = w.plant.uid
      if (w.plant.creationTimestamp) meta.creationTimestamp = w.plant.creationTimestamp
      if (w.plant.generation !== undefined && rt.generation !== 'none') meta.generation = w.plant.generation
    }
    // nothing changed: no write, no new resourceVersion, no event
    if (deepEqual(withoutVolatile(obj), withoutVolatile(current))) return {code: 200, obj: clone(current)}
    this.touchManagedFields(obj, current, w.manager, rt)
    const key = this.key(rt, reqNs, reqName)
    if (meta.deletionTimestamp && (meta.finalizers ?? []).length === 0) {
      // the last finalizer is gone: the update becomes the deletion
      if (!w.dryRun) {
        const gone = clone(obj)
        gone.metadata.resourceVersion = String(this.nextRv())
        this.store.delete(key)
        this.emit('DELETED', rt, gone, current)
      }
      return {code: 200, obj}
    }
    if (w.dryRun) return {code: 200, obj}
    meta.resourceVersion = String(this.nextRv())
    this.store.set(key, {rt, obj})
    this.emit('MODIFIED', rt, obj, current)
    return {code: 200, obj}
  }

  private delete(rt: ResourceType, ns: string | undefined, name: string, dryRun: boolean): {code: number; body: any} {
    const key = this.key(rt, ns, name)
    const cur = this.store.get(key)
    if (!cur) throw notFound(rt, name)
    const obj = clone(cur.obj)
    if (obj.metadata.deletionTimestamp) return {code: 200, body: obj}
    if ((obj.metadata.finalizers ?? []).length > 0) {
      obj.metadata.deletionTimestamp = rfc3339(this.now())
      obj.metadata.deletionGracePeriodSeconds = 0
      if ((obj.metadata.generation ?? 0) > 0) obj.metadata.generation += 1
      if (dryRun) return {code: 200, body: obj}
      obj.metadata.resourceVersion = String(this.nextRv())
      this.store.set(key, {rt, obj})
      this.emit('MODIFIED', rt, obj, cur.obj)
      return {code: 200, body: obj}
    }
    const status = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: {name, ...(rt.group ? {group: rt.group} : {}), kind: rt.plural, uid: obj.metadata.uid}}
    if (dryRun) return {code: 200, body: status}
    obj.metadata.resourceVersion = String(this.nextRv())
    this.store.delete(key)
    this.emit('DELETED', rt, obj, cur.obj)
    return {code: 200, body: status}
  }

  // ------------------------------------------------ HTTP

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const raw = await new Promise<string>((r, j) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => r(Buffer.concat(chunks).toString('utf8')))
      req.on('error', j)
    })
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
    let body: any
    if (raw !== '') {
      try {
        body = JSON.parse(raw)
      } catch {
        body = raw
      }
    }
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: headers['content-type'],
      body,
      headers,
    }
    this.requests.push(rec)
    res.on('finish', () => {
      rec.status = res.statusCode
    })
    if (this.delayMs > 0) await sleep(this.delayMs)

    const fi = this.failures.findIndex((f) => this.matches(f.match, rec))
    if (fi >= 0) {
      const [f] = this.failures.splice(fi, 1)
      if (f.raw) {
        res.writeHead(f.raw.status, {'Content-Type': f.raw.contentType})
        res.end(f.raw.body)
      } else this.sendStatus(res, f.status)
      return
    }

    // authentication
    const auth = headers.authorization
    let user: User
    if (auth === undefined) {
      user = this.opts.anonymousAs ? TOKENS[`${this.opts.anonymousAs}-token`] : {name: 'system:anonymous', readonly: true, anonymous: true}
    } else {
      const m = /^Bearer\s+(.+)$/i.exec(auth)
      const u = m ? TOKENS[m[1].trim()] : undefined
      if (!u) {
        this.sendStatus(res, unauthorized().status)
        return
      }
      user = u
    }
    rec.user = user.name

    try {
      await this.route(req, res, url, rec, raw, user)
    } catch (e) {
      if (e instanceof StatusError) {
        if (e.detail) {
          this.lastPatchError = e.detail
          res.setHeader('X-Fake-Apiserver-Detail', e.detail.replace(/[^\x20-\x7e]/g, '?'))
        }
        this.sendStatus(res, e.status)
        return
      }
      throw e
    }
  }

  private matches(m: FailureMatch, rec: RecordedRequest): boolean {
    if (m.method && m.method.toUpperCase() !== rec.method) return false
    if (m.pathIncludes && !rec.path.includes(m.pathIncludes)) return false
    if (m.dryRun !== undefined && (rec.query.dryRun === 'All') !== m.dryRun) return false
    if (m.watch !== undefined && (rec.query.watch === 'true' || rec.query.watch === '1') !== m.watch) return false
    if (m.paginated !== undefined && (rec.query.limit !== undefined) !== m.paginated) return false
    return true
  }

  private send(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
    const text = JSON.stringify(body)
    const h: Record<string, string | string[]> = {'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': String(Buffer.byteLength(text))}
    if (warnings.length > 0) h.Warning = [...new Set(warnings)].map((w) => `299 - ${q(w)}`)
    res.writeHead(code, h)
    res.end(text)
  }

  private sendStatus(res: ServerResponse, status: Status): void {
    this.send(res, status.code ?? 500, status)
  }

  private sendText404(res: ServerResponse): void {
    res.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff'})
    res.end('404 page not found\n')
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, rec: RecordedRequest, raw: string, user: User): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/'
    const method = rec.method
    const publicPaths = ['/version', '/healthz', '/livez', '/readyz']
    if (publicPaths.includes(path)) {
      if (path === '/version') {
        this.send(res, 200, {
          major: '1',
          minor: '32',
          gitVersion: 'v1.32.0-fake',
          gitCommit: 'fake',
          gitTreeState: 'clean',
          buildDate: '1970-01-01T00:00:00Z',
          goVersion: 'go1.23.0',
          compiler: 'gc',
          platform: 'linux/amd64',
        })
      } else {
        res.writeHead(200, {'Content-Type': 'text/plain; charset=utf-8'})
        res.end('ok')
      }
      return
    }
    const segs = path.split('/').filter(Boolean)
    // discovery
    if (segs[0] === 'api' || segs[0] === 'apis') {
      const disc = this.discovery(segs)
      if (disc !== undefined) {
        if (user.anonymous) throw forbiddenPath(user.name, 'get', path)
        if (disc === null) this.sendText404(res)
        else this.send(res, 200, disc)
        return
      }
    } else {
      if (user.anonymous) throw forbiddenPath(user.name, method.toLowerCase(), path)
      this.sendText404(res)
      return
    }

    let group: string
    let version: string
    let rest: string[]
    if (segs[0] === 'api') {
      group = ''
      version = segs[1]
      rest = segs.slice(2)
    } else {
      group = segs[1]
      version = segs[2]
      rest = segs.slice(3)
    }
    let watch = parseBool(rec.query.watch)
    if (rest[0] === 'watch') {
      watch = true
      rest = rest.slice(1)
    }
    let ns: string | undefined
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]))) {
      ns = rest[1]
      rest = rest.slice(2)
    }
    const [plural, name, sub] = rest
    const rt = this.types.find((t) => t.group === group && t.version === version && t.plural === plural)
    if (!rt || rest.length > 3 || (!rt.namespaced && ns !== undefined) || (rt.namespaced && ns === undefined && name !== undefined)) {
      if (user.anonymous) throw forbiddenPath(user.name, method.toLowerCase(), path)
      this.sendText404(res)
      return
    }
    // namespaces/{name}: RequestInfo puts the name in the namespace field
    const authzNs = rt.plural === 'namespaces' && name ? name : ns

    let verb: string
    switch (method) {
      case 'GET':
        verb = name ? 'get' : watch ? 'watch' : 'list'
        break
      case 'POST':
        verb = 'create'
        break
      case 'PUT':
        verb = 'update'
        break
      case 'PATCH':
        verb = 'patch'
        break
      case 'DELETE':
        verb = name ? 'delete' : 'deletecollection'
        break
      default:
        throw err(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})
    }
    if (user.anonymous || (user.readonly && !['get', 'list', 'watch'].includes(verb))) {
      throw forbidden(user.name, verb, rt, authzNs, name, sub)
    }
    if (sub !== undefined) {
      // Argo CD's CRDs declare no subresources: the CRD handler answers NotFound for the object
      if (rt.custom) throw notFound(rt, name)
      throw err(404, 'NotFound', 'the server could not find the requested resource', {})
    }
    const dryRunVals = url.searchParams.getAll('dryRun')
    if (dryRunVals.some((v) => v !== 'All') && method !== 'GET') {
      const kind = method === 'PATCH' ? 'PatchOptions' : method === 'POST' ? 'CreateOptions' : method === 'PUT' ? 'UpdateOptions' : 'DeleteOptions'
      throw invalid({group: 'meta.k8s.io', kind}, '', [
        {type: 'FieldValueNotSupported', field: 'dryRun', body: `Unsupported value: ${JSON.stringify(dryRunVals)}: supported values: "All"`},
      ])
    }
    const dryRun = dryRunVals.includes('All')
    const fv = rec.query.fieldValidation
    const fieldValidation: WriteOpts['fieldValidation'] = fv === 'Ignore' || fv === 'Strict' ? fv : 'Warn'
    const manager = rec.query.fieldManager || (rec.headers['user-agent'] ?? 'unknown').split('/')[0].slice(0, 128)
    const w: WriteOpts = {dryRun, fieldValidation, manager, source: 'body', warnings: []}

    switch (verb) {
      case 'get': {
        const s = this.store.get(this.key(rt, ns, name))
        if (!s) throw notFound(rt, name)
        this.send(res, 200, this.served(rt, s.obj))
        return
      }
      case 'list':
        this.list(res, rt, ns, rec.query, rec)
        return
      case 'watch':
        this.watch(req, res, rt, ns, rec.query)
        return
      case 'create': {
        const parsed = this.parseBody(rt, raw)
        const r = this.create(rt, ns, parsed, w)
        this.send(res, r.code, this.served(rt, r.obj), w.warnings)
        return
      }
      case 'update': {
        const parsed = this.parseBody(rt, raw)
        const cur = this.store.get(this.key(rt, ns, name))
        if (!cur) throw notFound(rt, name)
        const r = this.update(rt, ns, name, cur.obj, parsed, w)
        this.send(res, r.code, this.served(rt, r.obj), w.warnings)
        return
      }
      case 'patch':
        await this.patch(res, rt, ns, name, rec, raw, w)
        return
      case 'delete': {
        const r = this.delete(rt, ns, name, dryRun)
        this.send(res, r.code, r.body.kind === 'Status' ? r.body : this.served(rt, r.body))
        return
      }
      default:
        throw err(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})
    }
  }

  private parseBody(rt: ResourceType, raw: string): unknown {
    try {
      return parseJsonGo(raw)
    } catch (e) {
      throw badRequest(`${rt.kind} in version ${q(rt.version)} cannot be handled as a ${rt.kind}: ${(e as Error).message}`)
    }
  }

  private discovery(segs: string[]): unknown | null | undefined {
    const groups = new Map<string, ResourceType[]>()
    for (const t of this.types) if (t.group !== '') groups.set(t.group, [...(groups.get(t.group) ?? []), t])
    const resources = (group: string, version: string) => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gvString(group, version),
      resources: this.types
        .filter((t) => t.group === group && t.version === version)
        .map((t) => ({
          name: t.plural,
          singularName: t.singular,
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
          ...(t.shortNames.length > 0 ? {shortNames: t.shortNames} : {}),
        })),
    })
    const groupInfo = (g: string) => {
      const versions = [...new Set(groups.get(g)!.map((t) => t.version))]
      return {
        name: g,
        versions: versions.map((v) => ({groupVersion: `${g}/${v}`, version: v})),
        preferredVersion: {groupVersion: `${g}/${versions[0]}`, version: versions[0]},
      }
    }
    if (segs[0] === 'api') {
      if (segs.length === 1) return {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress: this.url.replace(/^https?:\/\//, '')}]}
      if (segs.length === 2) return segs[1] === 'v1' ? resources('', 'v1') : null
      return undefined
    }
    if (segs.length === 1) return {kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups.keys()].sort().map(groupInfo)}
    if (segs.length === 2) return groups.has(segs[1]) ? {kind: 'APIGroup', apiVersion: 'v1', ...groupInfo(segs[1])} : null
    if (segs.length === 3) return this.types.some((t) => t.group === segs[1] && t.version === segs[2]) ? resources(segs[1], segs[2]) : null
    return undefined
  }

  // ------------------------------------------------ list / watch

  private selectors(rt: ResourceType, query: Record<string, string>): {labels: LabelRequirement[]; fields: FieldRequirement[]} {
    try {
      return {
        labels: parseLabelSelector(query.labelSelector),
        fields: parseFieldSelector(query.fieldSelector, ['metadata.name', 'metadata.namespace', ...rt.fields]),
      }
    } catch (e) {
      if (e instanceof SelectorError) throw badRequest(e.message)
      throw e
    }
  }

  private list(res: ServerResponse, rt: ResourceType, ns: string | undefined, query: Record<string, string>, rec: RecordedRequest): void {
    const {labels, fields} = this.selectors(rt, query)
    let listRv = this.rv
    let start: string | undefined
    if (query.continue) {
      try {
        const tok = JSON.parse(Buffer.from(query.continue, 'base64url').toString('utf8'))
        if (tok.v !== 'meta.k8s.io/v1' || typeof tok.rv !== 'number' || typeof tok.start !== 'string') throw new Error('bad token')
        listRv = tok.rv
        start = tok.start
      } catch {
        throw badRequest('invalid continue token: continue key is not valid')
      }
      if (listRv < this.compactedRv) {
        throw err(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.')
      }
    }
    const all = this.objectsOf(rt, ns).filter((e) => start === undefined || e.key >= start)
    const match = (o: any) => matchLabels(labels, o.metadata.labels) && matchFields(fields, o)
    const asked = query.limit ? Number(query.limit) : 0
    const limit = this.listCap !== undefined && (asked === 0 || asked > this.listCap) ? this.listCap : asked
    const items: any[] = []
    let cont = ''
    let remaining: number | undefined
    for (let i = 0; i < all.length; i++) {
      if (!match(all[i].obj)) continue
      items.push(all[i].obj)
      if (limit > 0 && items.length === limit) {
        if (i < all.length - 1) {
          cont = Buffer.from(JSON.stringify({v: 'meta.k8s.io/v1', rv: listRv, start: all[i].key + '\u0000'})).toString('base64url')
          if (labels.length === 0 && fields.length === 0) remaining = all.length - 1 - i
        }
        break
      }
    }
    const gv = gvString(rt.group, rt.version)
    const metadata: Record<string, unknown> = {}
    if (rt.custom) {
      metadata.continue = cont
      if (remaining !== undefined) metadata.remainingItemCount = remaining
      metadata.resourceVersion = String(listRv)
    } else {
      metadata.resourceVersion = String(listRv)
      if (cont) metadata.continue = cont
      if (remaining !== undefined) metadata.remainingItemCount = remaining
    }
    // custom resource list items carry apiVersion/kind; built-in list items do not
    const out = items.map((o) => {
      const s = this.served(rt, o)
      if (!rt.custom) {
        delete s.apiVersion
        delete s.kind
      }
      return s
    })
    const body = rt.custom ? {apiVersion: gv, items: out, kind: rt.listKind, metadata} : {kind: rt.listKind, apiVersion: gv, metadata, items: out}
    const ii = this.interruptions.findIndex((x) => this.matches(x.match, rec))
    const json = Buffer.from(JSON.stringify(body))
    // APIResponseCompression (on by default): a response of 128 KiB or more is gzipped (level 1) for a client that accepts it.
    const gzip = json.length >= 128 * 1024 && /\bgzip\b/.test(rec.headers['accept-encoding'] ?? '')
    if (ii < 0 && !gzip) {
      this.send(res, 200, body)
      return
    }
    const text = gzip ? gzipSync(json, {level: 1}) : json
    // No Content-Length: chunked, as a large list is streamed.
    res.writeHead(200, {'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...(gzip ? {'Content-Encoding': 'gzip', Vary: 'Accept-Encoding'} : {})})
    if (ii < 0) {
      res.end(text)
      return
    }
    const [cut] = this.interruptions.splice(ii, 1)
    res.write(text.subarray(0, cut.afterBytes))
    if (cut.how === 'reset') {
      // Let the first bytes leave, then drop the connection (RST).
      setTimeout(() => res.socket?.resetAndDestroy(), 50)
      return
    }
    void cut.released.then(() => {
      if (res.destroyed) return
      // 'reset-on-release': the test has seen what it needed arrive; only now drop the connection.
      if (cut.how === 'reset-on-release') res.socket?.resetAndDestroy()
      else res.end(text.subarray(cut.afterBytes))
    })
  }

  private watch(req: IncomingMessage, res: ServerResponse, rt: ResourceType, ns: string | undefined, query: Record<string, string>): void {
    const {labels, fields} = this.selectors(rt, query)
    const rvParam = query.resourceVersion
    let fromRv: number | undefined
    if (rvParam !== undefined && rvParam !== '' && rvParam !== '0') {
      const n = parseRv(rvParam)
      if (typeof n === 'string') throw err(500, undefined, `resourceVersion: Invalid value: ${q(rvParam)}: ${n}`)
      fromRv = n
    }
    res.writeHead(200, {'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked'})
    res.flushHeaders()
    const w: Watcher = {rt, namespace: ns, labels, fields, res}
    if (fromRv !== undefined && fromRv < this.compactedRv) {
      const st = makeStatus(410, 'Expired', `too old resource version: ${fromRv} (${this.compactedRv})`)
      res.end(JSON.stringify({type: 'ERROR', object: st}) + '\n')
      return
    }
    if (fromRv === undefined) {
      for (const {obj} of this.objectsOf(rt, ns)) if (this.watchMatch(w, obj)) this.writeEvent(w, 'ADDED', obj)
    } else {
      for (const ev of this.history) if (ev.rv > fromRv) this.deliver(w, ev)
    }
    this.watchers.add(w)
    const timeout = Number(query.timeoutSeconds)
    if (timeout > 0) w.timer = setTimeout(() => this.endWatch(w), timeout * 1000)
    const onClose = () => {
      if (w.timer) clearTimeout(w.timer)
      this.watchers.delete(w)
    }
    req.on('close', onClose)
    res.on('close', onClose)
  }

  private endWatch(w: Watcher): void {
    if (w.timer) clearTimeout(w.timer)
    this.watchers.delete(w)
    if (!w.res.writableEnded) w.res.end()
  }

  private watchMatch(w: Watcher, obj: any): boolean {
    if (w.namespace !== undefined && obj.metadata.namespace !== w.namespace) return false
    return matchLabels(w.labels, obj.metadata.labels) && matchFields(w.fields, obj)
  }

  private deliver(w: Watcher, ev: HistoryEvent): void {
    if (ev.rt.group !== w.rt.group || ev.rt.plural !== w.rt.plural) return
    const cur = this.watchMatch(w, ev.obj)
    const prev = ev.prev !== undefined && this.watchMatch(w, ev.prev)
    switch (ev.type) {
      case 'ADDED':
        if (cur) this.writeEvent(w, 'ADDED', ev.obj)
        return
      case 'DELETED':
        if (cur) this.writeEvent(w, 'DELETED', ev.obj)
        return
      case 'MODIFIED':
        // the watch cache turns selector transitions into ADDED / DELETED
        if (cur && prev) this.writeEvent(w, 'MODIFIED', ev.obj)
        else if (cur) this.writeEvent(w, 'ADDED', ev.obj)
        else if (prev) this.writeEvent(w, 'DELETED', ev.obj)
    }
  }

  private writeEvent(w: Watcher, type: string, obj: any): void {
    if (w.res.writableEnded || w.res.destroyed) return
    w.res.write(JSON.stringify({type, object: this.served(w.rt, obj)}) + '\n')
  }

  // ------------------------------------------------ patch

  private async patch(res: ServerResponse, rt: ResourceType, ns: string | undefined, name: string, rec: RecordedRequest, raw: string, w: WriteOpts): Promise<void> {
    const ct = (rec.contentType ?? '').split(';')[0].trim()
    const accepted = rt.custom ? [JSON_PATCH, MERGE_PATCH, APPLY] : [JSON_PATCH, MERGE_PATCH, SMP, APPLY]
    if (!accepted.includes(ct)) {
      if (rt.custom) throw err(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`)
      // built-in resources: go-restful rejects the media type before the handler
      throw err(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {})
    }
    if (ct === APPLY) throw err(500, 'InternalError', 'fake-apiserver: server-side apply (application/apply-patch+yaml) is not implemented', {})
    if (this.onBeforeAnyPatch) await this.onBeforeAnyPatch(rec)
    if (!w.dryRun && this.onBeforePatch) await this.onBeforePatch(rec)
    const cur = this.store.get(this.key(rt, ns, name))
    if (!cur) throw notFound(rt, name)
    const current = this.served(rt, cur.obj)
    w.source = 'patch'

    let patched: unknown
    const strict = w.fieldValidation !== 'Ignore'
    const decodeErr = (m: string) => badRequest(strict ? `error decoding patch: ${m}` : m)
    let body: unknown
    try {
      body = parseJsonGo(raw)
    } catch (e) {
      throw decodeErr((e as Error).message)
    }
    if (ct === JSON_PATCH) {
      if (strict) {
        // kjson.UnmarshalStrict into []handlers.jsonPatchOp
        if (body !== null && !Array.isArray(body)) throw decodeErr(`json: cannot unmarshal ${goJsonType(body)} into Go value of type []handlers.jsonPatchOp`)
        for (const [i, op] of ((body as unknown[] | null) ?? []).entries()) {
          if (op === null) continue
          if (!isMap(op)) throw decodeErr(`json: cannot unmarshal ${goJsonType(op)} into Go value of type handlers.jsonPatchOp`)
          for (const f of ['op', 'path', 'from']) {
            if (op[f] !== undefined && op[f] !== null && typeof op[f] !== 'string') throw decodeErr(`json: cannot unmarshal ${goJsonType(op[f])} into Go struct field jsonPatchOp.${f} of type string`)
          }
          for (const k of Object.keys(op)) if (!['op', 'path', 'from', 'value'].includes(k)) w.warnings.push(`json patch unknown field ${q(`[${i}].${k}`)}`)
        }
      }
      try {
        patched = applyJsonPatch(current, body)
      } catch (e) {
        if (e instanceof PatchDecodeError) throw badRequest(e.message)
        if (e instanceof PatchApplyError) throw genericUnprocessable(e.message)
        throw e
      }
      if (strict && w.fieldValidation === 'Strict' && w.warnings.length > 0) {
        throw this.decodeError(rt, patched, `strict decoding error: ${w.warnings.join(', ')}`, w)
      }
    } else {
      if (strict && body !== null && !isMap(body)) throw decodeErr(`json: cannot unmarshal ${goJsonType(body)} into Go value of type map[string]interface {}`)
      if (ct === SMP && this.hasListsOrDirectives(body)) {
        throw err(500, 'InternalError', 'fake-apiserver: strategic merge patches with lists or $-directives are not implemented; use a JSON or merge patch', {})
      }
      try {
        patched = applyMergePatch(current, body)
      } catch (e) {
        if (e instanceof PatchDecodeError) throw badRequest(e.message)
        throw e
      }
    }
    const r = this.update(rt, ns, name, cur.obj, patched, w)
    this.send(res, r.code, this.served(rt, r.obj), w.warnings)
  }

  private hasListsOrDirectives(v: unknown): boolean {
    if (Array.isArray(v)) return true
    if (isMap(v)) return Object.entries(v).some(([k, x]) => k.startsWith('$') || this.hasListsOrDirectives(x))
    return false
  }
}

export type {Status} from './kube-status.js'
export {grString}
