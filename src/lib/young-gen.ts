/**
 * Keep V8's young generation small during a fleet scan. Parsing thousands of ~20 KB objects one at
 * a time makes V8 grow the new space to its 32 MB maximum (two 16 MB semi-spaces), all of it
 * resident, although little survives each scavenge. At 8 MB it stops growing: on the real
 * kube-apiserver this cut the peak RSS of `explain -A` at 2,000 apps from ~121 MB to ~98 MB at the
 * same CPU (what `--max-semi-space-size=4` gives, which can only be set when Node starts, and
 * NODE_OPTIONS does not take it). The growth factor is read each time the new space grows, so
 * setting it to 1 then holds the size (one growth already under way may still complete).
 */
const CAP_BYTES = 8 * 1024 * 1024
/** node:v8, loaded by the first fleet scan that asks, not by every command that imports this module. */
const v8 = () => process.getBuiltinModule('node:v8')
let capped = false

/** Call now and then (every few items) while a large list streams in. */
export function capYoungGeneration(): void {
  // Tried on V8 11 (Node 20) and 13 (Node 24); an unknown flag would only print an error, so newer ones are left alone.
  if (capped || Number(process.versions.v8.split('.')[0]) > 13) return
  const space = v8().getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
  if (!space || space.space_size < CAP_BYTES) return
  capped = true
  v8().setFlagsFromString('--semi-space-growth-factor=1')
}
