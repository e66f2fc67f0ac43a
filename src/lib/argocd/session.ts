/**
 * Which backend a command uses, and the Argo CD session of the `argocd` CLI, read the way the CLI
 * reads it (Argo CD v3.6.2: cmd/argocd/commands/root.go, pkg/apiclient/apiclient.go NewClient,
 * util/localconfig, util/config/env.go). `argocd` runs a plugin with the caller's environment only
 * (cmd/argocd/commands/plugin.go): no --server, no token — so the session comes from ARGOCD_OPTS,
 * ARGOCD_SERVER / ARGOCD_AUTH_TOKEN and the CLI's config file.
 *
 * Pure except for reading the config file. The HTTP client (client.ts) and the source (source.ts)
 * are loaded only when this says the Argo CD API is the backend.
 */
import {existsSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {DoctorError, keepSecret} from '../errors.js'
import {homeDirectory} from '../home.js'

/** How argo-doctor reaches the Applications. */
export type Backend =
  | {kind: 'kube'; why?: string}
  | {kind: 'argocd'; session: ArgoCdSession}

export interface ArgoCdSession {
  /** The address as the CLI names it (host:port), for messages and `argocd login` hints. */
  server: string
  /** The REST API's base URL (scheme, host, port, grpc-web root path). */
  baseUrl: string
  token: string
  /** The context's refresh token exists (an SSO login): `argocd relogin` renews the session. */
  hasRefreshToken: boolean
  insecure: boolean
  plainText: boolean
  /** The config file's context, when the session came from it. */
  contextName?: string
  configPath?: string
  /** PEM CA data: the context's certificate-authority-data, or --server-crt in ARGOCD_OPTS. */
  ca?: Buffer
  /** Where the server address came from, for the backend line. */
  serverFrom: string
}

/**
 * ARGOCD_OPTS as util/config/env.go reads it: shell words, "--key value" or a bare "--flag" (true),
 * "--key=value" too. A word that is not a flag and follows no flag is an error, as in the CLI.
 */
export function parseArgocdOpts(text: string | undefined): Map<string, string> {
  const flags = new Map<string, string>()
  let key: string | undefined
  for (const word of shellWords(text ?? '')) {
    if (word.startsWith('--')) {
      if (key !== undefined) flags.set(key, 'true')
      key = word.slice(2)
    } else if (key !== undefined) {
      flags.set(key, word)
      key = undefined
    } else {
      throw new DoctorError('CONFIG', `ARGOCD_OPTS is invalid at '${word}' (the argocd CLI refuses it the same way).`, 'Fix ARGOCD_OPTS: flags as --name value or --name.')
    }
  }

  if (key !== undefined) flags.set(key, 'true')
  for (const [k, v] of [...flags]) {
    const eq = k.indexOf('=')
    if (eq > 0 && v === 'true' && !flags.has(k.slice(0, eq))) flags.set(k.slice(0, eq), k.slice(eq + 1))
  }

  return flags
}

/** POSIX-shell words (single quotes, double quotes with backslash escapes, backslashes), as go-shellquote splits them. */
export function shellWords(text: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) throw new DoctorError('CONFIG', 'ARGOCD_OPTS has an unterminated single quote.', 'Fix the quoting in ARGOCD_OPTS.')
      word += text.slice(i + 1, end)
      i = end
      inWord = true
    } else if (c === '"') {
      let j = i + 1
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '$`"\\\n'.includes(text[j + 1])) j++
        word += text[j]
      }

      if (j >= text.length) throw new DoctorError('CONFIG', 'ARGOCD_OPTS has an unterminated double quote.', 'Fix the quoting in ARGOCD_OPTS.')
      i = j
      inWord = true
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i]
      inWord = true
    } else {
      word += c
      inWord = true
    }
  }

  if (inWord) words.push(word)
  return words
}

/**
 * The CLI's config directory (localconfig.DefaultConfigDir): $ARGOCD_CONFIG_DIR, else the legacy
 * ~/.argocd when it exists, else $XDG_CONFIG_HOME/argocd, else ~/.config/argocd.
 */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env, home = env.HOME || homeDirectory()): string | undefined {
  if (env.ARGOCD_CONFIG_DIR) return env.ARGOCD_CONFIG_DIR
  const legacy = home === undefined ? undefined : join(home, '.argocd')
  if (legacy !== undefined && existsSync(legacy)) return legacy
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'argocd')
  if (home === undefined) return undefined // no home directory: no argocd login to read
  return join(home, '.config', 'argocd')
}

/** The parts of the CLI's config file (localconfig.LocalConfig) argo-doctor uses. */
interface LocalConfig {
  'current-context'?: string
  contexts?: Array<{name?: string; server?: string; user?: string}>
  servers?: Array<{server?: string; insecure?: boolean; 'grpc-web'?: boolean; 'grpc-web-root-path'?: string; 'certificate-authority-data'?: string; 'plain-text'?: boolean; core?: boolean}>
  users?: Array<{name?: string; 'auth-token'?: string; 'refresh-token'?: string}>
}

