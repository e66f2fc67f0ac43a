// Command etcd is the upstream etcd server (go.etcd.io/etcd/server/v3), built
// for argo-doctor's e2e tier (see scripts/cluster.sh). The server/v3 module has
// no installable main package, so this wraps etcdmain the way etcd's own main does.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
