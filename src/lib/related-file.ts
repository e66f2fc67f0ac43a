/**
 * Objects besides Applications that an -f file may hold, for what a recipe would otherwise read
 * from the cluster — the app's AppProject (sync windows) and its HorizontalPodAutoscalers (which
 * workload they scale), e.g.
 *   { kubectl get app my-app -n argocd -o yaml; echo ---; kubectl get hpa -n my-ns -o yaml; } > app.yaml
 */
import type {HpaInfo} from './recipes/ignore-rules.js'
import type {KubeObject} from './source.js'

export type {KubeObject} from './source.js'

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
