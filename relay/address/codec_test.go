package address

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ok is the zero Reason: the case decodes.
const ok Reason = 0

type decodeCase struct {
	rcpt   string
	want   Recipient // when reason is ok
	reason Reason
}

func rcpt(rel Relationship, local, domain string) Recipient {
	return Recipient{Relationship: rel, Local: local, Domain: domain}
}

var (
	bob     = rcpt(Someone, "bob", "example.com")
	long64  = strings.Repeat("a", 64)
	label63 = strings.Repeat("d", 63)
	// 4 × 63 + 3 dots = 255 octets: too long for a domain name.
	domain255 = label63 + "." + label63 + "." + label63 + "." + label63
	// 64 + "@" + 190 = 255 octets, one over the 254 of a path; 64 + 1 + 189 fits.
	domain190 = label63 + "." + label63 + "." + label63[:58] + ".com"
	domain189 = label63 + "." + label63 + "." + label63[:57] + ".com"
)

// decodeCases run against testCodec (leak.example, relay.example.org).
var decodeCases = []decodeCase{
	// Valid.
	{"to+bob=example.com@leak.example", bob, ok},
	{"TO+Bob=Example.COM@LEAK.EXAMPLE.", rcpt(Someone, "Bob", "example.com"), ok},
	{"friend+ari.n=example.net@leak.example", rcpt(Friend, "ari.n", "example.net"), ok},
	{"Coworker+carl=example.org@leak.example", rcpt(Coworker, "carl", "example.org"), ok},
	{"family+mum=example.com@leak.example", rcpt(Family, "mum", "example.com"), ok},
	{"fof+dee=example.com@leak.example", rcpt(FriendOfFriend, "dee", "example.com"), ok},
	{"to+bob=example.com@relay.example.org", bob, ok},
	{"to+bob+tag=example.com@leak.example", rcpt(Someone, "bob+tag", "example.com"), ok},
	{"to+a=b=example.com@leak.example", rcpt(Someone, "a=b", "example.com"), ok},
	{"to+bob=example.com.@leak.example", bob, ok},
	{"to+bob=mail.example.co.uk@leak.example", rcpt(Someone, "bob", "mail.example.co.uk"), ok},
	{"to+bob=123.example@leak.example", rcpt(Someone, "bob", "123.example"), ok},
	{"to+bob=example.com.evilleak.example@leak.example", rcpt(Someone, "bob", "example.com.evilleak.example"), ok},
	{"to+bob=leak.example.com@leak.example", rcpt(Someone, "bob", "leak.example.com"), ok},
	{"to+bob=lake.example@leak.example", rcpt(Someone, "bob", "lake.example"), ok},
	{"to+o'brien=example.com@leak.example", rcpt(Someone, "o'brien", "example.com"), ok},
	{"to+#$&'*+/=?^_`{|}~-=example.com@leak.example", rcpt(Someone, "#$&'*+/=?^_`{|}~-", "example.com"), ok},
	{"to+" + long64 + "=example.com@leak.example", rcpt(Someone, long64, "example.com"), ok},
	{"to+bob=" + label63 + ".example@leak.example", rcpt(Someone, "bob", label63+".example"), ok},
	{"to+" + long64 + "=" + domain189 + "@leak.example", rcpt(Someone, long64, domain189), ok},
	// IDN destinations become lower-case A-labels (UTS #46 lookup mapping).
	{"to+bob=bücher.example@leak.example", rcpt(Someone, "bob", "xn--bcher-kva.example"), ok},
	{"to+bob=BÜCHER.Example@leak.example", rcpt(Someone, "bob", "xn--bcher-kva.example"), ok},
	{"to+bob=XN--BCHER-KVA.example@leak.example", rcpt(Someone, "bob", "xn--bcher-kva.example"), ok},
	{"to+bob=例子.example@leak.example", rcpt(Someone, "bob", "xn--fsqu00a.example"), ok},
	{"to+bob=ß.example@leak.example", rcpt(Someone, "bob", "xn--zca.example"), ok}, // IDNA2008: not "ss"
	// UTF-8 local parts (SMTPUTF8), case and form preserved.
	{"to+José=example.com@leak.example", rcpt(Someone, "José", "example.com"), ok},
	{"friend+δοκιμή=παράδειγμα.example@leak.example", rcpt(Friend, "δοκιμή", "xn--hxajbheg2az3al.example"), ok},
	{"to+用户=例子.example@leak.example", rcpt(Someone, "用户", "xn--fsqu00a.example"), ok},
	{"to+bob٣=example.com@leak.example", rcpt(Someone, "bob٣", "example.com"), ok},

	// Not for us: relaying denied.
	{"to+bob=example.com@example.com", Recipient{}, NotLocal},
	{"to+bob=example.com@mx.leak.example", Recipient{}, NotLocal},
	{"to+bob=example.com@leak.example.com", Recipient{}, NotLocal},
	{"to+bob=example.com@leak.example..", Recipient{}, NotLocal},
	{"to+bob=example.com@[192.0.2.10]", Recipient{}, NotLocal},
	{"to+bob=example.com@[IPv6:2001:db8::1]", Recipient{}, NotLocal},
	{"to+bob=example.com@", Recipient{}, NotLocal},
	{"to+bob=example.com@leak.exampl", Recipient{}, NotLocal},
	{"to+bob=example.com@le\u200bak.example", Recipient{}, NotLocal},
	{"to+bob=example.com@leak.example%evil.example", Recipient{}, NotLocal},
	{"to+bob=example.com@ｌｅａｋ.example", Recipient{}, NotLocal},
	{"to+bob=example.com@\xffleak.example", Recipient{}, NotLocal},

	// Malformed.
	{"", Recipient{}, Invalid},
	{"to+bob=example.com", Recipient{}, Invalid},
	{"@leak.example", Recipient{}, Invalid},
	{"bob@leak.example", Recipient{}, Invalid},
	{"postmaster@leak.example", Recipient{}, Invalid},
	{"bob=example.com@leak.example", Recipient{}, Invalid},
	{"to+bob@leak.example", Recipient{}, Invalid},
	{"to+bob.example.com@leak.example", Recipient{}, Invalid},
	{"boss+bob=example.com@leak.example", Recipient{}, Invalid},
	{"+bob=example.com@leak.example", Recipient{}, Invalid},
	{"friends+bob=example.com@leak.example", Recipient{}, Invalid},
	{"cowor\u212Aer+bob=example.com@leak.example", Recipient{}, Invalid},
	{"to+=example.com@leak.example", Recipient{}, Invalid},
	{"to+a" + long64 + "=example.com@leak.example", Recipient{}, Invalid},
	{"to+.bob=example.com@leak.example", Recipient{}, Invalid},
	{"to+bob.=example.com@leak.example", Recipient{}, Invalid},
	{"to+b..ob=example.com@leak.example", Recipient{}, Invalid},
	{"to+" + long64 + "=" + domain190 + "@leak.example", Recipient{}, Invalid},
	{"to+bob=example.com" + strings.Repeat("x", maxRCPT) + "@leak.example", Recipient{}, Invalid},
	// Characters that need quoting, and routing hacks.
	{"to+b\x00ob=example.com@leak.example", Recipient{}, Invalid},
	{"to+b\tob=example.com@leak.example", Recipient{}, Invalid},
	{"to+b\r\nob=example.com@leak.example", Recipient{}, Invalid},
	{"to+b\x7fob=example.com@leak.example", Recipient{}, Invalid},
	{"to+a b=example.com@leak.example", Recipient{}, Invalid},
	{"to+a\"b=example.com@leak.example", Recipient{}, Invalid},
	{"to+a\\b=example.com@leak.example", Recipient{}, Invalid},
	{"to+bob@evil.example=example.com@leak.example", Recipient{}, Invalid},
	{"to+a(b)=example.com@leak.example", Recipient{}, Invalid},
	{"to+a<b>=example.com@leak.example", Recipient{}, Invalid},
	{"to+a,b=example.com@leak.example", Recipient{}, Invalid},
	{"to+a;b=example.com@leak.example", Recipient{}, Invalid},
	{"to+a:b=example.com@leak.example", Recipient{}, Invalid},
	{"to+a[b]=example.com@leak.example", Recipient{}, Invalid},
	{"to+bob%evil.example=example.com@leak.example", Recipient{}, Invalid},
	{"to+evil.example!bob=example.com@leak.example", Recipient{}, Invalid},
	{"to+bob=example.com%evil.example@leak.example", Recipient{}, Invalid},
	{"to%x+bob=example.com@leak.example", Recipient{}, Invalid},
	{"to+b\xffob=example.com@leak.example", Recipient{}, Invalid},   // not UTF-8
	{"to+b\u00a0ob=example.com@leak.example", Recipient{}, Invalid}, // NO-BREAK SPACE
	{"to+b\u0085ob=example.com@leak.example", Recipient{}, Invalid}, // C1 control NEL
	{"to+b\u200bob=example.com@leak.example", Recipient{}, Invalid}, // ZERO WIDTH SPACE
	{"to+b\u202eob=example.com@leak.example", Recipient{}, Invalid}, // RIGHT-TO-LEFT OVERRIDE
	{"to+b\u2028ob=example.com@leak.example", Recipient{}, Invalid}, // LINE SEPARATOR
	{"to+bob\U0001F600=example.com@leak.example", Recipient{}, Invalid},
	{"to+bob=exa\u200bmple.com@leak.example", Recipient{}, Invalid},
	{"to+bob=example\u3002com@leak.example", Recipient{}, Invalid}, // IDEOGRAPHIC FULL STOP
	// Bad destinations.
	{"to+bob=@leak.example", Recipient{}, Invalid},
	{"to+bob=.@leak.example", Recipient{}, Invalid},
	{"to+bob=[192.0.2.10]@leak.example", Recipient{}, Invalid},
	{"to+bob=[IPv6:2001:db8::1]@leak.example", Recipient{}, Invalid},
	{"to+bob=192.0.2.10@leak.example", Recipient{}, Invalid},
	{"to+bob=192.0.2.10.@leak.example", Recipient{}, Invalid},
	{"to+bob=127.1@leak.example", Recipient{}, Invalid},
	{"to+bob=0x7f.0x1@leak.example", Recipient{}, Invalid},
	{"to+bob=example.0x@leak.example", Recipient{}, Invalid},
	{"to+bob=example.123@leak.example", Recipient{}, Invalid},
	{"to+bob=2001:db8::1@leak.example", Recipient{}, Invalid},
	{"to+bob=localhost@leak.example", Recipient{}, Invalid},
	{"to+bob=LOCALHOST.@leak.example", Recipient{}, Invalid},
	{"to+bob=mail.localhost@leak.example", Recipient{}, Invalid},
	{"to+bob=printer.local@leak.example", Recipient{}, Invalid},
	{"to+bob=example.invalid@leak.example", Recipient{}, Invalid},
	{"to+bob=router.home.arpa@leak.example", Recipient{}, Invalid},
	{"to+bob=hidden.onion@leak.example", Recipient{}, Invalid},
	{"to+bob=corp.internal@leak.example", Recipient{}, Invalid},
	{"to+bob=com@leak.example", Recipient{}, Invalid},
	{"to+bob=exa_mple.com@leak.example", Recipient{}, Invalid},
	{"to+bob=-example.com@leak.example", Recipient{}, Invalid},
	{"to+bob=example-.com@leak.example", Recipient{}, Invalid},
	{"to+bob=ex--ample.com@leak.example", Recipient{}, Invalid}, // reserved R-LDH label (RFC 5890)
	{"to+bob=ex..ample.com@leak.example", Recipient{}, Invalid},
	{"to+bob=.example.com@leak.example", Recipient{}, Invalid},
	{"to+bob=example.com..@leak.example", Recipient{}, Invalid},
	{"to+bob=x" + label63 + ".example@leak.example", Recipient{}, Invalid},
	{"to+bob=" + domain255 + "@leak.example", Recipient{}, Invalid},
	{"to+bob=xn--zz.example@leak.example", Recipient{}, Invalid},  // not Punycode
	{"to+bob=xn--abc.example@leak.example", Recipient{}, Invalid}, // decodes to controls
	{"to+bob=xn--example-.com@leak.example", Recipient{}, Invalid},

	// Loops back into Leak.
	{"to+bob=leak.example@leak.example", Recipient{}, Loop},
	{"to+bob=LEAK.EXAMPLE@leak.example", Recipient{}, Loop},
	{"to+bob=leak.example.@leak.example", Recipient{}, Loop},
	{"to+bob=mx.leak.example@leak.example", Recipient{}, Loop},
	{"to+reply+r7c2=leak.example@leak.example", Recipient{}, Loop},
	{"to+bob=relay.example.org@leak.example", Recipient{}, Loop},
	{"to+bob=a.b.relay.example.org@leak.example", Recipient{}, Loop},
	{"to+bob=leak.example@relay.example.org", Recipient{}, Loop},
	{"to+bob=ＬＥＡＫ.example@leak.example", Recipient{}, Loop}, // full-width letters map to ASCII
	// Look-alikes: accents and compatibility forms.
	{"to+bob=léak.example@leak.example", Recipient{}, Loop},
	{"to+bob=xn--lak-bma.example@leak.example", Recipient{}, Loop}, // léak.example
	{"to+bob=mx.lèák.example@leak.example", Recipient{}, Loop},
	{"to+bob=le\u0301ak.example@leak.example", Recipient{}, Loop}, // combining acute, NFC-mapped to é
}

