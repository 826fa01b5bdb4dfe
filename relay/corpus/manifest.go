// Package corpus reads Leak's test corpora and checks relayed copies against
// them. A corpus is a directory of messages with a manifest.json naming, for
// each message, the envelope to send it with, the deliveries to expect, the
// strings that must not survive (secrets), the strings that must (must_keep)
// and, for hostile inputs, the SMTP reply to expect.
//
// Check applies the same matching rules as the shared corpus's own checker,
// tools/leakcheck.py, so that the project's tests need neither Python nor
// anything outside the repository; leakcheck.py stays a cross-check.
package corpus

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Manifest is one corpus directory's manifest.json.
type Manifest struct {
	Corpus      string  `json:"corpus"`
	RelayDomain string  `json:"relay_domain"`
	DeepDecode  bool    `json:"deep_decode"`
	Messages    []Entry `json:"messages"`

	// Dir is the directory the manifest was loaded from.
	Dir string `json:"-"`
}

// Entry describes one message of a corpus.
type Entry struct {
	File        string `json:"file"`
	Title       string `json:"title"`
	Transport   string `json:"transport"`    // "eml" (default), "raw_data", "envelope" or "generator"
	Generator   string `json:"generator"`    // for generated files not in the directory
	LineEndings string `json:"line_endings"` // "crlf" (default), "lf" or "mixed"
	Envelope    struct {
		MailFrom string   `json:"mail_from"`
		RcptTo   []string `json:"rcpt_to"`
	} `json:"envelope"`
	Session struct {
		HELO     string `json:"helo"`
		ClientIP string `json:"client_ip"`
	} `json:"session"`
	Deliveries       []Delivery          `json:"deliveries"`
	RcptExpectations []RcptExpectation   `json:"rcpt_expectations"`
	Secrets          []string            `json:"secrets"`
	SecretKinds      map[string]string   `json:"secret_kinds"`
	SessionSecrets   []string            `json:"session_secrets"`
	PerDelivery      map[string][]string `json:"per_delivery_secrets"`
	IfAccepted       IfAccepted          `json:"if_accepted"`
	ForbiddenHeaders []string            `json:"forbidden_headers"`
	MustKeep         []string            `json:"must_keep"`
	MustKeepParts    []Part              `json:"must_keep_parts"`
	MustKeepImages   []Image             `json:"must_keep_images"`
	FingerprintRegex []string            `json:"fingerprint_regex"`
	SoftFingerprints []string            `json:"soft_fingerprints"`
	OptionalSecrets  []string            `json:"optional_secrets"`
	DeepDecode       bool                `json:"deep_decode"`
	Expected         Expected            `json:"expected"`
	ExpectSubject    string              `json:"expect_subject"`
}

// Delivery is one copy the relay should deliver.
type Delivery struct {
	Rcpt         string `json:"rcpt"`
	DeliverTo    string `json:"deliver_to"`
	Relationship string `json:"relationship"`
}

// RcptExpectation is the reply class ("2xx", "5xx") one RCPT should get.
type RcptExpectation struct {
	Rcpt       string `json:"rcpt"`
	ReplyClass string `json:"reply_class"`
}

// IfAccepted holds the checks a hostile entry adds when the relay accepts it.
type IfAccepted struct {
	Secrets              []string `json:"secrets"`
	MustKeep             []string `json:"must_keep"`
	ForbiddenHeaders     []string `json:"forbidden_headers"`
	ForbiddenOutputRegex []string `json:"forbidden_output_regex"`
	MaxOutputMIMEDepth   *int     `json:"max_output_mime_depth"`
}

// Part is a leaf that must survive: its content type and byte strings
// (hex) its decoded body must contain.
type Part struct {
	ContentType string   `json:"content_type"`
	ContainsHex []string `json:"contains_hex"`
}

// Image is a picture that must survive, decodable and displayed at
// DisplaySize (width, height) once its EXIF orientation is applied.
type Image struct {
	ContentType string `json:"content_type"`
	DisplaySize [2]int `json:"display_size"`
	Count       int    `json:"count"` // 0 means 1
}

// Expected is an entry's free-form "expected" object. The fields the tests
// act on are typed; Raw keeps the rest (code_class, never, smtp_stage…).
type Expected struct {
	Outcome           string         `json:"outcome"`
	Reply             string         `json:"reply"`
	Preferred         string         `json:"preferred"`
	AcceptableReplies []string       `json:"acceptable_replies"`
	Raw               map[string]any `json:"-"`
}

func (x *Expected) UnmarshalJSON(b []byte) error {
	type plain Expected
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &p.Raw); err != nil {
		return err
	}
	*x = Expected(p)
	return nil
}

// Refused reports whether the entry must be refused: its outcome is
// "reject" (a hostile "reject_or_accept_sanitize" may go either way).
func (x Expected) Refused() bool { return x.Outcome == "reject" }

// MayRefuse reports whether a refusal is allowed: the outcome is "reject",
// or a reply other than 2xx is among those the entry accepts.
func (x Expected) MayRefuse() bool {
	if x.Refused() {
		return true
	}
	for _, r := range append([]string{x.Reply}, x.AcceptableReplies...) {
		if r != "" && !strings.HasPrefix(r, "2") {
			return true
		}
	}
	return false
}

// Accepts reports whether an SMTP reply is one the entry allows: it starts
// with Reply, or with one of AcceptableReplies (whose parenthesised notes,
// as in "250 (single message)", are ignored). With neither set, only a 2xx
// reply is acceptable.
func (x Expected) Accepts(reply string) bool {
	allowed := x.Replies()
	if len(allowed) == 0 {
		return strings.HasPrefix(reply, "2")
	}
	for _, a := range allowed {
		a, _, _ = strings.Cut(a, " (")
		if a = strings.TrimSpace(a); a != "" && strings.HasPrefix(reply, a) {
			return true
		}
	}
	return false
}

// Replies lists the replies the entry allows: Reply, or else
// AcceptableReplies.
func (x Expected) Replies() []string {
	if x.Reply != "" {
		return []string{x.Reply}
	}
	return x.AcceptableReplies
}

// Load reads dir/manifest.json.
func Load(dir string) (*Manifest, error) {
	path := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	m := &Manifest{Dir: dir}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("corpus: %s: %w", path, err)
	}
	if len(m.Messages) == 0 {
		return nil, fmt.Errorf("corpus: %s: no messages", path)
	}
	return m, nil
}

// Path returns the absolute path of an entry's file.
func (m *Manifest) Path(e Entry) string { return filepath.Join(m.Dir, e.File) }

// Deep reports whether copies of e are checked with deep decoding, as the
// entry or the whole manifest asks.
func (m *Manifest) Deep(e Entry) bool { return m.DeepDecode || e.DeepDecode }

// effective merges the fields that apply to one delivered copy: the
// if_accepted block, the session secrets and the secrets of that delivery.
func effective(e Entry, deliverTo string) Entry {
	cat := func(a, b []string) []string { return append(append([]string{}, a...), b...) }
	e.Secrets = cat(e.Secrets, e.IfAccepted.Secrets)
	e.MustKeep = cat(e.MustKeep, e.IfAccepted.MustKeep)
	e.ForbiddenHeaders = cat(e.ForbiddenHeaders, e.IfAccepted.ForbiddenHeaders)
	e.Secrets = append(e.Secrets, e.SessionSecrets...)
	if deliverTo != "" {
		e.Secrets = append(e.Secrets, e.PerDelivery[deliverTo]...)
	}
	return e
}
