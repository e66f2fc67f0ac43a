/**
 * Backups: before every write, the object as read goes to a private directory, next to a change
 * record (what argo-doctor is about to change: the JSON patch, recipe, time, user,
 * resourceVersion). After the write the record gets the resourceVersion after and, for each path
 * the patch touched, the value before and the value the server stored. `undo` computes the
 * inverse from that record.
 *
 * Files (one pair per write, never overwritten, never through a symlink):
 *   <namespace>_<name>_<UTC time>_rv<resourceVersion>.json          the Application as read (JSON: kubectl reads it back exactly)
 *   <namespace>_<name>_<UTC time>_rv<resourceVersion>.change.json   the change record
 * Names and namespaces are DNS-1123, so "_" cannot appear in them and the prefix is unambiguous.
 *
 * A batch (-l/--all: many apps, one confirmation) writes ONE backup file instead, each object added
 * as the app is planned (none is kept in memory), named before the first write:
 *   batch.<UTC time>.<recipe>.json            a v1 List of every Application as read (kubectl reads it back)
 *   batch.<UTC time>.<recipe>.records.jsonl   one change record per app, then each outcome appended as
 *                                             the writes are answered (never rewritten)
 * (Batch backups of argo-doctor before 0.2 kept the records inside the List, rewritten as writes
 * were answered; undo still reads them.) A namespace cannot contain ".", so the names never look
 * like an app's backup.
 */
import {constants} from 'node:fs'
import {link, lstat, mkdir, open, readdir, rename, unlink, type FileHandle} from 'node:fs/promises'
import {userInfo} from 'node:os'
import {basename, dirname, join} from 'node:path'
import type {AppRef, Application} from './app.js'
import {DoctorError} from './errors.js'
import {homeDirectory} from './home.js'
import {keptOf, valueAt, type JsonPatchOp, type Plan} from './plan.js'

export const RECORD_KIND = 'ArgoDoctorChangeRecord'
const RECORD_SUFFIX = '.change.json'

/** One path argo-doctor's patch touched: its value before, and the value the server stored. Absent = undefined. */
export interface TouchedPath {
  path: string
  before?: unknown
  after?: unknown
}

export interface ChangeRecord {
  kind: typeof RECORD_KIND
  version: 1
  /** pending: written before the patch was sent; applied: the server accepted it; not-applied: the server refused it. */
  state: 'pending' | 'applied' | 'not-applied'
  app: AppRef
  recipe: string
  action: string
  summary: string
  time: string
  /** The local user, and the kubeconfig user/context the change was made with. */
  user: string
  kubeUser?: string
  context?: string
  server?: string
  /** The object file (same directory). */
  object: string
  patch: JsonPatchOp[]
  resourceVersion: {before?: string; after?: string}
  /** Set once applied. */
  touched?: TouchedPath[]
  /** Set when not applied: why. */
  error?: string
  /** In a batch backup: the index of the object in the file's items. */
  item?: number
  /** An undo's record: the id (recordId) of the change it reverted, so that change is never undone twice. */
  undoes?: string
}

export interface BackupEntry {
  /** The change record's path (for a batch: the batch file). */
  file: string
  /** The record's id: its file name, plus "#<item>" in a batch file (names are never reused). */
  id: string
  /** The object file's path. */
  objectFile: string
  record: ChangeRecord
}

export interface BackupHandle {
  /** The object backup's path (what is reported as "the backup"). */
  readonly file: string
  readonly recordFile: string
  /** Record the server's answer to the write; never throws (the change is applied either way), warns instead. */
  applied(written: Application, warn: (message: string) => void): Promise<void>
  /** Record that the patch was refused (nothing written); other errors leave the record "pending" (unknown outcome). */
  notApplied(error: unknown): Promise<void>
}

export function backupDir(): string {
  if (process.env.ARGO_DOCTOR_BACKUP_DIR) return process.env.ARGO_DOCTOR_BACKUP_DIR
  if (process.env.XDG_STATE_HOME) return join(process.env.XDG_STATE_HOME, 'argo-doctor', 'backups')
  const home = homeDirectory()
  if (home === undefined) {
    throw new DoctorError('REFUSED', 'There is no directory for backups: HOME is unset and this user has no home directory, so nothing was changed.', 'Set ARGO_DOCTOR_BACKUP_DIR (or XDG_STATE_HOME, or HOME) to a private directory.')
  }

  return join(home, '.local', 'state', 'argo-doctor', 'backups')
}

