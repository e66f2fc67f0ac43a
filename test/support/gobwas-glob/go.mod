// Matches paths against a glob with the library and version Argo CD v3.6's repo server uses for
// spec.source.directory.include/exclude (util/glob.Match → github.com/gobwas/glob, no separators).
// Test-only; built by test/unit/recipes/exclude-self-glob.test.ts.
module argo-doctor/test/support/gobwas-glob

go 1.22.0

require github.com/gobwas/glob v1.0.0
