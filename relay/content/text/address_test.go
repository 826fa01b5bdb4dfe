package text

import (
	"strings"
	"testing"
)

// TestAddressWriter: an address split across writes is found, and so are
// its other spellings; a longer mailbox is not the sender's.
func TestAddressWriter(t *testing.T) {
	addrs := []string{"Alice@Sender.example"}
	for _, c := range []struct {
		chunks []string
		want   bool
	}{
		{[]string{`<a href="mailto:alice@sen`, `der.example">`}, true},
		{[]string{"x ", "ALICE@SENDER.EXAMPLE"}, true},
		{[]string{"x", "alice@sender.example"}, false}, // xalice@: another mailbox
		{[]string{"https://x.example/?u=alice%40sender.example"}, true},
		{[]string{"/personal/alice_sender_example/Documents"}, true},
		{[]string{"alice@sender.example.org"}, false},
		{[]string{"malice@sender.example"}, false},
		{[]string{"alice@sender.exam", "ple.org"}, false},
		{[]string{strings.Repeat("x", 5000) + " ", "alice@sender.example"}, true},
		{nil, false},
	} {
		w := NewAddressWriter(addrs)
		for _, s := range c.chunks {
			w.Write([]byte(s))
		}
		if got := w.Found(); got != c.want {
			t.Errorf("%.60q: found %v, want %v", c.chunks, got, c.want)
		}
	}
	if w := NewAddressWriter(nil); func() bool { w.Write([]byte("alice@sender.example")); return w.Found() }() {
		t.Errorf("found an address with none to look for")
	}
}

// Short writes: an address that starts in one and ends in a later one.
func TestAddressWriterShortChunks(t *testing.T) {
	w := NewAddressWriter([]string{"alice@sender.example"})
	for _, s := range []string{"<", "alice@", "send", "er.exa", "mple", ">"} {
		w.Write([]byte(s))
	}
	if !w.Found() {
		t.Errorf("not found across short writes")
	}
	w = NewAddressWriter([]string{"alice@sender.example"})
	for _, s := range []string{"m", "alice@", "sender.example"} {
		w.Write([]byte(s))
	}
	if w.Found() {
		t.Errorf("malice@ taken for the sender")
	}
}
