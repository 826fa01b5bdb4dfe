// Package deploy holds Leak's operator files and the tests that keep them
// honest; it has no Go API.
//
// The files: a Grafana dashboard and its provisioning (grafana/), a Prometheus
// scrape config and alert rules with their unit tests (prometheus/), a
// container image (Dockerfile, docker/), a compose stack (compose.yaml), a
// hardened systemd unit (systemd/) and Kubernetes manifests with an offline
// validator in a module of its own (kubernetes/). README.md says how to use
// them.
//
// The tests promise that every metric a query names is in metrics/README.md,
// with its labels and values; that the alert rules load and each fires on its
// condition and not on a near miss (promtool); that every dashboard query and
// alert rule works against a real leakd scraped by a real Prometheus; that the
// configs pass `leakd config check`; and that the Kubernetes manifests decode
// strictly into the Kubernetes API types and agree with each other. Tools
// that are not installed make their test skip, or fail with LEAK_INTEROP=1.
package deploy
