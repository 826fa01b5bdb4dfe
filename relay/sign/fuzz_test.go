package sign

import (
	"bytes"
	"testing"
)

// FuzzSign feeds the Signer messages in the shape the SMTP stage lets through
// (CRLF lines of at most 998 octets, no NUL, starting with a header field; see
// wellFormed) and checks that whatever Close accepts verifies, both signatures.
func FuzzSign(f *testing.F) {
	k := testKeys(f)
	for _, seed := range []string{
		testMessage("Hello Bob.\r\n"),
		testMessage(""),
		testMessage("\r\n\r\n  \t \r\n"),
		"From: a@leak.example\r\n\r\n",
		"\r\nbody only\r\n",
		"From: a\r\n b\r\n\tc\r\nFrom: d\r\nSubject:\r\n\r\nx",
		"no colon\r\n\r\n",
		"From: a@leak.example\r\nSubject: unterminated header\r\n",
	} {
		f.Add([]byte(seed), uint16(0))
		f.Add([]byte(seed), uint16(3))
	}
	f.Fuzz(func(t *testing.T, msg []byte, chunk uint16) {
		msg = wellFormed(msg)
		sameAsMsgauth(t, k, msg, int(chunk))
		s, err := k.NewSigner()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Abort()
		n := int(chunk)
		if n == 0 {
			n = len(msg) + 1
		}
		for p := msg; len(p) > 0; {
			w := min(n, len(p))
			if _, err := s.Write(p[:w]); err != nil {
				t.Fatalf("Write: %v", err)
			}
			p = p[w:]
		}
		if err := s.Close(); err != nil {
			return // e.g. no end of header: the caller answers 451
		}
		vs := verify(t, k, s.Header()+string(msg))
		if len(vs) < 2 {
			t.Fatalf("%d verifications, want at least 2", len(vs))
		}
		for i, v := range vs[:2] {
			if v.Err != nil {
				t.Errorf("signature %d: %v\nmessage %q", i, v.Err, msg)
			}
		}
	})
}

// wellFormed turns arbitrary bytes into what the SMTP stage passes on: CRLF
// lines only (any CR or LF ends a line), none over 998 octets, no NUL, and a
// first line that is not a header continuation. Mapping rather than rejecting
// keeps most mutations useful.
func wellFormed(raw []byte) []byte {
	raw = bytes.TrimLeft(raw, " \t")
	var out []byte
	for len(raw) > 0 {
		i := bytes.IndexAny(raw, "\r\n")
		last := i < 0
		if last {
			i = len(raw)
		}
		line := bytes.ReplaceAll(raw[:i], []byte{0}, nil)
		out = append(out, line[:min(len(line), 998)]...)
		if last {
			break
		}
		out = append(out, '\r', '\n')
		if bytes.HasPrefix(raw[i:], []byte("\r\n")) {
			i++
		}
		raw = raw[i+1:]
	}
	return out
}
