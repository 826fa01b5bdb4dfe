package corpus

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// protected are strings a secret must not be part of: every relayed copy
// contains them, so such a secret would always "leak".
var protected = []string{"to+bob=example.com@leak.example", "bob@example.com", "leak.example"}

// bareEOL finds a bare LF or a bare CR.
var bareEOL = regexp.MustCompile(`\r[^\n]|\r$|(?:^|[^\r])\n`)

// Validate checks a corpus directory itself, as leakcheck.py's validate
// does: every secret, per-delivery secret, soft fingerprint and forbidden
// header really occurs in its input (a secret absent from the input would
// pass vacuously), every must-keep string is reachable after decoding, no
// secret is part of a must-keep or recipient string, CRLF files have no
// bare line ends, and input pictures meet their must_keep_images. It
// returns one line per problem.
func Validate(dir string) []string {
	m, err := Load(dir)
	if err != nil {
		return []string{err.Error()}
	}
	var probs []string
	bad := func(e Entry, format string, a ...any) {
		probs = append(probs, e.File+": "+fmt.Sprintf(format, a...))
	}
	for _, e := range m.Messages {
		raw, err := os.ReadFile(m.Path(e))
		if err != nil {
			if e.Generator != "" {
				continue
			}
			bad(e, "missing file: %v", err)
			continue
		}
		v := newView(raw, m.Deep(e))
		for _, f := range v.checkImages(e.MustKeepImages) {
			bad(e, "input %s", f)
		}
		for _, list := range e.PerDelivery {
			for _, s := range list {
				if !v.has(s) {
					bad(e, "per-delivery secret not present in input: %q", s)
				}
			}
		}
		if e.LineEndings == "" || e.LineEndings == "crlf" {
			if bareEOL.Match(raw) {
				bad(e, "bare LF/CR in a CRLF file")
			}
		}
		keeps := append(append([]string{}, e.MustKeep...), e.IfAccepted.MustKeep...)
		for _, s := range append(append([]string{}, e.Secrets...), e.IfAccepted.Secrets...) {
			if !v.has(s) {
				bad(e, "secret not present in input (vacuous): %q", s)
			}
			if strings.HasPrefix(s, "hex:") {
				continue
			}
			if len([]rune(s)) < 4 {
				bad(e, "secret too short to match reliably: %q", s)
			}
			fs := foldString(s)
			for _, k := range keeps {
				if strings.Contains(foldString(k), fs) {
					bad(e, "secret %q is inside must-keep %q", s, k)
				}
			}
			for _, p := range protected {
				if strings.Contains(p, fs) {
					bad(e, "secret %q collides with recipient/relay name", s)
				}
			}
		}
		for _, k := range keeps {
			if !v.hasDecoded(k) {
				bad(e, "must-keep not reachable in input: %q", k)
			}
		}
		for _, h := range e.ForbiddenHeaders {
			if !v.names[strings.ToLower(h)] {
				bad(e, "forbidden header not present in input: %s", h)
			}
		}
		for _, rx := range e.FingerprintRegex {
			if ok, err := matchPython(rx, v.rawText(raw), "mi"); err != nil || !ok {
				bad(e, "fingerprint regex does not match input: /%s/ %v", rx, err)
			}
		}
		for _, s := range append(append([]string{}, e.SoftFingerprints...), e.OptionalSecrets...) {
			if !v.has(s) {
				bad(e, "soft/optional string not in input: %q", s)
			}
		}
	}
	return probs
}
