/**
 * What every command that talks to a cluster loads of @kubernetes/client-node: the kubeconfig
 * (KubeConfig: loading, contexts, credentials and their plugins, TLS, proxies) and its HTTP client
 * (node-fetch 2), without the generated API classes and models. kube.ts makes its plain JSON
 * requests with these (KubeConfig.applyToFetchOptions, then fetch); the API classes and Watch
 * (client-node.ts) are loaded only where still used. The build (scripts/bundle.mjs) replaces the
 * compiled file with a loader for one bundle of these names and their dependencies
 * (client-node-light.cjs) and its V8 code cache, as for client-node.ts. Add a name here to use it.
 */
export {ApiException, KubeConfig} from '@kubernetes/client-node'
export {default as fetch} from 'node-fetch'
