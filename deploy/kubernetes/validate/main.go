// Command validate checks Leak's Kubernetes manifests without a cluster and
// without downloading schemas: it builds the kustomization exactly as
// `kubectl apply -k` would (sigs.k8s.io/kustomize/api), decodes every object
// strictly into its typed struct from k8s.io/api or the Prometheus Operator's
// API (an unknown field, a duplicate key or a value of the wrong type is an
// error), and then checks what a schema cannot: that the objects refer to
// each other correctly, that the pods meet the "restricted" Pod Security
// Standard their namespace enforces, that leakd's config agrees with the
// ports, mounts and Secrets, that the NetworkPolicy opens only SMTP to
// everyone and the Ingress routes no metrics, that a disruption budget
// lets drains proceed and the grace period covers the drain, and that
// several replicas share Redis, their keys and their ACME cache.
//
// It is a module of its own so that Leak's main module carries no Kubernetes
// dependency. Run it from this directory:
//
//	go run . [-dir ..]
//
// It prints one line per problem and exits 1 if there is any.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	dir := flag.String("dir", "..", "the kustomization directory to check")
	flag.Parse()
	objs, err := build(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "validate:", err)
		os.Exit(1)
	}
	problems := check(objs)
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "validate:", p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
	fmt.Printf("validate: %s: %d objects ok\n", *dir, objs.count())
}
