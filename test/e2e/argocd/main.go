// Command argocd is a multi-call binary holding the Argo CD programs
// argo-doctor's tests run for real: the application-controller, the
// repo-server and argocd-server (e2e tier), and the argocd CLI with its plugin
// dispatch (`argocd login`, `argocd doctor …`), built from the Argo CD Go
// module (see go.mod). Never shipped; scripts/argocd.sh builds it into a
// cache outside the repo.
//
// Dispatch, like upstream's cmd/main.go: on the basename of os.Args[0]
// (argocd-application-controller, argocd-repo-server, argocd-server, argocd)
// or ARGOCD_BINARY_NAME, else on the first argument (application-controller |
// repo-server | server | cli), which is then dropped.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	apiserver "github.com/argoproj/argo-cd/v3/cmd/argocd-server/commands"
	cli "github.com/argoproj/argo-cd/v3/cmd/argocd/commands"
	"github.com/argoproj/argo-cd/v3/util/grpc"
	"github.com/argoproj/argo-cd/v3/util/log"
)

func init() {
	// As upstream: make klog use the configured log level and format.
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

func pick(name string) func() *cobra.Command {
	switch name {
	case "argocd-application-controller", "application-controller", "controller":
		return appcontroller.NewCommand
	case "argocd-repo-server", "repo-server":
		return reposerver.NewCommand
	case "argocd-server", "server":
		return apiserver.NewCommand
	case "argocd", "cli":
		return cli.NewCommand
	}
	return nil
}

func main() {
	// As upstream: the workaround for the SRV gRPC lookup bug.
	grpc.DisableSRVLookups()
	name := filepath.Base(os.Args[0])
	if v := os.Getenv("ARGOCD_BINARY_NAME"); v != "" {
		name = v
	}
	newCmd := pick(name)
	args := os.Args[1:]
	if newCmd == nil && len(args) > 0 {
		newCmd = pick(args[0])
		args = args[1:]
	}
	if newCmd == nil {
		fmt.Fprintln(os.Stderr, "usage: argocd {application-controller|repo-server|server|cli} [flags]")
		os.Exit(2)
	}
	cmd := newCmd()
	cmd.SetArgs(args)
	if cmd.Name() != "argocd" {
		if err := cmd.Execute(); err != nil {
			os.Exit(1)
		}
		return
	}
	// The CLI exactly as upstream's cmd/main.go runs it: errors printed by the
	// plugin handler, which runs argocd-<name> from PATH for unknown commands
	// (Argo CD >= 3.1) and exits with the plugin's exit code.
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	if err := cmd.Execute(); err != nil {
		// The handler reads os.Args: make them what the user typed after "argocd".
		osArgs := append([]string{"argocd"}, args...)
		errMsg, pluginErr := cli.NewDefaultPluginHandler().HandleCommandExecutionError(err, true, osArgs)
		if pluginErr != nil {
			os.Stdout.WriteString(errMsg)
			var exitErr *exec.ExitError
			if errors.As(pluginErr, &exitErr) {
				os.Exit(exitErr.ExitCode())
			}
			os.Exit(1)
		}
	}
}
