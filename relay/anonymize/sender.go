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
// names of the From, Sender and Reply-To fields. It lives in memory for
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
			if n := strings.TrimSpace(a.Name); n != "" && key == "From" {
				s.names = append(s.names, n)
			}
		}
	}
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