const refused = (dir: string, what: string) => new DoctorError('REFUSED', `The backup directory ${dir} ${what}; argo-doctor does not write backups there, so nothing was changed.`,
  `Use a private directory: chmod 700 it (owned by you), or set ARGO_DOCTOR_BACKUP_DIR to one (argo-doctor creates it with mode 700).`)

/** A full disk or quota: the directory is fine, there is no room in it. */
const noRoom = (error: unknown): string | undefined => {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOSPC' ? 'the disk is full (ENOSPC)' : code === 'EDQUOT' ? 'the disk quota is exceeded (EDQUOT)' : undefined
}

/** Why a backup write failed, as the user should read it (the disk, not the directory's mode, when that is the cause). */
const writeFailed = (dir: string, what: string, error: unknown) => {
  const full = noRoom(error)
  if (!full) return refused(dir, `does not accept the ${what} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  return new DoctorError('REFUSED', `The ${what} could not be written to ${dir}: ${full}. Nothing was changed, and nothing partial was left there.`,
    'Free some space on that disk, or set ARGO_DOCTOR_BACKUP_DIR to a private directory on another one.')
}

/** An error's reason for a warning: "the disk is full (ENOSPC)" rather than the raw system message when that is the cause. */
const reason = (error: unknown) => noRoom(error) ?? (error as Error).message

/** Create the directory (mode 700) or check the existing one: a real directory (no symlink), owned by us, not writable by group or others. */
export async function ensureBackupDir(dir = backupDir()): Promise<string> {
  let stat = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw refused(dir, `cannot be checked (${error.code ?? error.message})`)
  })
  if (!stat) {
    try {
      await mkdir(dir, {recursive: true, mode: 0o700})
    } catch (error) {
      throw refused(dir, `cannot be created (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }

    stat = await lstat(dir)
  }

  if (stat.isSymbolicLink()) throw refused(dir, 'is a symbolic link')
  if (!stat.isDirectory()) throw refused(dir, 'is not a directory')
  const uid = process.getuid?.()
  if (uid !== undefined && stat.uid !== uid) throw refused(dir, `is owned by uid ${stat.uid}, not by you (uid ${uid})`)
  if ((stat.mode & 0o022) !== 0) throw refused(dir, `is writable by ${(stat.mode & 0o002) ? 'everyone' : 'its group'} (mode ${(stat.mode & 0o777).toString(8).padStart(3, '0')})`)
  return dir
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW

/** A new file (mode 600): fails with EEXIST rather than reuse a file that is there, and never follows a symlink. */
const openNew = async (path: string): Promise<FileHandle> => open(path, CREATE, 0o600)

/** Write a new file: fails with EEXIST rather than reuse a file that is there, and never follows a symlink. */
async function createFile(path: string, text: string | string[]): Promise<void> {
  const handle = await openNew(path)
  try {
    // Parts are written one after the other: a batch backup's objects are never copied into one more string.
    for (const part of typeof text === 'string' ? [text] : text) await handle.writeFile(part, 'utf8')
    await handle.close()
  } catch (error) {
    // A file we could not finish (a full disk) is never left behind: it is ours (O_EXCL), remove it.
    await handle.close().catch(() => {})
    await unlink(path).catch(() => {})
    throw error
  }
}

/** Replace a file we wrote: a fresh temp file (O_EXCL), then rename over it (rename never follows a symlink). */
async function replaceFile(path: string, text: string | string[]): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  await createFile(temp, text)
  try {
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => {})
    throw error
  }
}

/** Why a file could not be read, as the user should read it. */
const unreadable = (error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' ? 'no such file' : code === 'ELOOP' ? 'it is a symbolic link' : (error as Error).message
}

async function readPrivate(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}

/** The JSON text of a backup: kubectl reads JSON exactly (no YAML 1.1 surprises such as "no"/"on"/"y" becoming booleans). */
export function backupText(app: Application): string {
  return `${JSON.stringify(app, null, 2)}\n`
}

