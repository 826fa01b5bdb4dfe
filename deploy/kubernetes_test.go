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
	bin := kubeValidator(t)
	if out, err := run(t, ".", bin, "-dir", "kubernetes"); err != nil {
		t.Fatalf("kubernetes/: %v\n%s", err, out)
	}

	tests := []struct {
		name, file, old, new, want string
	}{
		{"unknown field", "statefulset.yaml", "  replicas: 1\n", "  replicas: 1\n  replica: 1\n", `unknown field "replica"`},
		{"wrong type", "statefulset.yaml", "  replicas: 1\n", "  replicas: one\n", "cannot unmarshal string"},
		{"duplicate key", "services.yaml", "  clusterIP: None\n", "  clusterIP: None\n  clusterIP: None\n", "already defined"},
		{"probe on a missing port", "statefulset.yaml", "              path: /readyz\n              port: metrics\n", "              path: /readyz\n              port: metric\n", "readinessProbe port metric"},
		{"writable root", "statefulset.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem is not true"},
		{"config port drift", "leak.yaml", "listen: 0.0.0.0:2525", "listen: 0.0.0.0:2526", "smtp.listen listens on 2526"},
		{"spool off the volume", "leak.yaml", "data_dir: /var/lib/leak ", "data_dir: /srv/leak ", "data_dir /srv/leak is on the container's read-only root"},
		{"Service misses the pods", "services.yaml", "  selector:\n    app.kubernetes.io/name: leak\n  ports:\n    - name: smtp", "  selector:\n    app.kubernetes.io/name: lek\n  ports:\n    - name: smtp", "matches no pod template"},
		{"ServiceMonitor misses the port", "servicemonitor.yaml", "    - port: metrics", "    - port: http", `no port named "http"`},
		{"unknown kind", "kustomization.yaml", "  - servicemonitor.yaml\n", "  - servicemonitor.yaml\n  - extra.yaml\n", "not a kind this validator knows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			copyManifests(t, "kubernetes", dir)
			path := filepath.Join(dir, tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tt.old) {
				t.Fatalf("%s no longer contains %q: update the test", tt.file, tt.old)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(string(data), tt.old, tt.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			extra := "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: leak\nspec:\n  maxUnavailable: 1\n"
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
