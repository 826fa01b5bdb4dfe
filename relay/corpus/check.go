package corpus

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// Check checks one relayed copy of e, as leakcheck.py's check does. Hard
// findings fail the check: a secret leaked (raw or decoded), a forbidden
// header at any depth, a must-keep string, part or image lost, a forbidden
// output pattern, MIME nesting over the entry's bound. Advisory findings
// (fingerprint_regex, soft_fingerprints, optional_secrets) are body-level
// signals that never fail it. deliverTo selects the per-delivery secrets;
// deep (or the entry's deep_decode) looks inside decoded attachments.
func Check(e Entry, out []byte, deliverTo string, deep bool) (hard, advisory []string) {
	x := effective(e, deliverTo)
	v := newView(out, deep || e.DeepDecode)
	for _, rx := range x.IfAccepted.ForbiddenOutputRegex {
		found, err := matchPython(rx, latin1(out), "")
		switch {
		case err != nil:
			hard = append(hard, fmt.Sprintf("forbidden output pattern /%s/ cannot be checked: %v", rx, err))
		case found:
			hard = append(hard, fmt.Sprintf("forbidden output pattern present: /%s/", rx))
		}
	}
	if mx := x.IfAccepted.MaxOutputMIMEDepth; mx != nil && v.msg.depth() > *mx {
		hard = append(hard, fmt.Sprintf("output MIME depth exceeds %d", *mx))
	}
	for _, s := range x.Secrets {
		if v.has(s) {
			hard = append(hard, fmt.Sprintf("secret leaked: %q%s", s, kind(e, s)))
		}
	}
	for _, h := range x.ForbiddenHeaders {
		if v.names[strings.ToLower(h)] {
			hard = append(hard, "forbidden header present: "+h)
		}
	}
	for _, k := range x.MustKeep {
		if !v.hasDecoded(k) {
			hard = append(hard, fmt.Sprintf("must-keep string lost: %q", k))
		}
	}
	for _, mp := range x.MustKeepParts {
		if !v.keepsPart(mp) {
			b, _ := json.Marshal(mp)
			hard = append(hard, "must-keep part missing: "+string(b))
		}
	}
	hard = append(hard, v.checkImages(x.MustKeepImages)...)
	for _, rx := range x.FingerprintRegex {
		found, err := matchPython(rx, v.rawText(out), "mi")
		switch {
		case err != nil:
			advisory = append(advisory, fmt.Sprintf("fingerprint pattern /%s/ cannot be checked: %v", rx, err))
		case found:
			advisory = append(advisory, fmt.Sprintf("fingerprint pattern still present: /%s/", rx))
		}
	}
	for _, s := range x.SoftFingerprints {
		if v.has(s) {
			advisory = append(advisory, fmt.Sprintf("soft fingerprint still present: %q", s))
		}
	}
	for _, s := range x.OptionalSecrets {
		if v.has(s) {
			advisory = append(advisory, fmt.Sprintf("optional secret still present: %q", s))
		}
	}
	return hard, advisory
}

func kind(e Entry, s string) string {
	if k := e.SecretKinds[s]; k != "" {
		return " (" + k + ")"
	}
	return ""
}

// rawText is the raw message as Python's checker searches it with
// regular expressions: as UTF-8 with invalid octets replaced, then as
// Latin-1 (not case-folded).
func (v *view) rawText(raw []byte) string {
	return strings.ToValidUTF8(string(raw), "\uFFFD") + "\n" + latin1(raw)
}

func (v *view) keepsPart(mp Part) bool {
	ok := false
	v.leaves(mp.ContentType, func(data []byte) {
		all := true
		for _, h := range mp.ContainsHex {
			b, err := hex.DecodeString(h)
			all = all && err == nil && bytes.Contains(data, b)
		}
		ok = ok || all
	})
	return ok
}

// checkImages reports every must_keep_images spec with fewer than Count
// pictures of its type that decode and display at its size.
func (v *view) checkImages(specs []Image) []string {
	var fails []string
	for _, spec := range specs {
		var got []string
		good := 0
		v.leaves(spec.ContentType, func(data []byte) {
			w, h, ok := displaySize(data)
			if !ok {
				got = append(got, "undecodable")
				return
			}
			got = append(got, fmt.Sprintf("%dx%d", w, h))
			if w == spec.DisplaySize[0] && h == spec.DisplaySize[1] {
				good++
			}
		})
		if good < max(spec.Count, 1) {
			fails = append(fails, fmt.Sprintf("must-keep image lost or not upright: want %s %dx%d, got %v",
				strings.ToLower(spec.ContentType), spec.DisplaySize[0], spec.DisplaySize[1], got))
		}
	}
	return fails
}
