package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// dashboard is the part of the Grafana dashboard model the tests read.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Annotations   struct {
		List []annotation `json:"list"`
	} `json:"annotations"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
			Datasource *datasource     `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

// annotation is a Grafana annotation query; the tests read the Prometheus
// ones (expr set).
type annotation struct {
	Name            string      `json:"name"`
	Datasource      *datasource `json:"datasource"`
	Enable          bool        `json:"enable"`
	Expr            string      `json:"expr"`
	UseValueForTime bool        `json:"useValueForTime"`
	TagKeys         string      `json:"tagKeys"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	GridPos    struct{ H, W, X, Y int }
	Targets    []struct {
		RefID      string      `json:"refId"`
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's panels
}

const dashboardFile = "grafana/leak-dashboard.json"

func loadDashboard(t *testing.T) *dashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return &d
}

// allPanels flattens rows.
func (d *dashboard) allPanels() []panel {
	var out []panel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// grafanaVars are the values the live test gives Grafana's variables.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "15s",
	"${__rate_interval}", "15s",
	"$__interval", "5s",
	"${__interval}", "5s",
	"${instance}", ".*",
	"$instance", ".*",
	"${job}", ".*",
	"$job", ".*",
	"${namespace}", ".*",
	"$namespace", ".*",
)

// scopeVars are the variables that scope every query to the instances
// picked, in the order each depends on the ones before: namespace (set by
// Kubernetes service discovery, empty elsewhere), job, instance.
var scopeVars = []struct{ name, query string }{
	{"namespace", `label_values(leak_build_info, namespace)`},
	{"job", `label_values(leak_build_info{namespace=~"$namespace"}, job)`},
	{"instance", `label_values(leak_build_info{namespace=~"$namespace",job=~"$job"}, instance)`},
}

// checkScoped reports the selectors of expr not filtered by every scope
// variable.
func checkScoped(expr string) []string {
	info, err := parseExpr(expr)
	if err != nil {
		return []string{err.Error()}
	}
	var errs []string
	for _, sel := range info.selectors {
		for _, v := range scopeVars {
			if !hasMatcher(sel, v.name, "=~", "$"+v.name) {
				errs = append(errs, fmt.Sprintf("%s is not filtered by %s=~\"$%s\"", sel.metric, v.name, v.name))
			}
		}
	}
	return errs
}

// TestDashboard checks the dashboard model: variables, data sources, ids,
// layout, every query against metrics/README.md, and that every Leak metric
// is on it.
func TestDashboard(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	defs := loadCatalogue(t)
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d: too old for the datasource-variable form used here", d.SchemaVersion)
	}

	var names []string
	for i, v := range d.Templating.List {
		names = append(names, v.Name)
		if i == 0 {
			if v.Name != "datasource" || v.Type != "datasource" || string(v.Query) != `"prometheus"` {
				t.Errorf("variable %s: type %q query %s, want a prometheus datasource variable first", v.Name, v.Type, v.Query)
			}
			continue
		}
		if i > len(scopeVars) {
			continue
		}
		want := scopeVars[i-1]
		if v.Name != want.name {
			continue // reported below
		}
		if v.Type != "query" || v.Datasource == nil || v.Datasource.UID != "${datasource}" {
			t.Errorf("variable %s: type %q datasource %+v", v.Name, v.Type, v.Datasource)
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil || q.Query != want.query || v.Definition != want.query {
			t.Errorf("variable %s: query %s, definition %q, want %s", v.Name, v.Query, v.Definition, want.query)
		}
	}
	if got := strings.Join(names, " "); got != "datasource namespace job instance" {
		t.Errorf("variables %q, want datasource namespace job instance", got)
	}

	// The annotation marking each start of leakd, with the build it runs.
	starts := 0
	for _, a := range d.Annotations.List {
		if a.Expr == "" {
			continue
		}
		if a.Datasource == nil || a.Datasource.UID != "${datasource}" {
			t.Errorf("annotation %q: datasource %+v, want ${datasource}", a.Name, a.Datasource)
		}
		for _, e := range append(checkScoped(a.Expr), checkExpr(defs, grafanaVars.Replace(a.Expr))...) {
			t.Errorf("annotation %q: %s", a.Name, e)
		}
		if strings.Contains(a.Expr, "process_start_time_seconds") && strings.Contains(a.Expr, "group_left (version)") &&
			a.UseValueForTime && a.Enable && strings.Contains(a.TagKeys, "version") {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("%d annotations mark leakd's starts with the version (process_start_time_seconds * 1000, useValueForTime, tag version), want 1", starts)
	}

	ids := map[int]string{}
	type rect struct {
		title      string
		x, y, w, h int
	}
	var rects []rect
	ranged := regexp.MustCompile(`\[[^\]]*\]`)
	shown := map[string]bool{} // the series the queries read
	for _, p := range d.allPanels() {
		if prev, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("panel %q: id %d already used by %q (or zero)", p.Title, p.ID, prev)
		}
		ids[p.ID] = p.Title
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, g)
		}
		for _, r := range rects {
			if g.X < r.x+r.w && r.x < g.X+g.W && g.Y < r.y+r.h && r.y < g.Y+g.H {
				t.Errorf("panel %q overlaps panel %q", p.Title, r.title)
			}
		}
		rects = append(rects, rect{p.Title, g.X, g.Y, g.W, g.H})
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || p.Datasource.Type != "prometheus" {
			t.Errorf("panel %q: datasource %+v, want prometheus ${datasource}", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q: no targets", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			where := fmt.Sprintf("panel %q target %s", p.Title, tg.RefID)
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: missing or duplicate refId", where)
			}
			refs[tg.RefID] = true
			if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("%s: datasource %+v, want ${datasource}", where, tg.Datasource)
			}
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s: empty expr", where)
				continue
			}
			for _, r := range ranged.FindAllString(tg.Expr, -1) {
				if r != "[$__rate_interval]" {
					t.Errorf("%s: range %s, use [$__rate_interval]", where, r)
				}
			}
			for _, e := range checkScoped(tg.Expr) {
				t.Errorf("%s: %s", where, e)
			}
			if info, err := parseExpr(tg.Expr); err == nil {
				for _, sel := range info.selectors {
					shown[sel.metric] = true
				}
			}
			for _, e := range checkExpr(defs, grafanaVars.Replace(tg.Expr)) {
				t.Errorf("%s: %s", where, e)
			}
			if s := grafanaVars.Replace(tg.Expr); strings.Contains(s, "$") {
				t.Errorf("%s: a variable the tests do not know: %s", where, s)
			}
		}
	}
	if len(ids) < 20 {
		t.Errorf("only %d panels", len(ids))
	}
	// Every metric of the catalogue has a panel (a histogram through any
	// of its series).
	for name, def := range defs {
		found := shown[name]
		if def.typ == "histogram" {
			for _, sfx := range []string{"_bucket", "_sum", "_count"} {
				found = found || shown[name+sfx]
			}
		}
		if !found {
			t.Errorf("%s (metrics/README.md) is on no panel", name)
		}
	}
	if !shown["ALERTS"] {
		t.Error("no panel shows the firing alerts (ALERTS)")
	}
}

func hasMatcher(s selector, label, op, value string) bool {
	for _, m := range s.matchers {
		if m.label == label && m.op == op && m.value == value {
			return true
		}
	}
	return false
}

// dashboardExprs returns every target expression with its panel's title.
func dashboardExprs(t *testing.T) (titles, exprs []string) {
	t.Helper()
	for _, p := range loadDashboard(t).allPanels() {
		for _, tg := range p.Targets {
			titles = append(titles, p.Title+" / "+tg.RefID)
			exprs = append(exprs, tg.Expr)
		}
	}
	return titles, exprs
}