/**
 * The paths a patch changes, as the places to compare and restore: an append ("/-") or an insert
 * into / removal from a list stands for the whole list (indexes shift); ancestors win over
 * descendants. `test` ops change nothing.
 */
export function touchedPaths(patch: JsonPatchOp[], before: unknown): string[] {
  const paths: string[] = []
  for (const op of patch) {
    if (op.op === 'test') continue
    const tokens = op.path.split('/')
    const parent = tokens.slice(0, -1).join('/')
    const last = tokens.at(-1)
    const inList = Array.isArray(valueAt(before, parent))
    paths.push(last === '-' || (inList && op.op !== 'replace') ? parent : op.path)
  }

  const unique = [...new Set(paths)]
  return unique.filter((p) => !unique.some((q) => q !== p && p.startsWith(`${q}/`)))
}

function localUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER || process.env.USERNAME || 'unknown'
  }
}

function stampOf(now: Date): string {
  return now.toISOString().replaceAll(':', '').replace(/Z$/, 'Z')
}

export interface BackupInput {
  app: Application
  plan: Plan
  now: Date
  kubeUser?: string
  context?: string
  server?: string
}

/** Back up the object as read and record the change about to be made. Throws REFUSED when the directory is unsafe. */
export async function writeBackup(input: BackupInput): Promise<BackupHandle> {
  const dir = await ensureBackupDir()
  const {app, plan} = input
  const base = `${app.metadata.namespace}_${app.metadata.name}_${stampOf(input.now)}_rv${app.metadata.resourceVersion ?? '0'}`
  let file = ''
  for (let n = 0; ; n++) {
    file = join(dir, `${base}${n === 0 ? '' : `-${n}`}.json`)
    try {
      await createFile(file, backupText(app))
      break
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // Something is already at that name (ours from the same second, or planted): never reuse it, take the next name.
      if ((code === 'EEXIST' || code === 'ELOOP') && n < 20) continue
      throw writeFailed(dir, 'backup file', error)
    }
  }

  const recordFile = file.replace(/\.json$/, RECORD_SUFFIX)
  const record: ChangeRecord = {
    kind: RECORD_KIND,
    version: 1,
    state: 'pending',
    app: {namespace: app.metadata.namespace ?? '', name: app.metadata.name},
    recipe: plan.recipe,
    action: plan.action,
    summary: plan.summary,
    time: input.now.toISOString(),
    user: localUser(),
    kubeUser: input.kubeUser,
    context: input.context,
    server: input.server,
    object: basename(file),
    patch: plan.patch,
    resourceVersion: {before: app.metadata.resourceVersion},
    undoes: plan.undoes,
  }
  try {
    await createFile(recordFile, `${JSON.stringify(record, null, 2)}\n`)
  } catch (error) {
    await unlink(file).catch(() => {})
    throw writeFailed(dir, 'change record', error)
  }

  const save = async () => replaceFile(recordFile, `${JSON.stringify(record, null, 2)}\n`)
  return {
    file,
    recordFile,
    async applied(written, warn) {
      record.state = 'applied'
      record.resourceVersion.after = written.metadata.resourceVersion
      record.touched = touchedPaths(plan.patch, app).map((path) => ({path, before: valueAt(app, path), after: valueAt(written, path)}))
      try {
        await save()
      } catch (error) {
        warn(`The change was applied, but its record ${recordFile} could not be updated (${reason(error)}); undo cannot use this backup.`)
      }
    },
    async notApplied(error) {
      const code = error instanceof DoctorError ? error.code : undefined
      if (!code || !['CONFLICT', 'REJECTED', 'FORBIDDEN', 'UNAUTHORIZED', 'NOT_FOUND'].includes(code)) return
      record.state = 'not-applied'
      record.error = (error as Error).message
      await save().catch(() => {})
    },
  }
}

function parseRecord(text: string, file: string): ChangeRecord {
  let record: ChangeRecord
  try {
    record = JSON.parse(text) as ChangeRecord
  } catch (error) {
    throw new DoctorError('USAGE', `${file} is not a change record: ${(error as Error).message}`)
  }

  return checkRecord(record, file)
}