type ResolvedContext = {name: string; server: NonNullable<LocalConfig['servers']>[number]; user: NonNullable<LocalConfig['users']>[number]}

/** Read the config file as ReadLocalConfig does: absent → undefined; permissions other than 0600/0400 → refused, as the CLI refuses. */
export async function readLocalConfig(path: string): Promise<LocalConfig | undefined> {
  let mode: number
  try {
    mode = statSync(path).mode & 0o777
  } catch {
    return undefined
  }

  if (process.platform !== 'win32' && mode !== 0o600 && mode !== 0o400) {
    throw new DoctorError('CONFIG', `The argocd config file ${path} has permissions ${mode.toString(8).padStart(4, '0')}; the argocd CLI refuses it, and so does argo-doctor.`, `Make it private: chmod 600 ${path}`)
  }

  const {load} = await import('js-yaml')
  try {
    const doc = load(readFileSync(path, 'utf8'))
    return doc && typeof doc === 'object' ? doc as LocalConfig : {}
  } catch (error) {
    // The first line only: a YAML error quotes the file, which holds tokens.
    throw new DoctorError('CONFIG', `Cannot read the argocd config file ${path}: ${String((error as Error).message).split('\n')[0]}`, 'Log in again to rewrite it: argocd login <server>')
  }
}

/** localconfig.ResolveContext: the named context (default: current-context) with its server and user. */
function resolveContext(config: LocalConfig, path: string, name?: string): ResolvedContext | undefined {
  const wanted = name || config['current-context']
  if (!wanted) return undefined
  const ctx = (config.contexts ?? []).find((c) => c?.name === wanted)
  const invalid = (what: string) => new DoctorError('CONFIG', `The argocd config file ${path} is invalid: ${what}.`, 'Pick a context that exists: argocd context, or log in again: argocd login <server>')
  if (!ctx) throw invalid(`context '${wanted}' is undefined`)
  const server = (config.servers ?? []).find((s) => s?.server === ctx.server)
  if (!server) throw invalid(`server '${ctx.server}' of context '${wanted}' is undefined`)
  const user = (config.users ?? []).find((u) => u?.name === ctx.user)
  if (!user) throw invalid(`user '${ctx.user}' of context '${wanted}' is undefined`)
  return {name: wanted, server, user}
}

export interface BackendInputs {
  /** --argocd-server. */
  argocdServer?: string
  /** Invoked as `argocd doctor` (the argocd CLI's plugin dispatch, or the argocd-doctor binary). */
  asArgocdPlugin: boolean
  /** The user named a kubeconfig, context, cluster, user, server or token: the Kubernetes API is wanted. */
  kubeFlags: boolean
  /** -f FILE: neither backend. */
  env?: NodeJS.ProcessEnv
}

/**
 * Pick the backend:
 *  - --argocd-server → the Argo CD API;
 *  - kubectl connection flags (--kubeconfig, --context, -s, --token, …) → the Kubernetes API;
 *  - ARGOCD_SERVER set, or invoked as `argocd doctor` with an Argo CD login → the Argo CD API,
 *    unless the login is a --core one (the CLI itself talks to Kubernetes then);
 *  - otherwise the Kubernetes API (kubeconfig), as before.
 */
