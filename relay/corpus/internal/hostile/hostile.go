// Package hostile generates the project's hostile corpus
// (relay/anonymize/testdata/hostile): malformed and malicious messages, each
// with the SMTP reply Leak gives it, in the manifest format of the shared
// corpus's hostile/ directory. Generating the files keeps their odd bytes
// (bare CR, NUL, a 1 MiB header) out of hand-edited sources and makes each
// sample's intent readable here.
package hostile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Entry is one sample and its manifest entry.
type Entry struct {
	File        string     `json:"file"`
	Title       string     `json:"title"`
	Transport   string     `json:"transport"`
	LineEndings string     `json:"line_endings"`
	Envelope    Envelope   `json:"envelope"`
	RcptExpect  []RcptWant `json:"rcpt_expectations,omitempty"`
	Description string     `json:"description"`
	Expected    Expected   `json:"expected"`
	IfAccepted  IfAccepted `json:"if_accepted"`

	data []byte
}

// Envelope is the SMTP envelope a sample is sent with.
type Envelope struct {
	MailFrom string   `json:"mail_from"`
	RcptTo   []string `json:"rcpt_to"`
}

// RcptWant is the reply class one RCPT must get.
type RcptWant struct {
	Rcpt       string `json:"rcpt"`
	ReplyClass string `json:"reply_class"`
}

// Expected is the outcome Leak gives today: "reject" with the reply prefix,
// "accept_sanitize" with "250", "reject_rcpt", or
// "reject_or_accept_sanitize" with the replies allowed while Leak moves
// from one to the other.
type Expected struct {
	Outcome           string   `json:"outcome"`
	Reply             string   `json:"reply,omitempty"`
	Preferred         string   `json:"preferred,omitempty"`
	AcceptableReplies []string `json:"acceptable_replies,omitempty"`
	SMTPStage         string   `json:"smtp_stage"`
	Why               string   `json:"why"`
}

// IfAccepted are the checks a copy must pass if the sample is ever relayed.
type IfAccepted struct {
	Secrets              []string `json:"secrets"`
	MustKeep             []string `json:"must_keep"`
	ForbiddenHeaders     []string `json:"forbidden_headers,omitempty"`
	ForbiddenOutputRegex []string `json:"forbidden_output_regex,omitempty"`
	MaxOutputMIMEDepth   *int     `json:"max_output_mime_depth,omitempty"`
	MaxDeliveries        int      `json:"max_deliveries"`
}

type manifest struct {
	Corpus      string   `json:"corpus"`
	Version     int      `json:"version"`
	RelayDomain string   `json:"relay_domain"`
	Matching    string   `json:"matching"`
	Generator   string   `json:"generator"`
	Messages    []*Entry `json:"messages"`
}

// Write writes every sample and manifest.json into dir.
func Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("hostile: %w", err)
	}
	es := Entries()
	for _, e := range es {
		if err := os.WriteFile(filepath.Join(dir, e.File), e.data, 0o644); err != nil {
			return fmt.Errorf("hostile: %w", err)
		}
	}
	m := manifest{
		Corpus:      "leak-project-hostile",
		Version:     1,
		RelayDomain: "leak.example",
		Matching:    "the shared corpus's hostile format; checked by leak/relay/corpus",
		Generator:   "go run ./relay/corpus/internal/hostile/gen (do not edit by hand)",
		Messages:    es,
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fmt.Errorf("hostile: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("hostile: %w", err)
	}
	return nil
}

// Files returns every file Write writes, by name.
func Files() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "hostile")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := Write(dir); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out[filepath.Base(n)] = b
	}
	return out, nil
}

// crlf turns a readable sample with LF line ends into CRLF.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// head is the start of every sample: the sender's identity, which no copy
// may carry, and a marker that names the sample.
func head(n int, subject string) string {
	return fmt.Sprintf("From: \"Mallory Hostile\" <sender.h%02d@attacker.example>\n"+
		"To: to+bob=example.com@leak.example\nSubject: %s\n"+
		"Date: Mon, 1 Dec 2025 10:00:00 +0000\nMessage-ID: <h%02d.hostile@attacker.example>\n", n, subject, n)
}

func sender(n int) string { return fmt.Sprintf("sender.h%02d@attacker.example", n) }

func keep(n int, what string) string { return fmt.Sprintf("KEEP-H%02d-%s", n, what) }

var envelope = Envelope{MailFrom: "mallory@attacker.example", RcptTo: []string{"to+bob=example.com@leak.example"}}

func reject(reply, stage, why string) Expected {
	return Expected{Outcome: "reject", Reply: reply, SMTPStage: stage, Why: why}
}

// lineEnds are the output patterns that prove bare line ends and smuggled
// commands did not reach a copy.
var lineEnds = []string{`(?<!\r)\n`, `\r(?!\n)`}

func depth(n int) *int { return &n }

// nested wraps a text part in n levels of multipart/mixed, each with a
// sibling text part.
func nested(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"lvl%03d\"\n\n--lvl%03d\nContent-Type: text/plain\n\nlevel %d\n--lvl%03d\n", i, i, i, i)
	}
	b.WriteString("Content-Type: text/plain\n\n" + keep(9, "deepest") + "\n")
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--lvl%03d--\n", i)
	}
	return b.String()
}

func receivedLines(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "Received: from hop%d.hops.example by hop%d.hops.example; Mon, 1 Dec 2025 09:%02d:00 +0000\n", i, i+1, i%60)
	}
	return b.String()
}

func megabyteHeader() string {
	var b strings.Builder
	b.WriteString("X-Padding: start")
	line := " " + strings.Repeat("Q7", 38) + "\n"
	b.WriteString("\n")
	for b.Len() < 1<<20 {
		b.WriteString(line)
	}
	return b.String()
}

func manyFields(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "X-Field-%d: value\n", i)
	}
	return b.String()
}

// bytesOf is for samples whose line ends are the point: written verbatim.
func bytesOf(parts ...string) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString(p)
	}
	return b.Bytes()
}
