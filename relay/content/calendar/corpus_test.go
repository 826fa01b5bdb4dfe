package calendar

import (
	"bytes"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"leak/relay/corpus"
)

// corpusDir holds messages shaped like real clients' invitations, replies
// and cards, made by its gen.py.
const corpusDir = "../../anonymize/testdata/content/calendar"

// corpusEntry is an entry of the corpus manifest (relay/corpus).
type corpusEntry = corpus.Entry

// cleanedPart is one calendar or vCard part of the corpus, cleaned.
type cleanedPart struct {
	file, kind string // kind is "ics" or "vcf"
	in, out    []byte
	kept       int
}

// absent lists what must go beyond the manifest's secrets: Google's event
// link carries the organizer's address in base64, Outlook's LANGUAGE the
// sender's locale, iOS's PRODID their phone's system version.
var absent = map[string][]string{
	"cal02_gcal_request.eml":           {"calendar.google.example/calendar/event", "X-GOOGLE", "ACTION:EMAIL"},
	"cal04_apple_request.eml":          {"X-APPLE", "X-WR-CALNAME", "EMAIL="},
	"cal07_ics_attachment_publish.eml": {"ATTACH", "CONTACT", "5550 7788"},
	"cal01_outlook_request.eml":        {"LANGUAGE="},
	"cal06_outlook_counter.eml":        {"LANGUAGE="},
	"vcf09_ios_shared_contact.eml":     {"PRODID", "iPhone OS", "X-AB"},
}

func loadCorpus(t *testing.T) []corpusEntry {
	t.Helper()
	m, err := corpus.Load(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	return m.Messages
}

// cleanCorpus runs Calendar and VCard over every calendar and contact part
// of the corpus messages.
func cleanCorpus(t *testing.T) (map[string]corpusEntry, []cleanedPart) {
	t.Helper()
	entries := map[string]corpusEntry{}
	var parts []cleanedPart
	for _, e := range loadCorpus(t) {
		entries[e.File] = e
		f, err := os.Open(filepath.Join(corpusDir, e.File))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := message.Read(f)
		if err != nil {
			t.Fatalf("%s: %v", e.File, err)
		}
		id := Identity{Address: "anonymous@leak.example", Name: "A friend, anonymously", Sender: []string{strings.ToLower(e.Envelope.MailFrom)}}
		if a, err := mail.ParseAddress(msg.Header.Get("From")); err == nil {
			id.Sender = append(id.Sender, strings.ToLower(a.Address))
		}
		err = msg.Walk(func(_ []int, ent *message.Entity, err error) error {
			if err != nil {
				return err
			}
			ct, _, _ := ent.Header.ContentType()
			var kind string
			switch ct {
			case "text/calendar", "application/ics":
				kind = "ics"
			case "text/vcard", "text/x-vcard", "text/directory":
				kind = "vcf"
			default:
				return nil
			}
			in, err := io.ReadAll(ent.Body)
			if err != nil {
				return err
			}
			p := cleanedPart{file: e.File, kind: kind, in: in}
			var out bytes.Buffer
			if kind == "ics" {
				err = Calendar(&out, bytes.NewReader(in), id)
			} else {
				p.kept, err = VCard(&out, bytes.NewReader(in), id)
			}
			if err != nil {
				t.Errorf("%s: %s part: %v", e.File, kind, err)
				return nil
			}
			p.out = out.Bytes()
			parts = append(parts, p)
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", e.File, err)
		}
	}
	return entries, parts
}

func unfold(b []byte) string {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n ", "")
	return strings.ReplaceAll(s, "\n\t", "")
}

var (
	summaryRE = regexp.MustCompile(`(?m)^SUMMARY[^:\n]*:(.*)$`)
	alarmRE   = regexp.MustCompile(`(?s)BEGIN:VALARM.*?END:VALARM`)
)

func TestCorpus(t *testing.T) {
	entries, parts := cleanCorpus(t)
	seen := map[string]bool{}
	for _, p := range parts {
		e := entries[p.file]
		seen[p.file] = true
		in, out := unfold(p.in), unfold(p.out)
		lower := strings.ToLower(out)
		for _, s := range append(e.Secrets, absent[p.file]...) {
			if strings.Contains(lower, strings.ToLower(s)) {
				t.Errorf("%s: %s part: %q survived:\n%s", p.file, p.kind, s, out)
			}
		}
		if p.kind == "vcf" && p.kept == 0 {
			continue // the sender's own card: the caller drops the part
		}
		for _, k := range e.MustKeep {
			if strings.Contains(in, k) && !strings.Contains(out, k) {
				t.Errorf("%s: %s part: %q lost:\n%s", p.file, p.kind, k, out)
			}
		}
		// Every event keeps its SUMMARY; an e-mail alarm's goes with it.
		outSummaries := map[string]bool{}
		for _, m := range summaryRE.FindAllStringSubmatch(out, -1) {
			outSummaries[m[1]] = true
		}
		for _, m := range summaryRE.FindAllStringSubmatch(alarmRE.ReplaceAllString(in, ""), -1) {
			if !outSummaries[m[1]] {
				t.Errorf("%s: SUMMARY %q lost", p.file, m[1])
			}
		}
		if p.kind == "ics" {
			checkLines(t, string(p.out))
			if !strings.Contains(out, "mailto:anonymous@leak.example") {
				t.Errorf("%s: the relay identity is missing:\n%s", p.file, out)
			}
		}
		// A kept card loses lines (PRODID, X-) but changes none.
		if p.kind == "vcf" {
			for _, l := range strings.SplitAfter(string(p.out), "\n") {
				if !bytes.Contains(p.in, []byte(l)) {
					t.Errorf("%s: a kept card changed: %q not in\n%s", p.file, l, p.in)
				}
			}
		}
	}
	for _, f := range []string{"cal01_outlook_request.eml", "cal02_gcal_request.eml", "cal03_gcal_reply.eml",
		"cal04_apple_request.eml", "cal05_thunderbird_reply.eml", "cal06_outlook_counter.eml",
		"cal07_ics_attachment_publish.eml", "vcf08_thunderbird_own_and_third_card.eml", "vcf09_ios_shared_contact.eml"} {
		if !seen[f] {
			t.Errorf("%s: no calendar or contact part found", f)
		}
	}
}

func TestCorpusCards(t *testing.T) {
	_, parts := cleanCorpus(t)
	var kept []int
	for _, p := range parts {
		if p.kind == "vcf" {
			kept = append(kept, p.kept)
		}
	}
	// vcf08: the third-party card, then the sender's own; vcf09: a shared contact.
	if want := []int{1, 0, 1}; len(kept) != 3 || kept[0] != want[0] || kept[1] != want[1] || kept[2] != want[2] {
		t.Errorf("kept = %v, want %v", kept, want)
	}
}

// TestCorpusSenderNames checks that the name Google repeats in the body
// of a reply ("X has accepted this invitation") is the one SenderNames
// finds in its calendar part, so the caller can rewrite it there.
func TestCorpusSenderNames(t *testing.T) {
	_, parts := cleanCorpus(t)
	for _, p := range parts {
		if p.file != "cal03_gcal_reply.eml" {
			continue
		}
		id := Identity{Address: "anonymous@leak.example", Name: "A friend", Sender: []string{"ingrid.solheimsvik@solheim-design.example"}}
		names, err := SenderNames(bytes.NewReader(p.in), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 1 || names[0] != "Ingrid Solheimsvik" {
			t.Errorf("SenderNames = %q", names)
		}
		return
	}
	t.Fatal("cal03 has no calendar part")
}