func testCodec(t testing.TB) *Codec {
	t.Helper()
	c, err := NewCodec("leak.example", "Relay.Example.ORG.")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkDecode runs one case and checks the properties every result must have.
func checkDecode(t *testing.T, c *Codec, tt decodeCase) {
	t.Helper()
	got, err := c.Decode(tt.rcpt)
	if tt.reason == ok {
		if err != nil {
			t.Errorf("Decode(%q): %v, want %+v", tt.rcpt, err, tt.want)
		} else if got != tt.want {
			t.Errorf("Decode(%q) = %+v, want %+v", tt.rcpt, got, tt.want)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("Decode(%q) = %+v, %v; want *Error with reason %v", tt.rcpt, got, err, tt.reason)
		return
	}
	if e.Reason != tt.reason {
		t.Errorf("Decode(%q): reason %v (%s), want %v", tt.rcpt, e.Reason, e.Text, tt.reason)
	}
	if got != (Recipient{}) {
		t.Errorf("Decode(%q) returned %+v with an error", tt.rcpt, got)
	}
	checkText(t, tt.rcpt, e)
}

// checkText checks that an error is one printable ASCII line that does not
// repeat the recipient ("bob", "example.com" in the test addresses).
func checkText(t *testing.T, rcpt string, e *Error) {
	t.Helper()
	for _, s := range []string{e.Text, e.Error()} {
		if s == "" || !isPrintableASCII(s) {
			t.Errorf("Decode(%q): text %q is not one line of printable ASCII", rcpt, s)
		}
		if strings.Contains(strings.ToLower(s), "bob") || strings.Contains(s, "example.com") {
			t.Errorf("Decode(%q): text %q repeats the recipient", rcpt, s)
		}
	}
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func TestDecode(t *testing.T) {
	c := testCodec(t)
	for _, tt := range decodeCases {
		checkDecode(t, c, tt)
	}
}

// TestDecodeH18 holds the RCPTs of hostile/manifest.json entry h18 with the
// reply classes the corpus expects: 2xx decodes, 5xx is an error.
func TestDecodeH18(t *testing.T) {
	c := testCodec(t)
	tests := []struct {
		rcpt  string
		class string
	}{
		{"to+bob=example.com@leak.example", "2xx"},
		{"to+bob=leak.example@leak.example", "5xx"},
		{"to+bob=LEAK.EXAMPLE@leak.example", "5xx"},
		{"to+bob=mx.leak.example@leak.example", "5xx"},
		{"to+bob=leak.example.@leak.example", "5xx"},
		{"to+reply+r7c2=leak.example@leak.example", "5xx"},
		{"to+bob=[192.0.2.10]@leak.example", "5xx"},
		{"to+bob=localhost@leak.example", "5xx"},
		// "laké.example": an IDN two edits away from leak.example once
		// its accent is folded, so a look-alike (see lookAlikeDistance).
		{"to+bob=xn--lak-dma.example@leak.example", "5xx"},
	}
	for _, tt := range tests {
		_, err := c.Decode(tt.rcpt)
		if got := class(err); got != tt.class {
			t.Errorf("Decode(%q): %s (%v), corpus expects %s", tt.rcpt, got, err, tt.class)
		}
	}
	// Plain ASCII neighbours of the Leak domain are ordinary domains.
	for _, rcpt := range []string{"to+bob=lake.example@leak.example", "to+bob=leaks.example@leak.example"} {
		if _, err := c.Decode(rcpt); err != nil {
			t.Errorf("Decode(%q): %v, want success", rcpt, err)
		}
	}
	// An IDN far from any Leak domain is fine.
	if _, err := c.Decode("to+bob=xn--bcher-kva.example@leak.example"); err != nil {
		t.Errorf("Decode(bücher.example): %v", err)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"leak.example", "leak.example", 0},
		{"lkea.example", "leak.example", 2},
		{"lake.example", "leak.example", 2},
		{"lea.example", "leak.example", 1},
		{"leakk.example", "leak.example", 1},
		{"leek.example", "leak.example", 1},
		{"elak.example", "leak.example", 1}, // swap
		{"", "abc", 3},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func class(err error) string {
	if err == nil {
		return "2xx"
	}
	return "5xx"
}

// TestCorpusManifests reads the shared corpus ($LEAK_CORPUS): every h18 RCPT gets the reply
// class the corpus expects, and every client delivery decodes to its
// deliver_to.
func TestCorpusManifests(t *testing.T) {
	dir := os.Getenv("LEAK_CORPUS")
	if dir == "" {
		t.Skip("LEAK_CORPUS is not set to the shared corpus (LEAK_CORPUS=/path/to/corpus)")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s", dir)
	}
	var hostile struct {
		Messages []struct {
			File             string
			RcptExpectations []struct {
				Rcpt       string `json:"rcpt"`
				ReplyClass string `json:"reply_class"`
			} `json:"rcpt_expectations"`
		}
	}
	var clients struct {
		Messages []struct {
			File       string
			Deliveries []struct {
				Rcpt      string `json:"rcpt"`
				DeliverTo string `json:"deliver_to"`
			}
		}
	}
	for name, v := range map[string]any{"hostile": &hostile, "clients": &clients} {
		b, err := os.ReadFile(filepath.Join(dir, name, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s manifest: %v", name, err)
		}
	}
	c := testCodec(t)
	n := 0
	for _, m := range hostile.Messages {
		for _, x := range m.RcptExpectations {
			_, err := c.Decode(x.Rcpt)
			if got := class(err); got[0] != x.ReplyClass[0] {
				t.Errorf("%s: Decode(%q): %s (%v), want %s", m.File, x.Rcpt, got, err, x.ReplyClass)
			}
			n++
		}
	}
	for _, m := range clients.Messages {
		for _, d := range m.Deliveries {
			r, err := c.Decode(d.Rcpt)
			if err != nil || !strings.EqualFold(r.Address(), d.DeliverTo) {
				t.Errorf("%s: Decode(%q) = %q, %v; want %s", m.File, d.Rcpt, r.Address(), err, d.DeliverTo)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("the manifests held no addresses")
	}
}

func TestNewCodec(t *testing.T) {
	c, err := NewCodec("LEAK.Example.", "xn--bcher-kva.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"leak.example", "LEAK.EXAMPLE.", "mx.leak.example", "bücher.example", "xn--bcher-kva.example"} {
		if !c.IsLeakDomain(d) {
			t.Errorf("IsLeakDomain(%q) = false", d)
		}
	}
	for _, d := range []string{"example.com", "leak.example.com", "eak.example", ""} {
		if c.IsLeakDomain(d) {
			t.Errorf("IsLeakDomain(%q) = true", d)
		}
	}
	for _, bad := range []string{"", "not a domain", "[192.0.2.1]", "-bad.example"} {
		if _, err := NewCodec(bad); err == nil {
			t.Errorf("NewCodec(%q) succeeded", bad)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	c := testCodec(t)
	for _, tt := range []struct {
		rel  Relationship
		addr string
		want string
	}{
		{Someone, "bob@example.com", "to+bob=example.com@leak.example"},
		{Friend, "bob+tag@Example.COM", "friend+bob+tag=example.com@leak.example"},
		{FriendOfFriend, "a=b@example.org", "fof+a=b=example.org@leak.example"},
		{Family, "bob@bücher.example", "family+bob=xn--bcher-kva.example@leak.example"},
	} {
		got := Encode(tt.rel, tt.addr, "leak.example")
		if got != tt.want {
			t.Errorf("Encode(%v, %q) = %q, want %q", tt.rel, tt.addr, got, tt.want)
		}
		r, err := c.Decode(got)
		if err != nil || r.Relationship != tt.rel {
			t.Errorf("Decode(Encode(%q)) = %+v, %v", tt.addr, r, err)
		}
	}
	for _, tt := range decodeCases {
		if tt.reason != ok {
			continue
		}
		again, err := c.Decode(Encode(tt.want.Relationship, tt.want.Address(), "leak.example"))
		if err != nil || again != tt.want {
			t.Errorf("round trip of %q: %+v, %v", tt.rcpt, again, err)
		}
	}
}
