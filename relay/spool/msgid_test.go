package spool

import (
	"bytes"
	"testing"
	"time"
)

// TestMessageIDAndCreatedKept: the copy's Message-ID and its creation time
// to the millisecond come back from Writer.Meta, Open and List, for a
// record and for an entry file, and after the spool is reopened. Delivery
// latency is measured from Created: cut to the second, it was overstated
// by up to a second.
func TestMessageIDAndCreatedKept(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 11, 25, 10, 30, 15, 123_456_789, time.UTC)
	want := created.Truncate(time.Millisecond)
	s, dir := openSpool(t, Options{})
	bodies := map[string][]byte{
		"record": []byte("Subject: hi\r\n\r\nhello\r\n"),
		"file":   bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n"), 5000),
	}
	ids := map[string]string{}
	for kind, body := range bodies {
		mid := "<" + kind + "0123456789abcdef@leak.example>"
		m := commit(t, s, body, Meta{Rcpt: "bob@example.com", Created: created, MessageID: mid})
		if !m.Created.Equal(want) || m.MessageID != mid {
			t.Errorf("%s: Writer.Meta() Created %v, MessageID %q; want %v, %q", kind, m.Created, m.MessageID, want, mid)
		}
		ids[m.ID] = mid
		if got, _ := readAll(t, s, m.ID); !got.Created.Equal(want) || got.MessageID != mid {
			t.Errorf("%s: Open: Created %v, MessageID %q", kind, got.Created, got.MessageID)
		}
	}
	s.Close()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(ids) {
		t.Fatalf("List after reopening: %d entries, want %d", len(list), len(ids))
	}
	for _, m := range list {
		if !m.Created.Equal(want) || m.MessageID != ids[m.ID] {
			t.Errorf("List after reopening: %s Created %v, MessageID %q; want %v, %q", m.ID, m.Created, m.MessageID, want, ids[m.ID])
		}
	}
}

// TestMetaWithoutMessageID: a meta written before Message-IDs (and
// milliseconds) were stored still reads, with an empty MessageID.
func TestMetaWithoutMessageID(t *testing.T) {
	t.Parallel()
	m, err := decodeMeta([]byte(`{"v":1,"id":"0123456789abcdef0123456789abcdef","from":"b@leak.example","rcpt":"a@b.example","created":1800000000,"prefix":"","utf8":false}`), 10)
	if err != nil {
		t.Fatal(err)
	}
	if m.MessageID != "" || !m.Created.Equal(time.Unix(1_800_000_000, 0)) || m.Rcpt != "a@b.example" {
		t.Errorf("old meta decodes as %+v", m)
	}
}