export async function chooseBackend(inputs: BackendInputs): Promise<Backend> {
  const env = inputs.env ?? process.env
  if (!inputs.argocdServer && inputs.kubeFlags) return {kind: 'kube'}
  if (!inputs.argocdServer && !env.ARGOCD_SERVER && !inputs.asArgocdPlugin) return {kind: 'kube'}
  const opts = parseArgocdOpts(env.ARGOCD_OPTS)
  const configDir = defaultConfigDir(env)
  const configPath = opts.get('config') ?? (configDir === undefined ? undefined : join(configDir, 'config'))
  const config = configPath === undefined ? undefined : await readLocalConfig(configPath)
  const ctx = config && configPath !== undefined ? resolveContext(config, configPath, opts.get('argocd-context')) : undefined
  if (!inputs.argocdServer && (opts.get('core') === 'true' || ctx?.server.core)) {
    return {kind: 'kube', why: `the argocd ${ctx?.server.core ? `context "${ctx.name}"` : 'ARGOCD_OPTS'} is a --core login (it talks to Kubernetes directly)`}
  }

  // Precedence as in NewClient: the context's server, then $ARGOCD_SERVER, then --server (ARGOCD_OPTS); ours last.
  const server = inputs.argocdServer ?? opts.get('server') ?? env.ARGOCD_SERVER ?? ctx?.server.server
  const serverFrom = inputs.argocdServer ? '--argocd-server' : opts.has('server') ? 'ARGOCD_OPTS --server' : env.ARGOCD_SERVER ? '$ARGOCD_SERVER' : `argocd context "${ctx?.name}" (${configPath})`
  if (!server) {
    // `argocd doctor` without an Argo CD login: the kubeconfig, as before this backend existed.
    return {kind: 'kube', why: `no argocd login found (${configPath} does not exist or has no current context, and ARGOCD_SERVER is unset)`}
  }

  // The context's credentials belong to the context's server only.
  const bare = (address: string | undefined) => address?.replace(/^https?:\/\//i, '').replace(/\/+$/, '')
  const sameServer = ctx && bare(ctx.server.server) === bare(server)
  const token = (opts.get('auth-token') ?? env.ARGOCD_AUTH_TOKEN ?? (sameServer ? ctx.user['auth-token'] : undefined) ?? '').trim()
  const plainText = opts.get('plaintext') === 'true' || Boolean(sameServer && ctx.server['plain-text'])
  const insecure = opts.get('insecure') === 'true' || Boolean(sameServer && ctx.server.insecure)
  const rootPath = (opts.get('grpc-web-root-path') ?? (sameServer ? ctx.server['grpc-web-root-path'] : undefined) ?? '').replace(/^\/+|\/+$/g, '')
  let ca: Buffer | undefined
  const caFile = opts.get('server-crt')
  if (caFile) {
    try {
      ca = readFileSync(caFile)
    } catch {
      throw new DoctorError('CONFIG', `The server certificate file ${caFile} (ARGOCD_OPTS --server-crt) cannot be read.`, 'Fix --server-crt in ARGOCD_OPTS.')
    }
  } else if (sameServer && ctx.server['certificate-authority-data']) {
    ca = Buffer.from(ctx.server['certificate-authority-data'], 'base64')
  }

  if (token) keepSecret(token)
  return {
    kind: 'argocd',
    session: {
      server,
      baseUrl: baseUrlOf(server, plainText, rootPath),
      token,
      hasRefreshToken: Boolean(sameServer && ctx.user['refresh-token']),
      insecure,
      plainText,
      contextName: sameServer ? ctx.name : undefined,
      configPath: sameServer ? configPath : undefined,
      ca,
      serverFrom,
    },
  }
}

/** The REST base URL: the CLI's server address is host[:port] (a scheme is tolerated); no port means 443, as the CLI assumes. */
export function baseUrlOf(server: string, plainText: boolean, rootPath = ''): string {
  const explicit = /^(https?):\/\//i.exec(server)
  const scheme = explicit ? explicit[1].toLowerCase() : plainText ? 'http' : 'https'
  const rest = server.replace(/^https?:\/\//i, '').replace(/\/+$/, '')
  let url: URL
  try {
    url = new URL(`${scheme}://${rest}`)
  } catch {
    throw new DoctorError('CONFIG', `The Argo CD server address "${server}" is not a host[:port].`, 'Pass --argocd-server HOST:PORT (or fix ARGOCD_SERVER / the argocd context).')
  }

  const path = [url.pathname.replace(/^\/+|\/+$/g, ''), rootPath].filter(Boolean).join('/')
  return `${url.protocol}//${url.host}${path ? `/${path}` : ''}`
}

/** The `argocd login` command for this session's server, with the flags the CLI needs to reach it again. */
export function loginCommand(session: Pick<ArgoCdSession, 'server' | 'plainText' | 'insecure'>): string {
  return ['argocd', 'login', session.server, ...(session.plainText ? ['--plaintext'] : []), ...(session.insecure ? ['--insecure'] : [])].join(' ')
}

/** The token's claims (never verified here: the server does), for exp and the user name. */
export function tokenClaims(token: string): {exp?: number; sub?: string; email?: string} | undefined {
  const part = token.split('.')[1]
  if (!part) return undefined
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>
    return {exp: typeof claims.exp === 'number' ? claims.exp : undefined, sub: typeof claims.sub === 'string' ? claims.sub : undefined, email: typeof claims.email === 'string' ? claims.email : undefined}
  } catch {
    return undefined
  }
}

/** The error for a session the server will not accept (none, expired, rejected). */
export function sessionError(session: Pick<ArgoCdSession, 'server' | 'plainText' | 'insecure' | 'hasRefreshToken' | 'contextName'>, what: string): DoctorError {
  const login = loginCommand(session)
  const hint = session.hasRefreshToken
    ? `Renew it with: argocd relogin (or: ${login}), then run argo-doctor again.`
    : `Log in again with: ${login} (or set ARGOCD_AUTH_TOKEN to a valid token), then run argo-doctor again.`
  return new DoctorError('UNAUTHORIZED', `${what} (Argo CD server ${session.server}${session.contextName ? `, argocd context "${session.contextName}"` : ''}); nothing was read or written.`, hint)
}

/** Refuse before any request when the token is missing or its exp has passed (the server would answer 401). */
export function checkToken(session: ArgoCdSession, now = Date.now()): void {
  if (!session.token) throw sessionError(session, 'No Argo CD session: there is no auth token')
  const exp = tokenClaims(session.token)?.exp
  if (exp !== undefined && exp * 1000 <= now) throw sessionError(session, `Your Argo CD session expired at ${new Date(exp * 1000).toISOString()}`)
}
