package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestPprof: a daemon started without http.pprof answers 404
// under /debug/pprof/; the same daemon with http.pprof: true serves the
// profile index and the cmdline profile, and still serves its own pages.
func TestPprof(t *testing.T) {
	t.Parallel()
	if defaultConfig().HTTP.Pprof {
		t.Fatal("http.pprof is on by default")
	}
	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, http string
		want       int
	}{
		{"default", "", http.StatusNotFound},
		{"off", "  public_url: https://leak.example\n  pprof: false\n", http.StatusNotFound},
		{"on", "  public_url: https://leak.example\n  pprof: true\n", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDaemon(t, sections{HTTP: tc.http})
			d.start()
			defer d.stop()
			base := "http://" + d.httpAddr
			code, body := get(t, base+"/debug/pprof/")
			if code != tc.want {
				t.Fatalf("GET /debug/pprof/: %d, want %d", code, tc.want)
			}
			if tc.want == http.StatusOK && !strings.Contains(body, "goroutine") {
				t.Errorf("GET /debug/pprof/: no goroutine profile listed:\n%s", body)
			}
			if code, _ := get(t, base+"/debug/pprof/cmdline"); code != tc.want {
				t.Errorf("GET /debug/pprof/cmdline: %d, want %d", code, tc.want)
			}
			if code, _ := get(t, base+"/readyz"); code != http.StatusOK {
				t.Errorf("GET /readyz: %d, want 200", code)
			}
		})
	}
}
