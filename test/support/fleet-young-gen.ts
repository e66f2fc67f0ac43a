/**
 * A child process for fleet-memory.test.ts: explainFleet over 3,000 generated apps, each parsed
 * from its JSON as the streamed LIST does, then prints the size of V8's new space in bytes.
 */
import {getHeapSpaceStatistics} from 'node:v8'
import type {Application} from '../../src/lib/app.js'
import {explainFleet} from '../../src/lib/explain.js'
import {makeFleet} from './fleet.js'

const now = new Date('2026-01-02T00:12:00Z')
function * apps(): Generator<Application> {
  for (let batch = 0; batch < 30; batch++) {
    for (const text of makeFleet({count: 100, now, seed: batch + 1}).map((a) => JSON.stringify(a))) yield JSON.parse(text) as Application
  }
}

const report = await explainFleet(apps(), now, {bin: 'argo-doctor'})
const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
process.stdout.write(`${report.total} ${space?.space_size}\n`)
