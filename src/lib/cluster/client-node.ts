/**
 * @kubernetes/client-node, re-exported so kube.ts has one import to point at. The build replaces
 * the compiled file (dist/lib/cluster/client-node.js) with a single-file esbuild bundle of the
 * library and its dependencies (scripts/bundle.mjs): loading one file instead of ~830 modules is
 * most of a cluster command's start-up. Only the library is bundled; our own modules stay separate
 * files (one copy of each class, so `instanceof DoctorError` holds everywhere).
 */
export * from '@kubernetes/client-node'