function checkRecord(record: ChangeRecord, file: string): ChangeRecord {
  if (record?.kind !== RECORD_KIND || record.version !== 1 || !record.app?.name || !Array.isArray(record.patch)) {
    throw new DoctorError('USAGE', `${file} is not an argo-doctor change record (kind ${RECORD_KIND}, version 1).`, 'Pass the .json or .change.json file argo-doctor printed as "Backup of the live object", or use --list.')
  }

  // undo restores `touched[].before`: only paths its own patch changed (as touchedPaths records them) may be there.
  const changed = record.patch.filter((op) => op?.op !== 'test' && typeof op.path === 'string').map((op) => op.path)
  const stray = (record.touched ?? []).filter((t) => !changed.some((p) => p === t?.path || p.slice(0, p.lastIndexOf('/')) === t?.path))
  if (!Array.isArray(record.touched ?? []) || stray.length > 0) {
    throw new DoctorError('USAGE', `${file} is not a consistent change record: it would restore ${stray.map((t) => dottedPointer(String(t?.path))).join(', ')}, which is not changed by its own patch; nothing was changed.`,
      'Use a record argo-doctor wrote (undo APP --list shows them).')
  }

  return record
}

const dottedPointer = (pointer: string) => pointer.slice(1).replaceAll('/', '.')

/**
 * A backup named on the command line is trusted like the ones --list finds: a regular file (no
 * symlink) owned by us, not writable by group or others, in a directory that is ours and not
 * writable by group or others (nobody else could have planted or edited it).
 */
async function checkOwnFile(path: string): Promise<void> {
  const uid = process.getuid?.()
  const refuse = (what: string) => new DoctorError('REFUSED', `The backup ${path} is refused: ${what}; argo-doctor only undoes records nobody else could have written, so nothing was changed.`,
    'Use a backup from your own private backup directory (undo APP --list shows them).')
  const check = async (target: string, kind: 'file' | 'directory') => {
    const stat = await lstat(target).catch(() => undefined)
    if (!stat) return // a missing file gets its own message when it is read
    const name = kind === 'file' ? 'it' : `its directory ${target}`
    if (stat.isSymbolicLink()) throw refuse(`${name} is a symbolic link`)
    if (uid !== undefined && stat.uid !== uid) throw refuse(`${name} is owned by uid ${stat.uid}, not by you (uid ${uid})`)
    if ((stat.mode & 0o022) !== 0) throw refuse(`${name} is writable by ${(stat.mode & 0o002) ? 'everyone' : 'its group'} (mode ${(stat.mode & 0o777).toString(8).padStart(3, '0')})`)
  }

  await check(path, 'file')
  await check(dirname(path), 'directory')
}

/**
 * A backup named on the command line: the object file (…json) or its record (…change.json), or a
 * batch backup (batch.….json), where `ref` picks the app's record.
 */
export async function readBackup(path: string, ref?: AppRef): Promise<BackupEntry> {
  if (isBatchName(basename(path))) return readBatchEntry(path, ref)
  const recordFile = path.endsWith(RECORD_SUFFIX) ? path : path.replace(/(\.json|\.ya?ml)?$/, RECORD_SUFFIX)
  await checkOwnFile(recordFile)
  let text: string
  try {
    text = await readPrivate(recordFile)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new DoctorError('USAGE', `Cannot read the change record ${recordFile}: ${unreadable(error)}.`,
      code === 'ENOENT' && /\.ya?ml$/.test(path) ? 'Backups made by argo-doctor before 0.2 (YAML, no change record) cannot be undone; restore the field by hand from the file.' : 'List the backups with: undo APP --list')
  }

  const record = parseRecord(text, recordFile)
  return {file: recordFile, id: basename(recordFile), objectFile: join(dirname(recordFile), record.object), record}
}

