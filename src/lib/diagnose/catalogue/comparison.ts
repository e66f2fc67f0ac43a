import type {CatalogueEntry} from './types.js'

/**
 * ComparisonError messages: the repo-server could not generate manifests, or the controller could
 * not compare them. Matched on status.conditions[type=ComparisonError].message. The finding built
 * from an entry always ends with "Then: hard-refresh" (after the fix: a refresh first only repeats a
 * cached error), so the steps here leave it out.
 */

const AE = 'github.com/argoproj/argo-cd/v3'
const GE = 'github.com/argoproj/argo-cd/gitops-engine/v3'
const TROUBLESHOOTING = 'https://argo-cd.readthedocs.io/en/stable/user-guide/troubleshooting/'
const REPO_SERVER = 'https://argo-cd.readthedocs.io/en/stable/operator-manual/high_availability/#argocd-repo-server'

export const COMPARISON: CatalogueEntry[] = [
  {
    id: 'comparison-error-values-missing',
    family: 'comparison',
    pattern: /no such file or directory/,
    derive: (_g, input) => (input.refValueFiles ? {} : undefined),
    title: 'A $ref values file of this multi-source app does not exist',
    cause: 'Helm could not open a value file referenced through another source ($ref). In a multi-source app `$name` resolves to the ROOT of the source with `ref: name` — its `path` is ignored — so `$values/values.yaml` means values.yaml at the top of that repository (argo-cd#14567, #15463). The chart is fine; the reference is wrong or the file is not at that revision.',
    fix: {steps: ['Fix spec.sources[].helm.valueFiles (include the full path from the repository root) or add the file to Git.']},
    docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/multiple_sources/#helm-value-files-from-external-git-repository',
    source: 'https://github.com/argoproj/argo-cd/issues/15463',
    examples: [{message: 'Failed to load target state: failed to generate manifest for source 1 of 2: rpc error: code = Unknown desc = `helm template . --name-template helm-guestbook --values <path to cached source>/argocd/guestbook/values.yaml` failed exit status 1: Error: open <path to cached source>/argocd/guestbook/values.yaml: no such file or directory', from: 'https://github.com/argoproj/argo-cd/issues/15463'}],
  },
  {
    id: 'comparison-error-repo-server-killed',
    family: 'comparison',
    pattern: /(?:`(?<tool>[\w-]+)(?: (?<sub>[\w-]+))?[^`]*`|\b(?<tool2>helm|kustomize|git|jsonnet)(?: (?<sub2>[\w-]+))?[^\n`]*?) failed signal: killed|OOMKilled/,
    derive: (g) => {
      const tool = g.tool ?? g.tool2
      const sub = g.tool ? g.sub : g.sub2
      return {tool: tool ? `${tool}${sub ? ` ${sub}` : ''}` : 'the generating tool'}
    },
    title: 'The repo-server killed {{tool}} while generating manifests (memory limit)',
    cause: 'The repo-server started `{{tool}}` and the process was killed ("signal: killed"): almost always the container hit its memory limit and the kernel\'s OOM killer ended the largest process (a big chart, many apps rendered at once after a restart or a cold cache). Nothing in Git is wrong; the same revision renders once the repo-server has the memory.',
    fix: {steps: [
      'Confirm: kubectl get pods -n {{q:controllerNamespace}} -l app.kubernetes.io/name=argocd-repo-server -o jsonpath=\'{range .items[*]}{.metadata.name}{" "}{.status.containerStatuses[*].lastState.terminated.reason}{"\\n"}{end}\' (OOMKilled), and kubectl top pods there.',
      'Raise the argocd-repo-server memory limit, or lower how many manifests it renders at once (--parallelismlimit / reposerver.parallelism.limit in argocd-cmd-params-cm), or add replicas.',
    ]},
    docs: REPO_SERVER,
    source: `${AE}/util/exec/exec.go@v3.6.2 (CmdError: "\`…\` failed <cause>", the cause being Go's "signal: killed")`,
    examples: [{message: 'rpc error: code = Unknown desc = helm pull --destination /tmp/151cb75d-9882-4a0d-bb74-cdcda80aae8c --version 1.0.56903+33e65bd7 --repo https://charts.xxx.com test-app failed signal: killed', from: 'https://github.com/bitnami/charts/issues/27091 (the repo-server log line, quoted as the reporter pasted it)'}, {message: 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `kustomize build /tmp/_argocd-repo/abc/overlays/prod` failed signal: killed', from: `format string in ${AE}/util/exec/exec.go@v3.6.2`}],
  },
  {
    id: 'comparison-error-generation-timeout',
    family: 'comparison',
    pattern: /`(?<tool>[\w-]+)(?: (?<sub>[\w-]+))?[^`]*` failed (?:fatal )?timeout after (?<after>\S+)/,
    derive: (g) => ({tool: `${g.tool}${g.sub ? ` ${g.sub}` : ''}`}),
    title: '{{tool}} ran longer than the repo-server allows ({{after}})',
    cause: 'The repo-server stops a manifest tool after ARGOCD_EXEC_TIMEOUT (90s by default) and `{{tool}}` was still running after {{after}}: a slow chart dependency download, a large kustomize tree with remote bases, or a plugin that waits on the network. Git is fine; generation is too slow for the limit.',
    fix: {steps: ['Raise the timeout on argocd-repo-server: kubectl set env deployment/argocd-repo-server -n {{q:controllerNamespace}} ARGOCD_EXEC_TIMEOUT=180s (and controller.repo.server.timeout.seconds in argocd-cmd-params-cm above it).', 'Or make generation faster: vendor chart dependencies into Git, avoid remote kustomize bases.']},
    docs: REPO_SERVER,
    source: `${AE}/util/exec/exec.go@v3.6.2`,
    examples: [{message: 'rpc error: code = Unknown desc = `helm dependency build` failed timeout after 1m30s', from: `format string in ${AE}/util/exec/exec.go@v3.6.2`}],
  },
  {
    id: 'comparison-error-repo-server-unreachable',
    family: 'comparison',
    ownedBy: 'repo-server-unavailable',
    pattern: /code = Unavailable|code = DeadlineExceeded|context deadline exceeded|error reading from server: EOF|transport is closing|connection refused|connection reset by peer/,
    title: 'Manifests could not be generated: the repo-server did not answer',
    cause: 'A transport failure between the controller and argocd-repo-server (timeout, EOF, connection refused): the repo-server was down, restarting (e.g. OOM-killed) or too slow. Not a problem in Git.',
    fix: {steps: ['kubectl get pods -n {{q:controllerNamespace}} -l app.kubernetes.io/name=argocd-repo-server (restarts, OOMKilled)']},
    docs: REPO_SERVER,
    source: 'https://github.com/argoproj/argo-cd/issues/4198',
    examples: [{message: 'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 10.96.143.7:8081: connect: connection refused"', from: 'https://github.com/argoproj/argo-cd/issues/4198'}, {message: 'rpc error: code = Unavailable desc = error reading from server: EOF', from: 'https://github.com/argoproj/argo-cd/issues/19740'}],
  },
  {
    id: 'comparison-error-revision',
    family: 'comparison',
    pattern: /unable to resolve '(?<rev>[^']+)' to a commit SHA|unable to resolve git revision (?<rev2>\S+?):/,
    derive: (g) => ({rev: g.rev ?? g.rev2}),
    title: 'targetRevision {{rev}} does not exist in the repository',
    cause: 'The repo-server listed the repository\'s branches and tags and none is called {{rev}}, and it is not a commit SHA: the branch was deleted or renamed, the tag not pushed, or targetRevision has a typo. The credentials work (the list was read).',
    fix: {steps: ['Check: git ls-remote <repoURL> {{q:rev}}', 'Push the branch/tag, or set spec.source.targetRevision (spec.sources[].targetRevision) to one that exists.']},
    docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/tracking_strategies/',
    source: `${AE}/util/git/client.go@v3.6.2 and ${AE}/reposerver/repository/repository.go@v3.6.2`,
    examples: [{message: 'rpc error: code = Internal desc = unable to resolve git revision feature/x: unable to resolve \'feature/x\' to a commit SHA: revision not found', from: `format strings in ${AE}/reposerver/repository/repository.go@v3.6.2 and ${AE}/util/git/client.go@v3.6.2`}],
  },
  {
    id: 'comparison-error-helm-repo-not-permitted',
    family: 'comparison',
    pattern: /helm repos (?<repos>.+?) are not permitted in project '(?<project>[^']+)'/,
    title: 'Chart dependencies come from Helm repositories project {{project}} does not permit',
    cause: 'The chart\'s dependencies are fetched from {{repos}}, and the AppProject {{project}} does not list them in spec.sourceRepos, so the repo-server refuses to download them.',
    fix: {steps: ['Add the repositories to the AppProject\'s spec.sourceRepos (and register them as Helm repositories with credentials if private), or vendor the dependencies into the chart (charts/).']},
    docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/projects/',
    source: `${AE}/reposerver/repository/repository.go@v3.6.2`,
    examples: [{message: 'rpc error: code = PermissionDenied desc = helm repos https://charts.bitnami.com/bitnami are not permitted in project \'team-a\'', from: `format string in ${AE}/reposerver/repository/repository.go@v3.6.2`}],
  },
  {
    id: 'comparison-error-chart-not-found',
    family: 'comparison',
    pattern: /chart "(?<chart>[^"]+)" version "(?<version>[^"]+)" not found in (?<repo>\S+) repository|chart '(?<chart2>[^']+)' not found in index|is not a valid chart repository or cannot be reached/,
    derive: (g) => ({what: g.chart ? `chart ${g.chart} version ${g.version} in ${g.repo}` : g.chart2 ? `chart ${g.chart2} in the repository index` : 'the chart repository'}),
    title: 'Helm cannot find {{what}}',
    cause: 'Helm reached the chart repository but it does not have {{what}} (the version was never published or was removed, the chart name is wrong, or the URL is not a chart repository). Credentials work; the coordinates do not.',
    fix: {steps: ['List what the repository has: helm search repo <repo>/<chart> --versions (after helm repo add), or the index.yaml at the repository URL.', 'Fix spec.source.chart / targetRevision (or the dependency in Chart.yaml) in Git.']},
    docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/helm/',
    source: `${AE}/util/helm/index.go@v3.6.2 and ${AE}/reposerver/repository/repository.go@v3.6.2 (Helm's "is not a valid chart repository or cannot be reached")`,
    examples: [{message: 'rpc error: code = Unknown desc = chart \'ingress-nginx\' not found in index', from: `format string in ${AE}/util/helm/index.go@v3.6.2`}],
  },
  {
    id: 'comparison-error-app-path',
    family: 'comparison',
    pattern: /(?<path>\S+): app path (?<what>does not exist|is not a directory)/,
    title: 'The source path {{path}} {{what}} at this revision',
    cause: 'spec.source.path names {{path}}, which {{what}} in the repository at the target revision: it was moved or deleted, or the app points at the wrong branch.',
    fix: {steps: ['Check the path at the revision (git ls-tree <revision> -- <path>) and fix spec.source.path or targetRevision.']},
    docs: TROUBLESHOOTING,
    source: `${AE}/util/app/path/path.go@v3.6.2`,
    examples: [{message: 'rpc error: code = Unknown desc = apps/web: app path does not exist', from: `format string in ${AE}/util/app/path/path.go@v3.6.2`}],
  },
  {
    id: 'comparison-error-repo-access',
    family: 'comparison',
    pattern: /authentication required|repository not found|could not read Username|permission denied \(publickey\)|ssh: handshake failed|unable to authenticate|invalid username or password|authorization failed|x509: certificate signed by unknown authority/i,
    title: 'Argo CD cannot read the repository (credentials or URL)',
    cause: 'The repo-server was refused by the Git/Helm/OCI repository of {{app}} ("authentication required", "repository not found" or an SSH/TLS failure): no manifests can be generated, so sync status is Unknown. This is configuration, not a transient error: refreshing does not help until the credentials match the URL exactly. Argo CD looks credentials up by URL, so a trailing slash or a missing .git selects none (argo-cd#9875), and hosts answer "repository not found" for a private repository read without credentials.',
    fix: {steps: [
      'Check the repository connection: argocd repo list (status of {{repos}}), or the Secrets labelled argocd.argoproj.io/secret-type=repository / repo-creds in {{controllerNamespace}} (kubectl get secrets -n {{q:controllerNamespace}} -l argocd.argoproj.io/secret-type=repository).',
      'Make spec.source.repoURL match the credential\'s url exactly (https vs ssh, trailing slash, .git); renew an expired token or deploy key; for SSH add the host to argocd-ssh-known-hosts-cm, for private CAs to argocd-tls-certs-cm.',
    ]},
    docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/private-repositories/',
    source: 'https://github.com/argoproj/argo-cd/issues/9875',
    examples: [{message: 'rpc error: code = Unknown desc = authentication required', from: 'https://github.com/argoproj/argo-cd/issues/13023'}, {message: 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = Manifest generation error (cached): failed to list refs: authentication required: Repository not found.', from: 'https://github.com/argoproj/argo-cd/issues/26363'}],
  },
  {
    id: 'comparison-error-forbidden',
    family: 'comparison',
    pattern: /is forbidden: User "(?<user>[^"]+)" cannot (?<verb>\w+) resource "(?<res>[^"]+)"(?: in API group "(?<apiGroup>[^"]*)")?/,
    derive: (g) => {
      const sa = /^system:serviceaccount:([^:]+):(.+)$/.test(g.user)
      return {
        target: `${g.res}${g.apiGroup ? `.${g.apiGroup}` : ''}`,
        inGroup: g.apiGroup ? ` (API group "${g.apiGroup}")` : '',
        remote: sa ? '' : ' (run against the destination cluster)',
        grant: sa
          ? `Grant it: bind ${g.user} to a ClusterRole that can get/list/watch ${g.res} (the install's argocd-application-controller ClusterRole allows everything; a namespaced install must list its namespaces), or exclude the kind with resource.exclusions in argocd-cm if Argo CD should not manage it.`
          : 'The cluster Secret\'s credentials lack the permission: give that identity get/list/watch on it, or limit what Argo CD watches (resource.inclusions/exclusions in argocd-cm).',
      }
    },
    title: 'The application-controller is forbidden to read resources (RBAC)',
    cause: 'Comparing {{app}} needs the controller to list every resource kind in the destination cluster, and {{user}} may not {{verb}} {{res}}{{inGroup}}. The controller\'s cluster cache fails to load, so the app stays Unknown (argo-cd#6643, #9025). This is RBAC of the controller (in-cluster) or of the cluster credentials in the cluster Secret (a remote cluster), not the manifests.',
    fix: {steps: ['Confirm: kubectl auth can-i {{q:verb}} {{q:target}} --as {{q:user}}{{remote}} -A', '{{grant}}']},
    docs: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters',
    source: 'k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go@v0.35.0',
    examples: [{message: 'failed to sync cluster https://10.68.0.1:443: failed to load initial state of resource AuthorizationPolicy.security.istio.io: authorizationpolicies.security.istio.io is forbidden: User "system:serviceaccount:argocd-system:argocd-application-controller" cannot list resource "authorizationpolicies" in API group "security.istio.io" at the cluster scope', from: 'https://github.com/argoproj/argo-cd/issues/6643'}],
  },
  {
    id: 'comparison-error-message-size',
    family: 'comparison',
    pattern: /ResourceExhausted|message larger than max/i,
    title: 'Generated manifests exceed the gRPC message size limit',
    cause: 'The manifests generated for {{app}} are larger than the gRPC limit between the repo-server and the controller ("grpc: received message larger than max", code ResourceExhausted; argo-cd#3117). Nothing is wrong with the source and a refresh fails the same way: the limit or the app\'s size has to change.',
    fix: {steps: [
      'Raise the limit on argocd-repo-server, argocd-application-controller and argocd-server alike: environment variable ARGOCD_GRPC_MAX_SIZE_MB (default 200 in current releases, 100 in older ones), e.g. kubectl set env deployment/argocd-repo-server -n {{q:controllerNamespace}} ARGOCD_GRPC_MAX_SIZE_MB=400 (and the controller StatefulSet).',
      'Better: split the app (large CRDs bundles, many generated objects) into several Applications.',
    ]},
    docs: 'https://github.com/argoproj/argo-cd/issues/3117',
    source: 'https://github.com/argoproj/argo-cd/issues/3117',
    examples: [{message: 'rpc error: code = ResourceExhausted desc = grpc: received message larger than max (4245897 vs. 4194304)', from: 'https://github.com/argoproj/argo-cd/issues/3117'}],
  },
  {
    id: 'comparison-error-schema',
    family: 'comparison',
    pattern: /field not declared in schema|error building typed value|pre-diff normalization|error calculating structured merge diff/,
    title: 'Diffing fails on a field Argo CD\'s built-in schema does not know (Kubernetes version)',
    cause: 'Argo CD computes the structured-merge diff of {{app}} with the Kubernetes schema compiled into it; a field the cluster\'s Kubernetes version (or a newer CRD) has and that schema lacks fails with "field not declared in schema" (argo-cd#18778, #13585; gitops-engine#558). The manifests are fine; the Argo CD version is older than the cluster\'s Kubernetes version or the field is new.',
    fix: {steps: [
      'Upgrade Argo CD to a release tested with this cluster\'s Kubernetes version (see the docs link).',
      'Meanwhile: server-side diff avoids the built-in schema: annotate the app argocd.argoproj.io/compare-options: ServerSideDiff=true (kubectl annotate applications.argoproj.io {{q:app}} -n {{q:appNamespace}} argocd.argoproj.io/compare-options=ServerSideDiff=true). ignoreDifferences with managedFieldsManagers also triggers this path: remove it if set.',
    ]},
    docs: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/tested-kubernetes-versions/',
    source: `${GE}/pkg/diff/diff.go@v3.6.2 (structured-merge diff); https://github.com/argoproj/argo-cd/issues/18778`,
    examples: [{message: 'Failed to compare desired state to live state: failed to calculate diff: error calculating structured merge diff: error building typed value from config resource: .spec.template.spec.containers[name="app"].resizePolicy: field not declared in schema', from: 'https://github.com/argoproj/argo-cd/issues/18778'}],
  },
  {
    id: 'comparison-error-plugin',
    family: 'comparison',
    pattern: /cmp-server plugin|config management plugin not supported|plugin sidecar failed|CMP processing failed/i,
    title: 'No config-management plugin sidecar accepts this source',
    cause: 'The repo-server found no CMP sidecar that supports {{app}}\'s source ("couldn\'t find cmp-server plugin … supporting the given repository"; argo-cd#12092, #19614, #13013). Either spec.source.plugin.name does not match a sidecar\'s plugin (its name is metadata.name, or name-version when spec.version is set), the sidecar is not running, or its discover rule does not match the files at the path. This is configuration: a refresh keeps failing until the plugin matches.',
    fix: {steps: [
      'List the sidecars: kubectl get pods -n {{q:controllerNamespace}} -l app.kubernetes.io/name=argocd-repo-server -o jsonpath=\'{.items[0].spec.containers[*].name}\', and read their plugin.yaml (ConfigManagementPlugin metadata.name and spec.version).',
      'Make spec.source.plugin.name equal to that name (with "-<version>" when the plugin sets spec.version), or fix the discover rule; check the sidecar logs for the reason it declined.',
    ]},
    docs: 'https://argo-cd.readthedocs.io/en/stable/operator-manual/config-management-plugins/',
    source: `${AE}/util/app/discovery/discovery.go@v3.6.2`,
    examples: [{message: 'rpc error: code = Unknown desc = Manifest generation error (cached): plugin sidecar failed. couldn\'t find cmp-server plugin with name "helmchart-ytt" supporting the given repository', from: 'https://github.com/argoproj/argo-cd/issues/19614'}],
  },
  {
    id: 'comparison-error-multi-source',
    family: 'comparison',
    wrapper: true,
    pattern: /failed to generate manifest for source (?<index>\d+) of (?<count>\d+): (?<rest>[^\n]+)/,
    title: 'Source {{index}} of {{count}} cannot be generated',
    cause: 'In this multi-source app, source {{index}} (spec.sources[{{zeroIndex}}]) fails: {{rest}}. The other sources are not compared until it is fixed; a refresh renders the same error.',
    derive: (g) => ({zeroIndex: String(Number(g.index) - 1)}),
    fix: {steps: ['Reproduce it: argocd app manifests {{q:app}} --app-namespace {{q:appNamespace}} --source git, and fix spec.sources[{{zeroIndex}}] (or what it points at) in Git.']},
    docs: 'https://argo-cd.readthedocs.io/en/stable/user-guide/multiple_sources/',
    source: `${AE}/controller/state.go@v3.6.2`,
    examples: [{message: 'Failed to load target state: failed to generate manifest for source 2 of 3: rpc error: code = Unknown desc = something the catalogue does not know', from: `format string in ${AE}/controller/state.go@v3.6.2`}],
  },
  {
    id: 'comparison-error-render',
    family: 'comparison',
    pattern: /(?:helm template|helm dependency build|kustomize build|jsonnet)\b[^]*?failed|Error: (?:template|parse error|YAML parse error)|error converting YAML to JSON|failed to unmarshal manifest|accumulating resources/i,
    title: 'Rendering the source fails (Helm/Kustomize error in Git)',
    cause: 'The repo-server ran the source\'s tool and it failed: {{rootCause}}. That is an error in what is committed (a template, values, a kustomization or a missing file at this revision), so it has to be fixed in Git; a refresh before the fix renders the same error.',
    fix: {steps: ['Reproduce it: argocd app manifests {{q:app}} --app-namespace {{q:appNamespace}} --source git, or locally (helm template / kustomize build) at the app\'s targetRevision.', 'Fix it in Git and push.']},
    docs: TROUBLESHOOTING,
    source: `${AE}/util/exec/exec.go@v3.6.2 (the tool's stderr after "\`…\` failed exit status N:")`,
    examples: [{message: 'rpc error: code = Unknown desc = failed to execute helm template command: `helm template . --name-template api-dev` failed exit status 1: Error: template: base-chart/templates/deployment.yaml:12:20: executing "x" at <.Values.image.tag>: nil pointer evaluating interface {}.tag', from: 'https://github.com/argoproj/argo-cd/issues/24981'}],
  },
]
