package tnef

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"leak/relay/corpus"
)

// corpusDir holds Outlook-shaped messages with winmail.dat parts, made by
// its gen.py following [MS-OXTNEF] and [MS-OXRTFCP].
const corpusDir = "../../anonymize/testdata/content/calendar"

func TestCorpus(t *testing.T) {
	m, err := corpus.Load(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range m.Messages {
		f, err := os.Open(filepath.Join(corpusDir, e.File))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := message.Read(f)
		if err != nil {
			t.Fatalf("%s: %v", e.File, err)
		}
		err = msg.Walk(func(_ []int, ent *message.Entity, err error) error {
			if err != nil {
				return err
			}
			if ct, _, _ := ent.Header.ContentType(); ct != "application/ms-tnef" {
				return nil
			}
			found++
			raw, err := io.ReadAll(ent.Body)
			if err != nil {
				return err
			}
			dm, err := Decode(bytes.NewReader(raw), 10<<20)
			if err != nil {
				t.Errorf("%s: %v", e.File, err)
				return nil
			}
			var all strings.Builder
			all.WriteString(dm.Text)
			all.Write(dm.HTML)
			for _, a := range dm.Attachments {
				all.WriteString(a.Name + "\n" + a.MediaType + "\n")
				all.Write(a.Data)
			}
			out := strings.ToLower(all.String())
			for _, s := range e.Secrets {
				if strings.Contains(out, strings.ToLower(s)) {
					t.Errorf("%s: secret %q came out", e.File, s)
				}
			}
			for _, k := range e.MustKeep[1:] { // [0] is the subject, a header
				if !strings.Contains(all.String(), k) {
					t.Errorf("%s: %q lost", e.File, k)
				}
			}
			if dm.Text == "" && dm.HTML == nil {
				t.Errorf("%s: no body", e.File)
			}
			return nil
		})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", e.File, err)
		}
	}
	if found != 2 {
		t.Errorf("found %d winmail.dat parts, want 2", found)
	}
}

func TestCorpusNames(t *testing.T) {
	f, err := os.Open(filepath.Join(corpusDir, "tnef10_outlook_winmail_attachments.eml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := message.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	msg.Walk(func(_ []int, ent *message.Entity, err error) error {
		if ct, _, _ := ent.Header.ContentType(); err == nil && ct == "application/ms-tnef" {
			dm, err := Decode(ent.Body, 10<<20)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range dm.Attachments {
				got = append(got, a.Name+" "+a.MediaType)
			}
		}
		return nil
	})
	want := []string{"Offerte 2027.pdf application/pdf", "notes.txt text/plain"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("attachments = %q, want %q", got, want)
	}
}