/** The app's change records in the backup directory, oldest first. Symlinks and other people's files are skipped. */
export async function listBackups(ref: AppRef, dir = backupDir()): Promise<BackupEntry[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }

  const prefix = `${ref.namespace}_${ref.name}_`
  const uid = process.getuid?.()
  const entries: BackupEntry[] = []
  for (const name of names.filter((n) => (n.startsWith(prefix) && n.endsWith(RECORD_SUFFIX)) || isBatchName(n)).sort()) {
    const file = join(dir, name)
    const stat = await lstat(file).catch(() => undefined)
    if (!stat?.isFile() || (uid !== undefined && stat.uid !== uid)) continue
    try {
      if (isBatchName(name)) {
        for (const record of (await readBatchRecords(file)).records) {
          if (record.app.name === ref.name && record.app.namespace === ref.namespace) entries.push({file, id: `${name}#${record.item ?? 0}`, objectFile: file, record})
        }

        continue
      }

      const record = parseRecord(await readPrivate(file), file)
      if (record.app.name !== ref.name || record.app.namespace !== ref.namespace) continue
      entries.push({file, id: name, objectFile: join(dir, record.object), record})
    } catch {
      continue
    }
  }

  return entries.sort((a, b) => a.record.time.localeCompare(b.record.time) || a.file.localeCompare(b.file))
}

/**
 * Which of these changes an applied undo has reverted: change id → the undo's entry. Undo records
 * name what they reverted (`undoes`); records written before that field existed are matched by the
 * summary argo-doctor gave them ("undo <recipe> of <time> (…").
 */
export function undoneBy(entries: readonly BackupEntry[]): Map<string, BackupEntry> {
  const done = new Map<string, BackupEntry>()
  for (const undo of entries) {
    if (undo.record.recipe !== 'undo' || undo.record.state !== 'applied') continue
    const target = undo.record.undoes === undefined
      ? entries.find((e) => e.record.recipe !== 'undo' && e.record.state === 'applied' && !done.has(e.id) && undo.record.summary.startsWith(`undo ${e.record.recipe} of ${e.record.time} (`))?.id
      : undo.record.undoes
    if (target !== undefined && !done.has(target)) done.set(target, undo)
  }

  return done
}

// ---------------------------------------------------------------- batch backups

export const BATCH_KIND = 'ArgoDoctorBatchBackup'
const BATCH_RECORDS_KIND = 'ArgoDoctorBatchRecords'
const BATCH_PREFIX = 'batch.'
const BATCH_RECORDS_SUFFIX = '.records.jsonl'
/** Where the objects begin (both versions); a raw newline cannot occur inside a JSON string, so this only ever matches there. */
const ITEMS_START = '"items":[\n'
/** Objects are written to the file in runs of about this many bytes. */
const SPOOL_BYTES = 1024 * 1024

export function isBatchName(name: string): boolean {
  return name.startsWith(BATCH_PREFIX) && name.endsWith('.json') && !name.endsWith(RECORD_SUFFIX)
}

/** The change records of a batch backup (version 2): next to it, `batch.….records.jsonl`. */
export function batchRecordsFile(path: string): string {
  return path.replace(/\.json$/, BATCH_RECORDS_SUFFIX)
}

export interface BatchBackupHead {
  /** When the change is made: the records' time and the file's name, taken when the backup is committed. */
  now: () => Date
  kubeUser?: string
  context?: string
  server?: string
}

/**
 * A batch backup being written while the apps are planned: each object goes to a hidden file in
 * the backup directory as it is planned (and is not kept in memory); `commit` gives the file its
 * name and writes the change records before the first write; `discard` removes it when nothing is
 * written (dry run, declined, refused).
 */
export interface BatchBackupSpool {
  /** Objects added so far. */
  readonly size: number
  /** Back up the object as read, for the change `plan` will make to it; returns its index in the file. */
  add(app: Application, plan: Plan): Promise<number>
  /** Finish the file and write the records (all "pending"); the writes may begin. Throws REFUSED when the backup cannot be written. */
  commit(): Promise<BatchBackupHandle>
  /** Remove what was written so far (no-op after commit). */
  discard(): Promise<void>
}

