package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// kubeValidator builds the validator of kubernetes/validate, a module of its
// own. The first build downloads its modules (k8s.io/api, kustomize, the
// Prometheus Operator API) from the Go module proxy.
func kubeValidator(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(binDir, "kube-validate")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = "kubernetes/validate"
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := "building kubernetes/validate (needs the Go module proxy the first time): " + err.Error() + "\n" + string(out)
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// TestKubernetesManifests builds the kustomization and validates it
// strictly, then shows that the validator catches each kind of mistake.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	bin := kubeValidator(t)
	if out, err := run(t, ".", bin, "-dir", "kubernetes"); err != nil {
		t.Fatalf("kubernetes/: %v\n%s", err, out)
	}

	type edit struct{ file, old, new string }
	tests := []struct {
		name  string
		edits []edit
		want  string
	}{
		{"unknown field", []edit{{"statefulset.yaml", "  replicas: 1\n", "  replicas: 1\n  replica: 1\n"}}, `unknown field "replica"`},
		{"wrong type", []edit{{"statefulset.yaml", "  replicas: 1\n", "  replicas: one\n"}}, "cannot unmarshal string"},
		{"duplicate key", []edit{{"services.yaml", "  clusterIP: None\n", "  clusterIP: None\n  clusterIP: None\n"}}, "already defined"},
		{"probe on a missing port", []edit{{"statefulset.yaml", "              path: /readyz\n              port: metrics\n", "              path: /readyz\n              port: metric\n"}}, "readinessProbe port metric"},
		{"writable root", []edit{{"statefulset.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"}}, "readOnlyRootFilesystem is not true"},
		{"config port drift", []edit{{"leak.yaml", "listen: 0.0.0.0:2525", "listen: 0.0.0.0:2526"}}, "smtp.listen listens on 2526"},
		{"web port drift", []edit{{"leak.yaml", "listen: 0.0.0.0:8080", "listen: 0.0.0.0:8081"}}, "web.listen listens on 8081"},
		{"spool off the volume", []edit{{"leak.yaml", "data_dir: /var/lib/leak ", "data_dir: /srv/leak "}}, "data_dir /srv/leak is on the container's read-only root"},
		{"Service misses the pods", []edit{{"services.yaml", "  selector:\n    app.kubernetes.io/name: leak\n  ports:\n    - name: smtp", "  selector:\n    app.kubernetes.io/name: lek\n  ports:\n    - name: smtp"}}, "matches no pod template"},
		{"ServiceMonitor misses the port", []edit{{"servicemonitor.yaml", "    - port: metrics", "    - port: http"}}, `no port named "http"`},
		{"unknown kind", []edit{{"kustomization.yaml", "  - servicemonitor.yaml\n", "  - servicemonitor.yaml\n  - extra.yaml\n"}}, "not a kind this validator knows"},
		// Several replicas must share Redis, the keys and the ACME cache.
		{"replicas without Redis", []edit{
			{"statefulset.yaml", "  replicas: 1\n", "  replicas: 2\n"},
			{"leak.yaml", "    enabled: true\n    email", "    enabled: false\n    email"},
			{"leak.yaml", "  redis: redis://leak-redis:6379/0\n", ""},
		}, "replicas 2 without policy.redis"},
		{"replicas without a shared secret", []edit{
			{"statefulset.yaml", "  replicas: 1\n", "  replicas: 3\n"},
			{"leak.yaml", "    enabled: true\n    email", "    enabled: false\n    email"},
			{"leak.yaml", "  secret_file: /run/secrets/leak-keys/policy.secret\n", ""},
		}, "replicas 3 without policy.secret_file"},
		{"replicas without a shared bounce key", []edit{
			{"statefulset.yaml", "  replicas: 1\n", "  replicas: 2\n"},
			{"leak.yaml", "    enabled: true\n    email", "    enabled: false\n    email"},
			{"leak.yaml", "  bounce_key_file: /run/secrets/leak-keys/bounce.key\n", ""},
		}, "replicas 2 without delivery.bounce_key_file"},
		{"replicas with an ACME cache each", []edit{{"statefulset.yaml", "  replicas: 1\n", "  replicas: 2\n"}}, "cache_dir /var/lib/leak/acme is not one shared"},
		{"key off the Secret", []edit{{"leak.yaml", "secret_file: /run/secrets/leak-keys/policy.secret", "secret_file: /var/lib/leak/policy.secret"}}, "policy.secret_file /var/lib/leak/policy.secret is not on a mounted Secret"},
		{"Redis misnamed", []edit{{"leak.yaml", "redis://leak-redis:6379/0", "redis://leak-rediss:6379/0"}}, `policy.redis names "leak-rediss"`},
		{"metrics open to all", []edit{{"networkpolicy.yaml", "    - ports:\n        - port: smtp\n", "    - ports:\n        - port: smtp\n        - port: metrics\n"}}, "admits leakd's metrics port from every source"},
		{"no NetworkPolicy", []edit{{"kustomization.yaml", "  - networkpolicy.yaml\n", ""}}, "no NetworkPolicy limits ingress to the leakd pods"},
		{"budget that blocks drains", []edit{{"pdb.yaml", "maxUnavailable: 1", "minAvailable: 1"}}, "no pod may ever be evicted"},
		{"Ingress to metrics", []edit{{"ingress.yaml", "                name: leak-web\n                port:\n                  name: web", "                name: leak\n                port:\n                  name: metrics"}}, "routes leakd's metrics port to the Internet"},
		{"grace shorter than the drain", []edit{{"statefulset.yaml", "terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds: 30"}}, "terminationGracePeriodSeconds 30 < preStop 10s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			copyManifests(t, "kubernetes", dir)
			for _, e := range tt.edits {
				replaceIn(t, filepath.Join(dir, e.file), e.old, e.new)
			}
			extra := "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: leak\nspec:\n  template:\n    spec:\n      containers: []\n"
			if err := os.WriteFile(filepath.Join(dir, "extra.yaml"), []byte(extra), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := run(t, ".", bin, "-dir", dir)
			if err == nil {
				t.Fatalf("the validator accepted it:\n%s", out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output does not mention %q:\n%s", tt.want, out)
			}
		})
	}

	// Several replicas with everything shared pass.
	t.Run("replicas sharing Redis and keys", func(t *testing.T) {
		dir := t.TempDir()
		copyManifests(t, "kubernetes", dir)
		replaceIn(t, filepath.Join(dir, "statefulset.yaml"), "  replicas: 1\n", "  replicas: 3\n")
		replaceIn(t, filepath.Join(dir, "leak.yaml"), "    enabled: true\n    email", "    enabled: false\n    email")
		if out, err := run(t, ".", bin, "-dir", dir); err != nil {
			t.Errorf("three replicas sharing Redis and the keys: %v\n%s", err, out)
		}
	})
}

// replaceIn replaces the first old in the file at path with new; old must
// be there.
func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s no longer contains %q: update the test", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyManifests copies the YAML files of src (not the validator) to dst.
func copyManifests(t *testing.T, src, dst string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(src, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", src, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
