package spool

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// damageBody flips the first message byte of id's record on the disk, so
// that a read from the disk fails its checksum and one from memory does
// not.
func damageBody(t *testing.T, s *Spool, id string) {
	t.Helper()
	s.mu.Lock()
	l, ok := s.index[id]
	s.mu.Unlock()
	if !ok {
		t.Fatalf("%s is not a record", id)
	}
	if _, err := l.seg.f.WriteAt([]byte{'#'}, l.off+l.seg.hdrLen()); err != nil {
		t.Fatal(err)
	}
}

// readToEnd opens id and reads it to the end, and returns the error of the
// read.
func readToEnd(t *testing.T, s *Spool, id string) error {
	t.Helper()
	msg, err := s.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	defer msg.Close()
	_, err = io.ReadAll(msg)
	return err
}

// storedMetaOf decodes id's meta from the disk, as a cold Open does.
func storedMetaOf(t *testing.T, s *Spool, id string) Meta {
	t.Helper()
	s.mu.Lock()
	l := s.index[id]
	s.mu.Unlock()
	m, _, err := readRecordMeta(l, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHotFirstOpenReadsMemory(t *testing.T) {
	t.Parallel()
	s, _ := openSpool(t, Options{HotMax: 1 << 20})
	body := []byte("Subject: hi\r\n\r\nhello\r\n")
	m := commit(t, s, body, Meta{
		From: "bounce@leak.example", Rcpt: "bob@example.com", Prefix: "DKIM-Signature: x\r\n",
		MessageID: "<a@leak.example>", NotBefore: time.Now().Add(-time.Second), UTF8: true,
	})
	want := storedMetaOf(t, s, m.ID)
	damageBody(t, s, m.ID)

	got, b := readAll(t, s, m.ID)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hot Meta\n%#v\nwant what the disk gives\n%#v", got, want)
	}
	if string(b) != want.Prefix+string(body) {
		t.Errorf("hot read %q", b)
	}

	// The first Open took the entry out of the hot set: the next one reads
	// the disk, and finds the damage.
	if err := readToEnd(t, s, m.ID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("second read: %v, want ErrCorrupt (from the disk)", err)
	}
}

func TestHotOffByDefault(t *testing.T) {
	t.Parallel()
	s, _ := openSpool(t, Options{})
	m := commit(t, s, []byte("hello\r\n"), Meta{Rcpt: "bob@example.com"})
	damageBody(t, s, m.ID)
	if err := readToEnd(t, s, m.ID); !errors.Is(err, ErrCorrupt) {
		t.Errorf("read: %v, want ErrCorrupt: without HotMax, Open reads the disk", err)
	}
}

func TestHotRemoveDrops(t *testing.T) {
	t.Parallel()
	s, _ := openSpool(t, Options{HotMax: 1 << 20})
	m := commit(t, s, []byte("hello\r\n"), Meta{Rcpt: "bob@example.com"})
	if err := s.Remove(m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(m.ID); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open after Remove: %v, want ErrNotExist", err)
	}
	if n, bytes := hotLen(s); n != 0 || bytes != 0 {
		t.Errorf("hot set after Remove: %d entries, %d bytes", n, bytes)
	}
}

func TestHotKeepsWhatFitsWithinMax(t *testing.T) {
	t.Parallel()
	s, _ := openSpool(t, Options{HotMax: 500}) // the first two bodies: 100 + 200 bytes
	var ids []string
	for i := range 3 {
		m := commit(t, s, []byte(strings.Repeat("x", 100*(i+1))), Meta{Rcpt: "bob@example.com"})
		ids = append(ids, m.ID)
		damageBody(t, s, m.ID)
	}
	if n, b := hotLen(s); n != 2 || b != 300 {
		t.Fatalf("hot set: %d entries, %d bytes; want 2, 300 bytes", n, b)
	}
	for i, id := range ids {
		err := readToEnd(t, s, id)
		if hot := err == nil; hot != (i < 2) {
			t.Errorf("entry %d: read error %v; the last one, which did not fit, must be read from the disk, the others not", i, err)
		}
	}
}

func TestHotSkipsHeldEntries(t *testing.T) {
	t.Parallel()
	s, _ := openSpool(t, Options{HotMax: 1 << 20})
	commit(t, s, []byte("hello\r\n"), Meta{Rcpt: "bob@example.com", NotBefore: time.Now().Add(time.Hour)})
	if n, _ := hotLen(s); n != 0 {
		t.Errorf("an entry held for an hour is in the hot set")
	}
}

// TestHotConcurrent commits, opens, reads and removes from many goroutines
// at once, with a hot set too small for all of them (run with -race).
func TestHotConcurrent(t *testing.T) {
	t.Parallel()
	s, _ := openSpool(t, Options{HotMax: 4000, SegmentMax: 1 << 20})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				body := bytes.Repeat([]byte{byte('a' + g)}, 500+i)
				m := commit(t, s, body, Meta{Rcpt: "bob@example.com"})
				if i%5 == 0 { // removed before any delivery
					if err := s.Remove(m.ID); err != nil {
						t.Error(err)
					}
					continue
				}
				_, got := readAll(t, s, m.ID)
				if !bytes.Equal(got, body) {
					t.Errorf("read back %d bytes, want %d", len(got), len(body))
				}
				if err := s.Remove(m.ID); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n, b := hotLen(s); n != 0 || b != 0 {
		t.Errorf("hot set at the end: %d entries, %d bytes", n, b)
	}
}

func hotLen(s *Spool) (int, int64) {
	s.hot.mu.Lock()
	defer s.hot.mu.Unlock()
	return len(s.hot.m), s.hot.bytes
}