export interface BatchBackupHandle {
  /** The backup of the objects (what is reported as the backup). */
  readonly file: string
  /** Its change records, one JSON line each, then one line per outcome as the writes are answered. */
  readonly recordsFile: string
  /** The server accepted change `index`. */
  applied(index: number, written: Application): void
  /** Change `index` was not written: refused by the server, or never sent (interrupted). Other errors leave it "pending". */
  notApplied(index: number, error: unknown): void
  /** Append the outcomes so far to the records file (the objects are never rewritten). Never throws; warns once. */
  flush(warn: (message: string) => void, final?: boolean): Promise<void>
}

const DEFINITELY_NOT_APPLIED = ['CONFLICT', 'REJECTED', 'FORBIDDEN', 'UNAUTHORIZED', 'NOT_FOUND', 'INTERRUPTED', 'TERMINATED']

/**
 * A batch backup, version 2 (files mode 600, created O_EXCL, never through a symlink):
 *   batch.<UTC time>.<recipe>.json            a v1 List of every Application as read (kubectl reads it back),
 *                                            written once, as the apps are planned
 *   batch.<UTC time>.<recipe>.records.jsonl   a header line, one change record per app ("pending"),
 *                                            then one line per outcome, appended as the writes are answered:
 *                                            the last line for an item is its record
 * Version 1 (one file, the records inside it, rewritten as writes were answered) is still read.
 */
export function startBatchBackup(head: BatchBackupHead): BatchBackupSpool {
  const kept: Array<{app: Application; plan: Plan}> = []
  let spool: {dir: string; path: string; handle: FileHandle} | undefined
  let pending: string[] = []
  let pendingBytes = 0
  let failure: unknown
  let committed = false

  const open = async (): Promise<NonNullable<typeof spool>> => {
    const dir = await ensureBackupDir()
    const path = join(dir, `.${BATCH_PREFIX}${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.partial`)
    const handle = await openNew(path).catch((error: unknown) => {
      throw writeFailed(dir, 'backup file', error)
    })
    await handle.writeFile(`{"apiVersion":"v1","kind":"List","metadata":{},"argoDoctor":{"kind":"${BATCH_KIND}","version":2},${ITEMS_START}`, 'utf8')
    return {dir, path, handle}
  }

  const drain = async () => {
    const text = pending.join('')
    pending = []
    pendingBytes = 0
    spool ??= await open()
    await spool.handle.writeFile(text, 'utf8')
  }

  const fail = async (error: unknown): Promise<never> => {
    failure = error
    await discard()
    throw error instanceof DoctorError || !spool ? error : writeFailed(spool.dir, 'backup file', error)
  }

  const discard = async () => {
    if (committed || !spool) return
    const {handle, path} = spool
    await handle.close().catch(() => {})
    await unlink(path).catch(() => {})
  }

  return {
    get size() {
      return kept.length
    },
    async add(app, plan) {
      if (failure) throw failure
      const index = kept.length
      kept.push({app: keptOf(app, plan), plan})
      const text = `${index === 0 ? '' : ',\n'}${JSON.stringify(app)}`
      pending.push(text)
      pendingBytes += text.length
      if (pendingBytes >= SPOOL_BYTES) await drain().catch(fail)
      return index
    },
    async commit() {
      if (failure) throw failure
      try {
        await drain()
        await spool!.handle.writeFile('\n]}\n', 'utf8')
        await spool!.handle.close()
      } catch (error) {
        return fail(error)
      }

      const {dir, path} = spool!
      const now = head.now()
      const time = now.toISOString()
      const recipe = kept[0]?.plan.recipe ?? 'change'
      const user = localUser()
      const base = `${BATCH_PREFIX}${stampOf(now)}.${recipe}`
      const header = {kind: BATCH_RECORDS_KIND, version: 2, recipe, time, user, kubeUser: head.kubeUser, context: head.context, server: head.server, count: kept.length}
      for (let n = 0; ; n++) {
        const file = join(dir, `${base}${n === 0 ? '' : `-${n}`}.json`)
        const records: ChangeRecord[] = kept.map(({app, plan}, item) => ({
          kind: RECORD_KIND, version: 1, state: 'pending',
          app: {namespace: app.metadata.namespace ?? '', name: app.metadata.name},
          recipe: plan.recipe, action: plan.action, summary: plan.summary, time, user,
          kubeUser: head.kubeUser, context: head.context, server: head.server,
          object: basename(file), item, patch: plan.patch, resourceVersion: {before: app.metadata.resourceVersion}, undoes: plan.undoes,
        }))
        try {
          // A hard link never replaces a file that is there (rename would): the name is ours alone.
          await link(path, file)
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          if (code === 'EEXIST' && n < 20) continue
          return fail(error)
        }

        try {
          await createFile(batchRecordsFile(file), [`${JSON.stringify(header)}\n`, ...records.map((r) => `${JSON.stringify(r)}\n`)])
        } catch (error) {
          await unlink(file).catch(() => {})
          const code = (error as NodeJS.ErrnoException).code
          if ((code === 'EEXIST' || code === 'ELOOP') && n < 20) continue
          return fail(error)
        }

        committed = true
        await unlink(path).catch(() => {})
        return appendOutcomes(file, records, kept)
      }
    },
    discard,
  }
}

