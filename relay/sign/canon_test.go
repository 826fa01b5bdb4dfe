package sign

import (
	"crypto"
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// msgauthSign signs msg with key as go-msgauth does with Leak's options,
// and returns its DKIM-Signature field and the time of its t= tag.
func msgauthSign(tb testing.TB, key Key, msg []byte) (string, time.Time, error) {
	tb.Helper()
	d, err := dkim.NewSigner(&dkim.SignOptions{
		Domain: testDomain, Selector: key.Selector, Signer: key.Signer, Hash: crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: signedFields,
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := d.Write(msg); err != nil {
		d.Close()
		return "", time.Time{}, err
	}
	if err := d.Close(); err != nil {
		return "", time.Time{}, err
	}
	sig := d.Signature()
	t, err := strconv.ParseInt(parseTags(sig)["t"], 10, 64)
	if err != nil {
		tb.Fatalf("go-msgauth's t= in %q: %v", sig, err)
	}
	return sig, time.Unix(t, 0), nil
}

// sameAsMsgauth checks that the Signer makes, for msg written in chunks of
// chunk octets, the very fields go-msgauth makes (RSA and Ed25519 are
// deterministic, so equal inputs give equal b=), and that both fail alike.
func sameAsMsgauth(t *testing.T, k *Keys, msg []byte, chunk int) {
	t.Helper()
	var (
		want    []string
		at      time.Time
		wantErr error
	)
	// go-msgauth reads the clock for each key: sign again if the second
	// changed in between.
	for again := true; again; {
		want, at, again = nil, time.Time{}, false
		for _, alg := range []string{RSASHA256, Ed25519SHA256} {
			for _, key := range k.Keys {
				if key.Algorithm != alg {
					continue
				}
				sig, tt, err := msgauthSign(t, key, msg)
				again = again || (!at.IsZero() && !tt.Equal(at))
				want, at, wantErr = append(want, sig), tt, err
			}
		}
	}
	s, err := k.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	s.now = func() time.Time { return at }
	if chunk <= 0 {
		chunk = len(msg) + 1
	}
	for p := msg; len(p) > 0; {
		n := min(chunk, len(p))
		if _, err := s.Write(p[:n]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		p = p[n:]
	}
	err = s.Close()
	if len(msg) > 0 && (msg[0] == ' ' || msg[0] == '\t') {
		// go-msgauth signs a header that starts with a folded line, whose
		// first line then folds into the fields written above it and
		// breaks them: this signer refuses it.
		if err == nil {
			t.Fatalf("Close signed %q, whose header starts with a folded line", msg)
		}
		return
	}
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("Close = %v, go-msgauth's = %v, for %q", err, wantErr, msg)
	}
	if err != nil {
		return
	}
	if got := s.Header(); got != strings.Join(want, "") {
		t.Errorf("for %q (chunks of %d):\ngot  %q\nwant %q", msg, chunk, got, strings.Join(want, ""))
	}
}

// TestSameAsGoMsgauth: the one-pass signer writes exactly the fields
// go-msgauth, the signer it replaced, writes for the same message at the
// same second: same canonical header and body, same tags and folding. The
// one difference is a header that starts with a folded line, which
// go-msgauth signs and this signer refuses (sameAsMsgauth).
func TestSameAsGoMsgauth(t *testing.T) {
	k := testKeys(t)
	for _, msg := range []string{
		testMessage("Hello Bob.\r\n"),
		testMessage(""),
		testMessage(sizedBody(70 << 10)),
		testMessage("  lead \t and  trail \t\r\n\r\n\r\n"),
		testMessage("\r\n\r\nafter empty lines\r\n \r\n\t\r\n"),
		testMessage("no final line end"),
		testMessage("lone\nline feeds\n\nand\rcarriage returns\r"),
		"From: a@leak.example\r\n\r\n",
		"\r\nbody only\r\n",
		"From: a\r\n b\r\n\tc\r\nFrom: d\r\nSubject:\r\n\r\nx",
		"FROM :  Some   One \t<a@leak.example>  \r\nsubject:x\r\nsUbJeCt: y\r\nTo: b\r\n\r\nbody\r\n",
		"no colon\r\n\r\n",
		" continuation first\r\nFrom: a\r\n\r\nx\r\n",
		"From: a\nSubject: lone LF header\n\nbody\n",
		"From: a@leak.example\r\nSubject: unterminated header\r\n",
		"From: a@leak.example\r\nSubject: ends in CR\r\n\r",
	} {
		for _, chunk := range []int{0, 1, 2, 3, 7, 4096} {
			sameAsMsgauth(t, k, []byte(msg), chunk)
		}
	}
}

// TestRelaxedBodyChunks: the body hash is go-msgauth's for random bodies
// made of the octets relaxed canonicalisation rewrites (runs of spaces,
// tabs, CR, LF, in any order) between words, long enough to fill the
// hasher's scratch several times, written in random pieces.
func TestRelaxedBodyChunks(t *testing.T) {
	k := testKeys(t)
	var ed Key
	for _, key := range k.Keys {
		if key.Algorithm == Ed25519SHA256 {
			ed = key
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"word", "x", " ", "  ", "\t", " \t ", "\r\n", "\r\n\r\n", "\n", "\r", "\r\r\n", "\n\n\n"}
	for i := range 300 {
		var body strings.Builder
		for n := rng.IntN(4000); body.Len() < n; {
			body.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if i%7 == 0 { // many empty lines in a row, past the held-back buffer
			body.WriteString(strings.Repeat("\r\n", 40) + "end" + strings.Repeat("\n", 40))
		}
		msg := "From: a@leak.example\r\n\r\n" + body.String()
		sig, _, err := msgauthSign(t, ed, []byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		c := newRelaxedBody()
		for p := []byte(body.String()); len(p) > 0; {
			n := min(1+rng.IntN(1500), len(p))
			c.Write(p[:n])
			p = p[n:]
		}
		if got, want := base64.StdEncoding.EncodeToString(c.sum()), parseTags(sig)["bh"]; got != want {
			t.Fatalf("body %q: bh=%s, go-msgauth's %s", body.String(), got, want)
		}
	}
}

func TestHeaderEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", -1}, {"\r", -1}, {"\r\n", 2}, {"\n", 1}, {"A: b\r\n", -1}, {"A: b\r\n\r", -1},
		{"A: b\r\n\r\nbody", 8}, {"A: b\n\nbody", 6}, {"A: b\r\n\nbody", 7}, {"A: b\r\n\rX\r\n\r\n", 12},
	} {
		if got := headerEnd([]byte(tc.in), 0); got != tc.want {
			t.Errorf("headerEnd(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
