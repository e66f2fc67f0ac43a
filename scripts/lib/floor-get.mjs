/**
 * The runtime's floor for one live read, for scripts/bench.mjs: Node alone makes the one HTTPS GET
 * that `explain APP` makes first (same TLS options as client-node would give, from a JSON file the
 * bench wrote), reads the body and exits. No CLI, no kubeconfig parsing, no library: what no
 * Node program that does this read can go below.
 *   node scripts/lib/floor-get.mjs REQUEST.json
 */
import {readFileSync} from 'node:fs'
import {request} from 'node:https'

const {url, options} = JSON.parse(readFileSync(process.argv[2], 'utf8'))
request(url, options, (res) => {
  const chunks = []
  res.on('data', (c) => chunks.push(c))
  res.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'))
    process.exitCode = res.statusCode === 200 ? 0 : 1
  })
}).end()
