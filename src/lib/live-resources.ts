import type {Application} from './app.js'
import type {Cluster} from './cluster/kube.js'
import {IN_CLUSTER_SERVER, resourceKeyId, type LiveMeta, type ResourceKey} from './deletion.js'

/** Managed resources live on the destination cluster: only the in-cluster one is the API server we talk to. */
export function destinationIsLocal(app: Application): boolean {
  const d = app.spec?.destination ?? {}
  return d.server === IN_CLUSTER_SERVER || d.name === 'in-cluster'
}

/** At most this many managed resources are read live (one GET each). */
export const MAX_LIVE_READS = 60

/**
 * Read the metadata of the resources `pick` selects from status.resources (and the last sync's
 * hooks), a few at a time. Used by approve-prune and unblock-delete to show what a change deletes
 * or leaves behind; never reads data.
 */
export type ManagedPick = (r: ResourceKey & {hook?: boolean; requiresPruning?: boolean; requiresDeletionConfirmation?: boolean}) => boolean

export async function readLive(cluster: Pick<Cluster, 'readMeta'> | undefined, app: Application, pick: ManagedPick): Promise<LiveMeta[] | undefined> {
  if (!cluster || !destinationIsLocal(app)) return undefined
  const keys = new Map<string, ResourceKey>()
  const add = (r: ResourceKey) => {
    if (!r.kind || !r.name) return
    const key = {group: r.group || undefined, version: r.version, kind: r.kind, namespace: r.namespace || undefined, name: r.name}
    if (!keys.has(resourceKeyId(key))) keys.set(resourceKeyId(key), key)
  }

  for (const r of app.status?.resources ?? []) if (pick(r)) add(r)
  for (const r of app.status?.operationState?.syncResult?.resources ?? []) if (r.hookType && pick({...r, hook: true})) add(r)
  const list = [...keys.values()].slice(0, MAX_LIVE_READS)
  const out: LiveMeta[] = []
  // Secrets are never read (a GET would carry their data); their metadata is not needed to decide.
  const read = (k: ResourceKey): Promise<LiveMeta> => !k.group && k.kind === 'Secret' ? Promise.resolve({...k, state: 'unreadable', error: 'Secrets are not read'}) : cluster.readMeta(k)
  for (let i = 0; i < list.length; i += 8) out.push(...await Promise.all(list.slice(i, i + 8).map((k) => read(k))))
  return out
}
