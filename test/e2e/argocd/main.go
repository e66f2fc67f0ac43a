// Command argocd is a multi-call binary holding the two Argo CD components
// argo-doctor's e2e tier runs for real: the application-controller and the
// repo-server, built from the Argo CD Go module (see go.mod). Never shipped;
// scripts/argocd.sh builds it into a cache outside the repo.
//
// Dispatch, like upstream's cmd/main.go: on the basename of os.Args[0]
// (argocd-application-controller, argocd-repo-server) or ARGOCD_BINARY_NAME,
// else on the first argument (application-controller | repo-server), which
// is then dropped.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
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
	}
	return nil
}

func main() {
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
		fmt.Fprintln(os.Stderr, "usage: argocd {application-controller|repo-server} [flags]")
		os.Exit(2)
	}
	cmd := newCmd()
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		os.Exit(1)
	}
}
