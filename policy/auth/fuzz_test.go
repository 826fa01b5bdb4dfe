package auth

import (
	"bytes"
	"strings"
	"testing"
)

var fromSeeds = []string{
	"From: a@example.com\r\n\r\n",
	"From: Alice <a@Example.COM.>\r\nTo: b@example.net\r\n\r\n",
	"from : =?utf-8?q?Al=C3=ADce?= <a@bücher.example>\r\n\r\n",
	"From: Alice\r\n\t<a@example.com>\r\n\r\n",
	"From: a@example.com, b@example.com\r\n\r\n",
	"From: a@example.com\r\nFrom: b@example.com\r\n\r\n",
	"From: undisclosed:;\r\n\r\n",
	"From: a@[192.0.2.1]\r\n\r\n",
	"garbage\r\n continuation\r\nFrom:\"x@y\"@example.org\n\n",
	"DKIM-Signature: v=1\r\nFrom: <@example.com:a@example.com>\r\n\r\n",
	"",
}

// FuzzHeaderFrom feeds arbitrary header blocks to the From parser: it must
// not panic, and a domain it returns must be a normalised host name.
func FuzzHeaderFrom(f *testing.F) {
	for _, s := range fromSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		fs := scanFields(head)
		d, err := fromDomain(fs.from)
		if err != nil {
			if d != "" {
				t.Fatalf("domain %q with error %v", d, err)
			}
			return
		}
		if len(fs.from) != 1 {
			t.Fatalf("domain %q from %d From fields", d, len(fs.from))
		}
		if d == "" || len(d) > 253 || strings.ToLower(d) != d || strings.ContainsAny(d, "@[] \t\r\n") {
			t.Fatalf("bad domain %q", d)
		}
		if n, err := normDomain(d); err != nil || n != d {
			t.Fatalf("normDomain(%q) = %q, %v: not normalised", d, n, err)
		}
		if OrgDomain(d) == "" {
			t.Fatalf("no org domain for %q", d)
		}
	})
}

// FuzzHeaderBlock checks that the header block is found the same however
// the message is cut into writes.
func FuzzHeaderBlock(f *testing.F) {
	for _, s := range fromSeeds {
		f.Add([]byte(s+"body\r\n\r\nmore"), uint8(1), uint16(64))
	}
	f.Add([]byte("\r\nbody"), uint8(3), uint16(1024))
	f.Add([]byte("From: a@b\r"), uint8(2), uint16(1024))
	f.Add([]byte("From: a@b\r\n\r"), uint8(5), uint16(8))
	f.Fuzz(func(t *testing.T, msg []byte, chunk uint8, limit uint16) {
		whole := newHeaderBlock(int(limit))
		n := whole.write(msg)
		if n > len(msg) {
			t.Fatalf("write = %d of %d", n, len(msg))
		}
		if whole.done && !whole.tooLarge {
			if !bytes.HasSuffix(whole.buf, []byte(headerEnd)) && !bytes.Equal(whole.buf, []byte("\r\n")) {
				t.Fatalf("header block %q does not end with an empty line", whole.buf)
			}
			if i := bytes.Index(msg, []byte(headerEnd)); !bytes.HasPrefix(msg, []byte("\r\n")) && i+4 != n {
				t.Fatalf("header ends at %d, first CRLFCRLF at %d", n, i)
			}
		}
		if !whole.done {
			rest := whole.finish()
			if !bytes.HasSuffix(whole.buf, []byte(headerEnd)) && !bytes.Equal(whole.buf, []byte("\r\n")) {
				t.Fatalf("finished header block %q (added %q) does not end with an empty line", whole.buf, rest)
			}
			whole.done = false // compare the state before finish below
			whole.buf = whole.buf[:len(whole.buf)-len(rest)]
		}

		step := int(chunk%16) + 1
		cut := newHeaderBlock(int(limit))
		total := 0
		for p := msg; len(p) > 0 && !cut.done; {
			k := min(step, len(p))
			total += cut.write(p[:k])
			p = p[k:]
		}
		if cut.tooLarge != whole.tooLarge || (!whole.tooLarge && (total != n || !bytes.Equal(cut.buf, whole.buf))) {
			t.Fatalf("in writes of %d: %d octets %q tooLarge=%v; whole: %d octets %q tooLarge=%v",
				step, total, cut.buf, cut.tooLarge, n, whole.buf, whole.tooLarge)
		}
	})
}