/** The handle of a committed batch backup: outcomes are appended to the records file, a batch of lines at a time. */
function appendOutcomes(file: string, records: ChangeRecord[], kept: Array<{app: Application; plan: Plan}>): BatchBackupHandle {
  const recordsFile = batchRecordsFile(file)
  let lines: string[] = []
  let chain = Promise.resolve()
  let warned = false
  let handle: FileHandle | undefined
  return {
    file,
    recordsFile,
    applied(index, written) {
      const record = records[index]
      const {app, plan} = kept[index]
      record.state = 'applied'
      record.resourceVersion.after = written.metadata.resourceVersion
      record.touched = touchedPaths(plan.patch, app).map((path) => ({path, before: valueAt(app, path), after: valueAt(written, path)}))
      lines.push(`${JSON.stringify(record)}\n`)
    },
    notApplied(index, error) {
      const code = error instanceof DoctorError ? error.code : undefined
      if (!code || !DEFINITELY_NOT_APPLIED.includes(code)) return
      records[index].state = 'not-applied'
      records[index].error = (error as Error).message
      lines.push(`${JSON.stringify(records[index])}\n`)
    },
    async flush(warn, final = false) {
      // One append at a time, in order; each takes every line queued so far. The file is ours (we created it): no symlink is followed.
      chain = chain.then(async () => {
        try {
          if (lines.length > 0) {
            const text = lines.join('')
            lines = []
            handle ??= await open(recordsFile, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW)
            await handle.writeFile(text, 'utf8')
          }

          if (final) {
            await handle?.close()
            handle = undefined
          }
        } catch (error) {
          if (warned) return
          warned = true
          warn(`The changes are being applied, but the batch backup's records ${recordsFile} could not be updated (${reason(error)}); records may still say "pending", and undo refuses those.`)
        }
      })
      await chain
    },
  }
}

/** Read a chunk at a time until `marker`: the records of a batch file without reading its objects. */
async function readUntil(path: string, marker: string): Promise<{text: string; found: number}> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    let text = ''
    for (;;) {
      const {bytesRead, buffer} = await handle.read(Buffer.alloc(256 * 1024), 0, 256 * 1024, null)
      if (bytesRead === 0) return {text, found: -1}
      const from = Math.max(0, text.length - marker.length)
      text += buffer.subarray(0, bytesRead).toString('utf8')
      const found = text.indexOf(marker, from)
      if (found >= 0) return {text, found}
    }
  } finally {
    await handle.close()
  }
}

/**
 * The header and change records of a batch backup (the objects are not parsed): version 2 from its
 * records file (the last line for each item wins; a last line cut short by a kill is ignored),
 * version 1 from the file itself.
 */
