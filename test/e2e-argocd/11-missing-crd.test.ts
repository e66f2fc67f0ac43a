/**
 * A custom resource whose CRD is not installed: the real controller's sync fails in its dry run
 * ("the server could not find the requested resource"). `explain` names the missing CRD and the
 * fix: install the CRD, then `force-presync`; once the CRD arrives, that sync creates the resource.
 */
import {expect} from 'chai'
import {abridged, apply, createApp, deleteApps, gitPut, heading, kubectl, record, requestSync, requireArgocd, run, uniq, waitForApp} from './support.js'

const S = 'S11 missing-crd'

describe('argocd tier S11: a custom resource whose CRD is missing, then arrives; fixed by `force-presync`', () => {
  const ns = uniq('s11-crd')
  const app = `${ns}-app`
  const group = `${ns}.e2e.argo-doctor.invalid`
  const crdName = `widgets.${group}`
  let sha: string

  before(requireArgocd)
  before(() => heading(S, `app ${app}, namespace ${ns}, CRD ${crdName}`))
  after(async () => {
    await deleteApps(app)
    await kubectl(['delete', 'crd', crdName, '--ignore-not-found', '--wait=false']).catch(() => undefined)
  })

  it('reproduces it: the sync fails because the API server does not know the kind', async () => {
    sha = await gitPut(`apps/${ns}`, {
      'config.yaml': {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'settings'}, data: {k: 'v'}},
      'widget.yaml': {apiVersion: `${group}/v1`, kind: 'Widget', metadata: {name: 'blue'}, spec: {size: 3}},
    })
    await createApp(app, {path: `apps/${ns}`, revision: sha, namespace: ns, syncPolicy: {syncOptions: ['CreateNamespace=true']}})
    await waitForApp(app, 'first reconcile', (a) => a.status?.sync?.status !== undefined && a.status?.reconciledAt !== undefined)
    await requestSync(app, sha, ['CreateNamespace=true'])
    const failed = await waitForApp(app, 'sync failed', (a) => ['Failed', 'Error'].includes(a.status?.operationState?.phase) && !a.operation)
    record(S, 'before (CRD missing)', failed)
    // v3.6 appends the cause: ": failed to discover server resources for group version …: the server could not find the requested resource"
    expect(failed.status.operationState.message).to.match(/^one or more synchronization tasks are not valid(?:$|: )/)
  })

  it('`explain` says a CRD is missing and names the sync to run once it is installed', async () => {
    const r = await run(S, ['explain', app])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(20)
    expect(r.stdout).to.include('(sync-failed-missing-crd)')
    expect(r.stdout).to.include('Install the CRD first')
    expect(r.stdout).to.include(`kubectl argo-doctor force-presync ${app} -n argocd`)
  })

  it('the CRD arrives; `force-presync --yes` (the command explain names) syncs and creates the Widget', async () => {
    await apply({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
      metadata: {name: crdName},
      spec: {
        group, scope: 'Namespaced',
        names: {plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList'},
        versions: [{name: 'v1', served: true, storage: true, schema: {openAPIV3Schema: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true}}}],
      },
    })
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crdName}`])
    const r = await run(S, ['force-presync', app, '--yes', '--reason', 'CRD installed', '--timeout', '90s'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.match(/✔ Sync Succeeded/)
    const after = await waitForApp(app, 'Synced', (a) => a.status?.operationState?.phase === 'Succeeded' && !a.operation && a.status.sync?.status === 'Synced')
    record(S, 'after (CRD installed, synced)', after)
    expect(abridged(after)).to.include({phase: 'Succeeded', operation: false, sync: 'Synced'})
    expect(JSON.parse(await kubectl(['get', `widgets.${group}`, 'blue', '-n', ns, '-o', 'json'])).spec).to.deep.equal({size: 3})
  })
})
