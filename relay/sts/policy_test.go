package sts

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	good := []struct {
		name string
		text string
		want Policy
	}{
		{"RFC 8461 example", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n",
			Policy{Enforce, []string{"mail.example.com", "*.example.net", "backupmx.example.com"}, 604800 * time.Second}},
		{"LF, no final newline, any order", "max_age: 86400\nmx: MX.Example.COM.\nmode: testing\nversion: STSv1",
			Policy{Testing, []string{"mx.example.com"}, 86400 * time.Second}},
		{"blank lines and spaces", "\r\nversion:STSv1  \r\nmode:\tnone\r\n\r\nmax_age:    0\r\n\r\n\r\n",
			Policy{None, nil, 0}},
		{"first mode and max_age win, every mx counts", "version: STSv1\nmode: enforce\nmode: none\nmax_age: 60\nmax_age: 99\nmx: a.test\nmx: b.test\n",
			Policy{Enforce, []string{"a.test", "b.test"}, time.Minute}},
		{"unknown fields ignored", "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 1\nx-extension_1.a: any value at all; =\n",
			Policy{Enforce, []string{"a.test"}, time.Second}},
		{"max_age over a year is a year", "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 9999999999\n",
			Policy{Enforce, []string{"a.test"}, MaxAge}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.text))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Mode != tc.want.Mode || !slices.Equal(p.MX, tc.want.MX) || p.MaxAge != tc.want.MaxAge {
				t.Errorf("Parse = %+v, want %+v", *p, tc.want)
			}
		})
	}

	const ok = "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 60\n"
	bad := []struct {
		name, text, errText string
	}{
		{"empty", "", "no version"},
		{"no version", "mode: enforce\nmx: a.test\nmax_age: 60\n", "no version"},
		{"other version", strings.Replace(ok, "STSv1", "STSv2", 1), "line 1: version"},
		{"version case", strings.Replace(ok, "STSv1", "stsv1", 1), "version"},
		{"key case", strings.Replace(ok, "mode:", "Mode:", 1), "no mode"},
		{"no mode", "version: STSv1\nmx: a.test\nmax_age: 60\n", "no mode"},
		{"bad mode", strings.Replace(ok, "enforce", "report", 1), "line 2: mode"},
		{"no max_age", "version: STSv1\nmode: enforce\nmx: a.test\n", "no max_age"},
		{"negative max_age", strings.Replace(ok, "60", "-60", 1), "line 4: max_age"},
		{"11-digit max_age", strings.Replace(ok, "60", "10000000000", 1), "max_age"},
		{"max_age with unit", strings.Replace(ok, "60", "60s", 1), "max_age"},
		{"empty max_age", strings.Replace(ok, "60", "", 1), "max_age"},
		{"enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 60\n", "lists no mx"},
		{"testing without mx", "version: STSv1\nmode: testing\nmax_age: 60\n", "lists no mx"},
		{"U-label mx", strings.Replace(ok, "a.test", "bücher.test", 1), "line 3: mx"},
		{"empty mx", strings.Replace(ok, "a.test", "", 1), "mx"},
		{"bare wildcard", strings.Replace(ok, "a.test", "*.", 1), "mx"},
		{"wildcard inside", strings.Replace(ok, "a.test", "a.*.test", 1), "mx"},
		{"double wildcard", strings.Replace(ok, "a.test", "*.*.test", 1), "mx"},
		{"empty label", strings.Replace(ok, "a.test", "a..test", 1), "mx"},
		{"hyphen label", strings.Replace(ok, "a.test", "-a.test", 1), "mx"},
		{"IP literal", strings.Replace(ok, "a.test", "[127.0.0.1]", 1), "mx"},
		{"mx with port", strings.Replace(ok, "a.test", "a.test:25", 1), "mx"},
		{"line without colon", ok + "garbage\n", "line 5"},
		{"space before key", " " + ok, "line 1"},
		{"html", "<html><body>version: STSv1</body></html>", "line 1"},
		{"too many lines", ok + strings.Repeat("\n", maxPolicyLines), "lines"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.text))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", *p)
			}
			if !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("Parse error %q, want it to mention %q", err, tc.errText)
			}
		})
	}
}

func TestAllows(t *testing.T) {
	p := &Policy{Mode: Enforce, MX: []string{"mail.example.com", "*.example.net"}}
	for host, want := range map[string]bool{
		"mail.example.com":   true,
		"MAIL.Example.com.":  true,
		"mx1.example.net":    true,
		"MX1.EXAMPLE.NET.":   true,
		"example.net":        false, // a wildcard stands for one label, not none
		"a.b.example.net":    false, // nor two
		".example.net":       false,
		"mail.example.com.x": false,
		"xmail.example.com":  false,
		"mail.example.org":   false,
		"":                   false,
	} {
		if got := p.Allows(host); got != want {
			t.Errorf("Allows(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestParseRecord(t *testing.T) {
	for txt, want := range map[string]string{
		"v=STSv1; id=20160831085700Z;":           "20160831085700Z",
		"v=STSv1;id=abc":                         "abc",
		"v=STSv1 ;\tid=abc ; ext=x-y ; ":         "abc",
		"v=STSv1; ext=1; id=abc; id=def":         "abc",
		"v=STSv1; id=" + strings.Repeat("a", 32): strings.Repeat("a", 32),
	} {
		id, err := ParseRecord(txt)
		if err != nil || id != want {
			t.Errorf("ParseRecord(%q) = %q, %v; want %q", txt, id, err, want)
		}
	}
	for _, txt := range []string{
		"",
		"v=STSv1",
		"v=STSv1;",
		"v=STSv2; id=abc",
		"v=stsv1; id=abc",
		"id=abc; v=STSv1",
		" v=STSv1; id=abc",
		"v=STSv1; id=",
		"v=STSv1; id=ab-c",
		"v=STSv1; id=" + strings.Repeat("a", 33),
		"v=STSv1; id=abc;; x=y",
		"v=STSv1; id abc",
		"v=STSv1; id=abc; x=a b",
	} {
		if id, err := ParseRecord(txt); err == nil {
			t.Errorf("ParseRecord(%q) = %q, want an error", txt, id)
		}
	}
}

func TestPickRecord(t *testing.T) {
	tests := []struct {
		txts []string
		id   string // "": an error
	}{
		{[]string{"v=spf1 -all", "v=STSv1; id=a1"}, "a1"},
		{[]string{"v=STSv1; id=a1", "v=STSv1; id=a2"}, ""}, // not exactly one
		{[]string{"v=spf1 -all"}, ""},
		{nil, ""},
		{[]string{"v=STSv10; id=a1"}, ""}, // not an MTA-STS record
		{[]string{"v=STSv1 id=a1"}, ""},   // an MTA-STS record, unusable
	}
	for _, tc := range tests {
		id, err := pickRecord(tc.txts)
		if tc.id == "" && err == nil || tc.id != "" && (err != nil || id != tc.id) {
			t.Errorf("pickRecord(%q) = %q, %v; want %q", tc.txts, id, err, tc.id)
		}
	}
}
