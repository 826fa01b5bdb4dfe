package text

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

// FuzzClean checks that Clean never panics, fails only with a refusal, and
// never writes a device line it should have removed.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"Hello\r\n\r\nSent from my iPhone\r\n\r\n> On 2 Nov 2026, at 18:20, A <a@b.example> wrote:\r\n> hi\r\n",
		"x\r\n-- \r\nsig\r\n> q\r\n> -- \r\n> s\r\n",
		"________________________________\r\nFrom: A\r\nSent: now\r\nSubject: s\r\n\r\nb\r\n",
		"On Tue, 3 Nov 2026 at 10:12, Alice Smith <\r\nalice@x.example> wrote:\r\n",
		"begin 644 a\r\nM86)C\r\n`\r\nend\r\n",
		"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fa.example&data=x\r\n",
		strings.Repeat("y", 5000) + "\r\nalice@x.example",
		googleInvitation,
		strings.Repeat("_", 80) + "\r\nMicrosoft Teams <https://aka.ms/x?omkt=de-DE>\r\nJoin<https://teams.microsoft.com/l/meetup-join/19%3a%40thread.v2/0?context=%7b%7d&a=1>\r\n> q\r\n" + strings.Repeat("_", 80) + "\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var b strings.Builder
		err := Clean(&b, strings.NewReader(in), Options{Sender: []string{"alice@x.example"}, Places: []string{"Office-3-Kasztan"}})
		if err != nil {
			if _, ok := refusal.As(err); !ok {
				t.Fatalf("Clean: %v", err)
			}
			return
		}
		sc := bufio.NewScanner(strings.NewReader(b.String()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l := newLine([]byte(sc.Text()))
			if len(l.body) < chunk && IsDeviceLine(l.body) {
				t.Fatalf("device line %q left in %q", l.body, b.String())
			}
		}
	})
}

// body2k is a 2 KiB reply shaped like an iPhone reply to a Gmail message.
var body2k = func() string {
	var b strings.Builder
	for b.Len() < 1200 {
		b.WriteString("Thanks for the notes. I went through the list and most of it is fine as written.\r\n")
	}
	b.WriteString("\r\nSent from my iPhone\r\n\r\n> On Tue, 3 Nov 2026 at 10:12, Alice Smith <\r\n> alice@x.example> wrote:\r\n>\r\n")
	for b.Len() < 2048 {
		b.WriteString("> Could you check the second half of the draft before Friday, please?\r\n")
	}
	return b.String()
}()

func BenchmarkText(b *testing.B) {
	o := Options{Sender: []string{"bob@y.example"}}
	b.SetBytes(int64(len(body2k)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Clean(io.Discard, strings.NewReader(body2k), o); err != nil {
			b.Fatal(err)
		}
	}
}
