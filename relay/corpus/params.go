package corpus

import (
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// param is one decoded parameter of a structured field.
type param struct{ name, value string }

// params parses the parameters of a Content-Type or Content-Disposition
// value as Python's get_params does: semicolons inside quotes do not split,
// RFC 2231 continuations (name*0*, name*1) are joined and their
// charset'language'%XX values decoded, and any RFC 2047 encoded words left
// in a value are decoded too. The first item is the value before the first
// semicolon, with an empty value.
func params(v string) []param {
	v = unfold.ReplaceAllString(v, "$1")
	items := splitParams(v)
	if len(items) == 0 {
		return nil
	}
	out := []param{{name: strings.TrimSpace(items[0])}}
	type piece struct {
		num     int
		value   string
		encoded bool
	}
	cont := map[string][]piece{}
	var order []string
	for _, it := range items[1:] {
		name, value, _ := strings.Cut(it, "=")
		name, value = strings.ToLower(strings.TrimSpace(name)), unquote(strings.TrimSpace(value))
		m := continuation.FindStringSubmatch(name)
		if m == nil {
			out = append(out, param{name, decodeHeader(value)})
			continue
		}
		num := -1
		if m[2] != "" {
			num, _ = strconv.Atoi(m[2])
		}
		if _, seen := cont[m[1]]; !seen {
			order = append(order, m[1])
		}
		cont[m[1]] = append(cont[m[1]], piece{num, value, strings.HasSuffix(name, "*")})
	}
	for _, name := range order {
		ps := cont[name]
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].num < ps[j].num })
		var sb strings.Builder
		extended := false
		for _, p := range ps {
			if p.encoded {
				extended = true
				if u, err := url.PathUnescape(p.value); err == nil {
					sb.WriteString(latin1([]byte(u)))
					continue
				}
			}
			sb.WriteString(p.value)
		}
		value := sb.String()
		if extended {
			value = collapse2231(value)
		}
		out = append(out, param{name, decodeHeader(value)})
	}
	return out
}

// continuation is Python's rfc2231_continuation.
var continuation = regexp.MustCompile(`^(\w+)\*(?:([0-9]+)\*?)?$`)

// collapse2231 decodes charset'language'text, where each code point of
// text below 256 stands for one octet.
func collapse2231(v string) string {
	parts := strings.SplitN(v, "'", 3)
	if len(parts) < 3 {
		return v
	}
	cs := parts[0]
	if cs == "" {
		cs = "us-ascii"
	}
	var b []byte
	for _, r := range parts[2] {
		b = append(b, byte(r))
	}
	if strings.EqualFold(cs, "us-ascii") {
		cs = "utf-8"
	}
	if s, ok := decodeCharset(b, cs); ok {
		return s
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// splitParams splits at semicolons outside double quotes.
func splitParams(v string) []string {
	var out []string
	quoted, escaped := false, false
	start := 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case escaped:
			escaped = false
		case c == '\\' && quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	out = append(out, v[start:])
	var kept []string
	for i, it := range out {
		if i == 0 || strings.TrimSpace(it) != "" {
			kept = append(kept, it)
		}
	}
	return kept
}

// unquote removes surrounding double quotes and backslash escapes.
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return v
	}
	v = v[1 : len(v)-1]
	return strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(v)
}

// param returns one parameter of a field, decoded; "" when absent.
func (e *entity) param(field, name string) string {
	v, ok := e.get(field)
	if !ok {
		return ""
	}
	ps := params(v)
	if len(ps) == 0 {
		return ""
	}
	for _, p := range ps[1:] {
		if p.name == name {
			return p.value
		}
	}
	return ""
}
