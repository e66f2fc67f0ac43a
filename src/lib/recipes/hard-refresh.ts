import jsonpatch from 'fast-json-patch'
import {REFRESH_ANNOTATION, REFRESH_TIMESTAMP_ANNOTATION, refOf, type Application} from '../app.js'
import {describeGuards, resourceVersionGuard, type JsonPatchOp, type Plan} from '../plan.js'

/** JSON-patch ops that set annotations, creating metadata.annotations when it is absent. */
export function setAnnotationOps(app: Application, values: Record<string, string>): JsonPatchOp[] {
  if (!app.metadata.annotations) return [{op: 'add', path: '/metadata/annotations', value: {...values}}]
  return Object.entries(values).map(([key, value]) => ({op: 'add', path: `/metadata/annotations/${jsonpatch.escapePathComponent(key)}`, value}))
}

export function hardRefreshOps(app: Application, now: Date): JsonPatchOp[] {
  return setAnnotationOps(app, {[REFRESH_ANNOTATION]: 'hard', [REFRESH_TIMESTAMP_ANNOTATION]: now.toISOString()})
}

export const HARD_REFRESH_WHY =
  'A hard refresh makes the application-controller regenerate manifests without the repo-server cache and compare them with the cluster again. ' +
  `The controller removes the ${REFRESH_ANNOTATION} annotation once the result is saved; that removal is the completion signal (the same one \`argocd app get --hard-refresh\` waits for).`

export function buildHardRefreshPlan(app: Application, now: Date): Plan {
  const patch = [...resourceVersionGuard(app), ...hardRefreshOps(app, now)]
  const pending = app.metadata.annotations?.[REFRESH_ANNOTATION]
  return {
    kind: 'plan',
    recipe: 'hard-refresh',
    action: 'hard-refresh',
    target: refOf(app),
    summary: `Hard-refresh ${app.metadata.name}: set ${REFRESH_ANNOTATION}=hard and wait for the controller to remove it.`,
    why: HARD_REFRESH_WHY,
    patch,
    guards: describeGuards(patch),
    warnings: pending ? [`A ${pending} refresh was already requested and has not completed yet: if it never completes, the application-controller may be down or overloaded.`] : [],
    notes: [],
    verify: {kind: 'refresh', description: 'waiting for the controller to finish the hard refresh'},
  }
}
