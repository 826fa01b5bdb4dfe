package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// crossScript asks leakcheck.py, for every message of a manifest checked as
// if it were its own output, which secrets it finds, which forbidden
// headers and which lost must-keep strings.
const crossScript = `
import json, os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import leakcheck as L
path = sys.argv[2]
m = L.load_manifest(path)
res = {}
for e in m["messages"]:
    p = os.path.join(os.path.dirname(path), e["file"])
    if not os.path.exists(p):
        continue
    raw = open(p, "rb").read()
    to = e["deliveries"][0]["deliver_to"] if e.get("deliveries") else None
    x = L.effective(e, to)
    rt, dt, blob, names = L.deep_views(raw, m.get("deep_decode", False) or x.get("deep_decode", False))
    res[e["file"]] = {
        "secrets": sorted(set(s for s in x["secrets"] if L.find_secret(s, rt, dt, blob))),
        "headers": sorted(set(h for h in x["forbidden_headers"] if h.lower() in names)),
        "lost": sorted(set(k for k in x["must_keep"] if k.casefold() not in dt.casefold())),
    }
print(json.dumps(res))
`

type crossResult struct {
	Secrets []string `json:"secrets"`
	Headers []string `json:"headers"`
	Lost    []string `json:"lost"`
}

// TestCrossCheckCorpus runs both checkers on every corpus input as if it were a
// relayed copy. The inputs carry their secrets, so both must find every
// one of them, and they must agree on secrets, headers and must-keeps.
// It needs LEAK_CORPUS (for leakcheck.py) and python3.
func TestCrossCheckCorpus(t *testing.T) {
	tool, ok := Tool()
	if !ok {
		t.Skip("LEAK_CORPUS is not set to the shared corpus: no leakcheck.py to cross-check with")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	for _, c := range corpora(t) {
		t.Run(c.name, func(t *testing.T) {
			m, err := Load(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(python, "-c", crossScript, tool, filepath.Join(c.dir, "manifest.json")).Output()
			if err != nil {
				t.Fatalf("leakcheck.py: %v\n%s", err, stderr(err))
			}
			var py map[string]crossResult
			if err := json.Unmarshal(out, &py); err != nil {
				t.Fatalf("leakcheck.py output: %v", err)
			}
			for _, e := range m.Messages {
				raw, err := os.ReadFile(m.Path(e))
				if err != nil {
					continue
				}
				to := ""
				if len(e.Deliveries) > 0 {
					to = e.Deliveries[0].DeliverTo
				}
				got := goCheck(e, raw, to, m.Deep(e))
				want := py[e.File]
				for _, c := range []struct {
					what      string
					got, want []string
				}{{"secrets found", got.Secrets, want.Secrets}, {"forbidden headers", got.Headers, want.Headers}, {"lost must-keeps", got.Lost, want.Lost}} {
					if !slices.Equal(c.got, c.want) {
						t.Errorf("%s: %s: Go %q, leakcheck.py %q", e.File, c.what, c.got, c.want)
					}
				}
				x := effective(e, to)
				x.Secrets = append(x.Secrets[:0:0], e.Secrets...)
				x.Secrets = append(x.Secrets, e.IfAccepted.Secrets...)
				x.Secrets = append(x.Secrets, e.PerDelivery[to]...)
				for _, s := range x.Secrets {
					if !slices.Contains(got.Secrets, s) {
						t.Errorf("%s: input secret %q not found", e.File, s)
					}
				}
			}
		})
	}
}

func goCheck(e Entry, raw []byte, to string, deep bool) crossResult {
	x := effective(e, to)
	v := newView(raw, deep)
	var r crossResult
	for _, s := range x.Secrets {
		if v.has(s) {
			r.Secrets = append(r.Secrets, s)
		}
	}
	for _, h := range x.ForbiddenHeaders {
		if v.names[strings.ToLower(h)] {
			r.Headers = append(r.Headers, h)
		}
	}
	for _, k := range x.MustKeep {
		if !v.hasDecoded(k) {
			r.Lost = append(r.Lost, k)
		}
	}
	for _, l := range [][]string{r.Secrets, r.Headers, r.Lost} {
		sort.Strings(l)
	}
	r.Secrets, r.Headers, r.Lost = uniq(r.Secrets), uniq(r.Headers), uniq(r.Lost)
	return r
}

func uniq(s []string) []string {
	s = slices.Compact(s)
	if s == nil {
		return []string{}
	}
	return s
}

// TestCrossCheckLeaks: leakcheck.py sees every leak the Go checker is
// proven to see (TestCheckFindsLeaks), with deep decoding and without it.
func TestCrossCheckLeaks(t *testing.T) {
	tool, ok := Tool()
	if !ok {
		t.Skip("LEAK_CORPUS is not set to the shared corpus: no leakcheck.py to cross-check with")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	cases := leakCases()
	for _, deep := range []bool{false, true} {
		dir := t.TempDir()
		var m Manifest
		var entries []map[string]any // leakcheck.py wants lists, not nulls
		for i, c := range cases {
			s := c.secret
			if s == "" {
				s = secret
			}
			e := Entry{File: fmt.Sprintf("leak%02d.eml", i), Secrets: []string{s}, MustKeep: []string{"KEEP-body"}}
			m.Messages = append(m.Messages, e)
			entries = append(entries, map[string]any{"file": e.File, "secrets": e.Secrets, "must_keep": e.MustKeep})
			if err := os.WriteFile(filepath.Join(dir, e.File), c.msg, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := json.Marshal(map[string]any{"deep_decode": deep, "messages": entries})
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(python, "-c", crossScript, tool, filepath.Join(dir, "manifest.json")).Output()
		if err != nil {
			t.Fatalf("leakcheck.py: %v\n%s", err, stderr(err))
		}
		var py map[string]crossResult
		if err := json.Unmarshal(out, &py); err != nil {
			t.Fatal(err)
		}
		for i, e := range m.Messages {
			got, want := goCheck(e, cases[i].msg, "", deep), py[e.File]
			if !slices.Equal(got.Secrets, want.Secrets) || !slices.Equal(got.Lost, want.Lost) {
				t.Errorf("%s (deep %v): Go %+v, leakcheck.py %+v", cases[i].name, deep, got, want)
			}
			if found := len(want.Secrets) == 1; found != (deep || !cases[i].deep) {
				t.Errorf("%s (deep %v): leakcheck.py found %q", cases[i].name, deep, want.Secrets)
			}
		}
	}
}

func stderr(err error) []byte {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.Stderr
	}
	return nil
}
