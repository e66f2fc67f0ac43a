/**
 * A minimal raw Kubernetes API client for tests: plain HTTP (the fake) or
 * HTTPS with the kubeconfig's CA (the real e2e kube-apiserver), a bearer
 * token, and the raw status / headers / body back. No client library in the
 * way, so tests see exactly what the server sent.
 */
import {readFileSync} from 'node:fs'
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {parse} from 'yaml'

export interface Endpoint {
  server: string
  /** PEM CA bundle for https */
  ca?: string
  /** bearer token; undefined = no Authorization header */
  token?: string
  insecureSkipTLSVerify?: boolean
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  /** parsed body when it is JSON */
  json?: any
  /** Warning header values (299 - "…") decoded to their text */
  warnings: string[]
}

/** Endpoint for a kubeconfig context (default: current-context). */
export function endpointFromKubeconfig(path: string, context?: string): Endpoint {
  const cfg = parse(readFileSync(path, 'utf8'))
  const ctxName = context ?? cfg['current-context']
  const ctx = (cfg.contexts ?? []).find((c: any) => c.name === ctxName)?.context
  if (!ctx) throw new Error(`kubeconfig ${path}: no context ${ctxName}`)
  const cluster = (cfg.clusters ?? []).find((c: any) => c.name === ctx.cluster)?.cluster
  const user = (cfg.users ?? []).find((u: any) => u.name === ctx.user)?.user ?? {}
  if (!cluster) throw new Error(`kubeconfig ${path}: no cluster ${ctx.cluster}`)
  let ca: string | undefined
  if (cluster['certificate-authority-data']) ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8')
  else if (cluster['certificate-authority']) ca = readFileSync(cluster['certificate-authority'], 'utf8')
  return {server: cluster.server, ca, token: user.token, insecureSkipTLSVerify: Boolean(cluster['insecure-skip-tls-verify'])}
}

/** Decode `299 - "text"` warning header values. */
export function parseWarnings(h: string | string[] | undefined): string[] {
  if (h === undefined) return []
  const vals = Array.isArray(h) ? h : [h]
  const out: string[] = []
  for (const v of vals) {
    // several warnings may be folded into one header, comma-separated
    const re = /\d{3} \S+ ("(?:[^"\\]|\\.)*")/g
    let m: RegExpExecArray | null
    while ((m = re.exec(v)) !== null) out.push(JSON.parse(m[1]))
  }
  return out
}

export function rawRequest(
  ep: Endpoint,
  method: string,
  path: string,
  opts: {contentType?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number} = {},
): Promise<RawResponse> {
  const url = new URL(ep.server.replace(/\/+$/, '') + path)
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
  const headers: Record<string, string> = {Accept: 'application/json', 'User-Agent': 'argo-doctor-tests/0', ...(opts.headers ?? {})}
  if (ep.token !== undefined) headers.Authorization = `Bearer ${ep.token}`
  if (opts.contentType) headers['Content-Type'] = opts.contentType
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body))
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {method, headers, ca: ep.ca, rejectUnauthorized: !ep.insecureSkipTLSVerify, timeout: opts.timeoutMs ?? 15000},
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let json: any
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({status: res.statusCode ?? 0, headers: res.headers, text, json, warnings: parseWarnings(res.headers.warning)})
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)))
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

/**
 * Open a watch and collect its events until `until` returns true, the stream
 * ends, or `timeoutMs` passes. Resolves with the events (type + object).
 */
export function collectWatch(
  ep: Endpoint,
  path: string,
  opts: {until?: (events: Array<{type: string; object: any}>) => boolean; timeoutMs?: number; onOpen?: () => void} = {},
): Promise<{status: number; events: Array<{type: string; object: any}>; ended: boolean}> {
  const url = new URL(ep.server.replace(/\/+$/, '') + path)
  const headers: Record<string, string> = {Accept: 'application/json'}
  if (ep.token !== undefined) headers.Authorization = `Bearer ${ep.token}`
  return new Promise((resolve, reject) => {
    const events: Array<{type: string; object: any}> = []
    let buf = ''
    let done = false
    // eslint-disable-next-line prefer-const -- assigned after finish() is defined, which uses it
    let timer: NodeJS.Timeout | undefined
    const finish = (status: number, ended: boolean) => {
      if (done) return
      done = true
      if (timer) clearTimeout(timer)
      req.destroy()
      resolve({status, events, ended})
    }
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {method: 'GET', headers, ca: ep.ca, rejectUnauthorized: !ep.insecureSkipTLSVerify}, (res) => {
      const status = res.statusCode ?? 0
      opts.onOpen?.()
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8')
        let i: number
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim()
          buf = buf.slice(i + 1)
          if (line) events.push(JSON.parse(line))
        }
        if (opts.until?.(events)) finish(status, false)
      })
      res.on('end', () => {
        if (buf.trim()) {
          try {
            events.push(JSON.parse(buf))
          } catch {
            // not JSON: ignore
          }
        }
        finish(status, true)
      })
      res.on('error', () => finish(status, true))
    })
    timer = setTimeout(() => finish(-1, false), opts.timeoutMs ?? 5000)
    req.on('error', (e) => (done ? undefined : reject(e)))
    req.end()
  })
}