export async function readBatchRecords(path: string): Promise<{header: Record<string, unknown>; records: ChangeRecord[]}> {
  let doc: {kind?: string; argoDoctor?: Record<string, unknown> & {records?: unknown}}
  try {
    const {text, found} = await readUntil(path, ITEMS_START)
    doc = JSON.parse(found >= 0 ? `${text.slice(0, found)}"items":[]}` : text) as typeof doc
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code) throw error
    throw new DoctorError('USAGE', `${path} is not an argo-doctor batch backup: ${(error as Error).message}`)
  }

  const meta = doc?.argoDoctor
  if (doc?.kind === 'List' && meta?.kind === BATCH_KIND && meta.version === 2) return readBatchRecordsFile(path)
  if (doc?.kind !== 'List' || meta?.kind !== BATCH_KIND || meta.version !== 1 || !Array.isArray(meta.records)) {
    throw new DoctorError('USAGE', `${path} is not an argo-doctor batch backup (kind ${BATCH_KIND}, version 1 or 2).`, 'Pass the file argo-doctor printed as the backup, or use --list.')
  }

  const records = (meta.records as ChangeRecord[]).map((r) => checkRecord(r, path))
  const header: Record<string, unknown> = {...meta}
  delete header.records
  return {header, records}
}

/** Version 2: the records file next to the backup, appended to as the writes were answered. */
async function readBatchRecordsFile(path: string): Promise<{header: Record<string, unknown>; records: ChangeRecord[]}> {
  const file = batchRecordsFile(path)
  await checkOwnFile(file)
  let text: string
  try {
    text = await readPrivate(file)
  } catch (error) {
    throw new DoctorError('USAGE', `Cannot read the records of the batch backup ${path} (${file}): ${unreadable(error)}.`, 'Keep the .records.jsonl file next to its batch backup; list the backups with: undo APP --list')
  }

  const bad = (why: string) => new DoctorError('USAGE', `${file} is not a consistent batch backup record file: ${why}; nothing was changed.`, 'Use a backup argo-doctor wrote (undo APP --list shows them).')
  // Every complete line ends with a newline: what follows the last one was cut short (killed while appending).
  const lines = text.split('\n').slice(0, -1)
  const parse = (line: string, n: number) => {
    try {
      return JSON.parse(line) as Record<string, unknown>
    } catch (error) {
      throw bad(`line ${n + 1} is not JSON (${(error as Error).message})`)
    }
  }

  const header = lines.length > 0 ? parse(lines[0], 0) : undefined
  if (header?.kind !== BATCH_RECORDS_KIND || header.version !== 2 || typeof header.count !== 'number') throw bad(`its first line is not a header (kind ${BATCH_RECORDS_KIND}, version 2)`)
  const records: ChangeRecord[] = []
  for (const [n, line] of lines.entries()) {
    if (n === 0) continue
    const record = checkRecord(parse(line, n) as unknown as ChangeRecord, file)
    const item = record.item
    if (!Number.isInteger(item) || item! < 0 || item! >= header.count) throw bad(`line ${n + 1} is for item ${item}, not one of the ${header.count} objects`)
    const first = records[item!]
    if (first && (first.app.name !== record.app.name || first.app.namespace !== record.app.namespace)) throw bad(`line ${n + 1} is for another app than item ${item}'s first record`)
    records[item!] = record
  }

  if (records.length !== header.count || records.includes(undefined as never)) throw bad(`it has records for ${records.filter(Boolean).length} of its ${header.count} objects`)
  return {header: {...header, kind: BATCH_KIND}, records}
}

async function readBatchEntry(path: string, ref: AppRef | undefined): Promise<BackupEntry> {
  await checkOwnFile(path)
  let records: ChangeRecord[]
  try {
    ({records} = await readBatchRecords(path))
  } catch (error) {
    if (error instanceof DoctorError) throw error
    throw new DoctorError('USAGE', `Cannot read the batch backup ${path}: ${unreadable(error)}.`, 'List the backups with: undo APP --list')
  }

  const record = ref ? records.find((r) => r.app.name === ref.name && r.app.namespace === ref.namespace) : (records.length === 1 ? records[0] : undefined)
  if (!record) {
    const some = records.slice(0, 3).map((r) => `${r.app.namespace}/${r.app.name}`).join(', ')
    throw new DoctorError('USAGE', ref
      ? `${path} is a batch backup of ${records.length} application${records.length === 1 ? '' : 's'} (${some}${records.length > 3 ? ', …' : ''}); ${ref.namespace}/${ref.name} is not one of them.`
      : `${path} is a batch backup of ${records.length} applications; name the app to undo.`, 'List the app\'s backups with: undo APP --list')
  }

  return {file: path, id: `${basename(path)}#${record.item ?? 0}`, objectFile: path, record}
}
