/**
 * The parts of @kubernetes/client-node we use, in one place. The build (scripts/bundle.mjs)
 * replaces the compiled file (dist/lib/cluster/client-node.js) with a loader for one esbuild
 * bundle of the library and all its dependencies (client-node.cjs) plus a V8 code cache made at
 * build time: compiling and loading ~900 modules one by one was most of a cluster command's
 * start-up. Only the library is bundled; our own modules stay separate files (one copy of each
 * class, so `instanceof DoctorError` holds everywhere). Add a name here to use it.
 */
export {ApiException, AutoscalingV2Api, BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, Watch} from '@kubernetes/client-node'
/** The HTTP client client-node's API classes and Watch use (node-fetch 2), for the streamed fleet LIST: same agent, same errors. */
export {default as fetch} from 'node-fetch'
