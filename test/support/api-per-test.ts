import {tempDir} from './cli.js'
import {startFakeApiServer, type FakeApiServer, type FakeApiServerOptions} from './fake-apiserver.js'

/**
 * A suite's test API server, fresh for each of its tests, and a kubeconfig for it: started before
 * each test (then `seed` puts the objects the suite starts from) and stopped after it. Read
 * `api.server` and `api.kubeconfig` in the tests and in hooks declared after this call.
 */
export function apiServerPerTest(seed?: (server: FakeApiServer) => void, opts?: FakeApiServerOptions): {readonly server: FakeApiServer; readonly kubeconfig: string} {
  const api = {} as {server: FakeApiServer; kubeconfig: string}
  beforeEach(async () => {
    api.server = await startFakeApiServer(opts)
    api.kubeconfig = api.server.writeKubeconfig(tempDir())
    seed?.(api.server)
  })
  afterEach(async () => api.server.stop())
  return api
}
