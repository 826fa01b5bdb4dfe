package courier

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testID = "0123456789abcdef0123456789abcdef"

func newTestDir(t *testing.T) *Dir {
	t.Helper()
	d, err := NewDir(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func msg(id, body string) *Message {
	return &Message{ID: id, From: "bounce+x@leak.example", To: "bob@example.com",
		Size: int64(len(body)), Body: strings.NewReader(body)}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

func TestDirDeliver(t *testing.T) {
	tests := []struct {
		name, from, body, want string
	}{
		{"normal", "bounce+x@leak.example", "DKIM-Signature: x\r\nSubject: hi\r\n\r\nbody\r\n",
			"Return-Path: <bounce+x@leak.example>\r\nDelivered-To: bob@example.com\r\nDKIM-Signature: x\r\nSubject: hi\r\n\r\nbody\r\n"},
		{"null sender", "", "Subject: bounce\r\n\r\n",
			"Return-Path: <>\r\nDelivered-To: bob@example.com\r\nSubject: bounce\r\n\r\n"},
		{"large", "b@leak.example", strings.Repeat("x", 200<<10),
			"Return-Path: <b@leak.example>\r\nDelivered-To: bob@example.com\r\n" + strings.Repeat("x", 200<<10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDir(t)
			m := msg(testID, tc.body)
			m.From = tc.from
			if err := d.Deliver(context.Background(), m); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			got, err := os.ReadFile(filepath.Join(d.Path, "new", testID+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("delivered %d bytes %.80q, want %d bytes %.80q", len(got), got, len(tc.want), tc.want)
			}
			if n := names(t, filepath.Join(d.Path, "tmp")); len(n) != 0 {
				t.Errorf("tmp/ not empty: %v", n)
			}
		})
	}
}

func TestDirRedeliveryReplaces(t *testing.T) {
	d := newTestDir(t)
	// A partial file left in tmp/ by a crash is overwritten too.
	if err := os.WriteFile(filepath.Join(d.Path, "tmp", testID+".eml"), []byte("partial garbage, longer than the message"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"first\r\n", "second\r\n"} {
		if err := d.Deliver(context.Background(), msg(testID, body)); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
	}
	if n := names(t, filepath.Join(d.Path, "new")); len(n) != 1 {
		t.Fatalf("new/ = %v, want one file", n)
	}
	got, _ := os.ReadFile(filepath.Join(d.Path, "new", testID+".eml"))
	if !strings.HasSuffix(string(got), "\r\nsecond\r\n") || strings.Contains(string(got), "first") {
		t.Errorf("new/ holds %q, want the second delivery only", got)
	}
	if n := names(t, filepath.Join(d.Path, "tmp")); len(n) != 0 {
		t.Errorf("tmp/ not empty: %v", n)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("disk read error")
	}
	k := min(r.n, len(p))
	for i := range k {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}

func TestDirTemporaryFailures(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		setup func(t *testing.T, d *Dir)
		ctx   context.Context
		m     *Message
	}{
		{"unwritable tmp", func(t *testing.T, d *Dir) {
			// Tests may run as root, which ignores modes: make tmp a file.
			p := filepath.Join(d.Path, "tmp")
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, context.Background(), msg(testID, "body")},
		{"missing new", func(t *testing.T, d *Dir) {
			if err := os.Remove(filepath.Join(d.Path, "new")); err != nil {
				t.Fatal(err)
			}
		}, context.Background(), msg(testID, "body")},
		{"cancelled", nil, cancelled, msg(testID, "body")},
		{"body read error", nil, context.Background(),
			&Message{ID: testID, To: "bob@example.com", Body: &failingReader{n: 70000}}},
		{"short body", nil, context.Background(),
			&Message{ID: testID, To: "bob@example.com", Size: 10, Body: strings.NewReader("short")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDir(t)
			if tc.setup != nil {
				tc.setup(t, d)
			}
			err := d.Deliver(tc.ctx, tc.m)
			var ce *Error
			if err == nil || !errors.As(err, &ce) || IsPermanent(err) {
				t.Fatalf("Deliver = %v, want a temporary *Error", err)
			}
			if fi, err := os.Stat(filepath.Join(d.Path, "tmp")); err == nil && fi.IsDir() {
				if n := names(t, filepath.Join(d.Path, "tmp")); len(n) != 0 {
					t.Errorf("tmp/ not empty: %v", n)
				}
			}
			if _, err := os.Stat(filepath.Join(d.Path, "new", testID+".eml")); err == nil {
				t.Error("a file reached new/")
			}
		})
	}
}

func TestDirPermanentFailures(t *testing.T) {
	for _, m := range []*Message{
		{ID: "", To: "bob@example.com"},
		{ID: "../escape", To: "bob@example.com"},
		{ID: "a/b", To: "bob@example.com"},
		{ID: strings.Repeat("a", 65), To: "bob@example.com"},
		{ID: testID, To: "bob@example.com\r\nBcc: eve@example.com"},
		{ID: testID, From: "x\n@y", To: "bob@example.com"},
		{ID: testID, To: ""},
	} {
		d := newTestDir(t)
		m.Body = strings.NewReader("body")
		if err := d.Deliver(context.Background(), m); !IsPermanent(err) {
			t.Errorf("Deliver(id %q, from %q, to %q) = %v, want permanent", m.ID, m.From, m.To, err)
		}
		if n := names(t, filepath.Join(d.Path, "new")); len(n) != 0 {
			t.Errorf("new/ = %v after a refused delivery", n)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(d.Path), "escape.eml")); err == nil {
			t.Error("file written outside the delivery dir")
		}
	}
}
