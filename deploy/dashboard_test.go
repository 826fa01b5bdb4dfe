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
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
			Datasource *datasource     `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
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
)

// TestDashboard checks the dashboard model: variables, data sources, ids,
// layout, and every query against metrics/README.md.
func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	defs := loadCatalogue(t)
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d: too old for the datasource-variable form used here", d.SchemaVersion)
	}

	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		switch v.Name {
		case "datasource":
			if v.Type != "datasource" || string(v.Query) != `"prometheus"` {
				t.Errorf("variable datasource: type %q query %s, want a prometheus datasource variable", v.Type, v.Query)
			}
		case "instance":
			if v.Type != "query" || v.Datasource == nil || v.Datasource.UID != "${datasource}" {
				t.Errorf("variable instance: type %q datasource %+v", v.Type, v.Datasource)
			}
			if v.Definition != "label_values(leak_build_info, instance)" || !strings.Contains(string(v.Query), "label_values(leak_build_info, instance)") {
				t.Errorf("variable instance: query %s, want label_values(leak_build_info, instance)", v.Query)
			}
		}
	}
	if !vars["datasource"] || !vars["instance"] {
		t.Errorf("variables %v, want datasource and instance", vars)
	}

	ids := map[int]string{}
	type rect struct {
		title      string
		x, y, w, h int
	}
	var rects []rect
	ranged := regexp.MustCompile(`\[[^\]]*\]`)
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
			info, err := parseExpr(tg.Expr)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			for _, sel := range info.selectors {
				if !hasMatcher(sel, "instance", "=~", "$instance") {
					t.Errorf("%s: %s is not filtered by instance=~\"$instance\"", where, sel.metric)
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
