package anonymize

import (
	"slices"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// sender is what the content cleaners look for in a message because it
// names the sender: the envelope sender and the addresses and display
// names of the From, Sender and Reply-To fields (and the orders a name is
// written in, see nameVariants). It lives in memory for
// one rewrite and is never written anywhere.
type sender struct {
	addrs []string // lower case
	names []string
}

// add collects the sender's addresses and names from a top-level header.
func (s *sender) add(h *textproto.Header) {
	mh := mail.Header{Header: message.Header{Header: *h}}
	for _, key := range []string{"From", "Sender", "Reply-To"} {
		list, err := mh.AddressList(key)
		if err != nil {
			continue
		}
		for _, a := range list {
			s.addrs = appendAddr(s.addrs, a.Address)
			for _, n := range nameVariants(a.Name) {
				if !slices.Contains(s.names, n) {
					s.names = append(s.names, n)
				}
			}
		}
	}
}

// nameVariants returns a display name as written and as the sender signs
// with it: a directory's "Smith, Alice" and "SMITH Alice" are "Alice
// Smith" in the text, and "Alice Smith (ACME)" or "Alice Smith [External]"
// carry a suffix the signature has not.
func nameVariants(name string) []string {
	name = strings.Join(strings.Fields(strings.Trim(strings.TrimSpace(name), `"'`)), " ")
	if name == "" {
		return nil
	}
	out := []string{name}
	add := func(v string) {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	base := name
	if i := strings.IndexAny(base, "(["); i > 0 {
		base = strings.TrimSpace(base[:i])
		add(base)
	}
	if last, first, ok := strings.Cut(base, ","); ok && !strings.Contains(first, ",") {
		base = strings.TrimSpace(first) + " " + strings.TrimSpace(last)
		add(base)
	}
	if w := strings.Fields(base); len(w) == 2 {
		add(w[1] + " " + w[0])
	}
	return out
}

// normaliseAddrs lower-cases addresses and drops empty ones (a bounce's
// null sender).
func normaliseAddrs(in []string) []string {
	var out []string
	for _, a := range in {
		out = appendAddr(out, a)
	}
	return out
}

func appendAddr(list []string, a string) []string {
	a = strings.ToLower(strings.TrimSpace(a))
	at := strings.LastIndexByte(a, '@')
	if a == "" || at < 0 {
		return list
	}
	// A sub-address (alice+leak@) reaches the same mailbox as its base,
	// which the sender may well write in the text: both identify them.
	if plus := strings.IndexByte(a[:at], '+'); plus > 0 {
		list = appendAddr(list, a[:plus]+a[at:])
	}
	if slices.Contains(list, a) {
		return list
	}
	return append(list, a)
}
