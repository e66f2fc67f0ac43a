// Usage: gobwas-glob PATTERN PATH… — prints one line per PATH: "match" or "no", or exits 2 with
// the compile error. Argo CD compiles directory.exclude without separators, so `*` crosses `/`.
package main

import (
	"fmt"
	"os"

	"github.com/gobwas/glob"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gobwas-glob PATTERN PATH…")
		os.Exit(2)
	}
	g, err := glob.Compile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, p := range os.Args[2:] {
		if g.Match(p) {
			fmt.Println("match")
		} else {
			fmt.Println("no")
		}
	}
}
