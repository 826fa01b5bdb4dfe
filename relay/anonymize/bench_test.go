package anonymize

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// benchMessage returns a message of about size octets shaped like a
// client's: a Received chain, client fields, text and HTML alternatives,
// and, when size allows, base64 attachments making up the rest.
func benchMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("Received: from client.sender.example (client.sender.example [192.0.2.10])\r\n" +
		"\tby mx.sender.example (Postfix) with ESMTPSA id 4dF9aB2cD3zkL8w\r\n" +
		"\tfor <to+bob=example.com@leak.example>; Sat,  8 Nov 2025 19:03:41 +0000 (UTC)\r\n" +
		"From: Sender Name <sender@sender.example>\r\nTo: to+bob=example.com@leak.example\r\n" +
		"Subject: =?utf-8?q?Benchmark_r=C3=A9sum=C3=A9?=\r\nDate: Sat, 8 Nov 2025 09:03:38 -1000\r\n" +
		"Message-ID: <bench.1234567890@sender.example>\r\nUser-Agent: Bench/1.0\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"outer-boundary\"\r\n\r\n" +
		"--outer-boundary\r\nContent-Type: multipart/alternative; boundary=\"alt-boundary\"\r\n\r\n" +
		"--alt-boundary\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	text := strings.Repeat("Some text of the message, with an =C3=A9 here and there.\r\n", 8)
	b.WriteString(text)
	b.WriteString("--alt-boundary\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<html><body>")
	b.WriteString(strings.ReplaceAll(text, "\r\n", "<br>=\r\n"))
	b.WriteString("<img src=3D\"cid:img@sender.example\"></body></html>\r\n--alt-boundary--\r\n")
	photo := benchPhoto()
	for n := 0; b.Len() < size-len(photo)/2; n++ {
		fmt.Fprintf(&b, "--outer-boundary\r\nContent-Type: image/jpeg; name=\"IMG_%d.jpg\"\r\n"+
			"Content-Disposition: attachment; filename=\"IMG_%d.jpg\"\r\nContent-ID: <img@sender.example>\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n", n, n)
		b.Write(photo)
	}
	b.WriteString("--outer-boundary--\r\n")
	return b.Bytes()
}

// benchPhoto is a real JPEG of about 1 MiB (noise does not compress),
// base64 encoded in 76-column lines, made once.
var benchPhoto = sync.OnceValue(func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1024, 512))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	var raw, enc bytes.Buffer
	if err := jpeg.Encode(&raw, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	w := newBase64Writer(&enc)
	w.Write(raw.Bytes())
	w.Close()
	enc.WriteString("\r\n")
	return enc.Bytes()
})

func benchRewrite(b *testing.B, size int) {
	msg := benchMessage(size)
	a := New(testOptions())
	copies := []Copy{{To: "bob@example.com", Relationship: "a friend", W: io.Discard}}
	if err := a.Rewrite(bytes.NewReader(msg), copies); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := a.Rewrite(bytes.NewReader(msg), copies); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewrite2KiB(b *testing.B)  { benchRewrite(b, 2<<10) }
func BenchmarkRewrite1MiB(b *testing.B)  { benchRewrite(b, 1<<20) }
func BenchmarkRewrite25MiB(b *testing.B) { benchRewrite(b, 25<<20) }

// TestMemoryFlat is the benchmarks' claim as a test: the memory allocated
// to rewrite a 25 MiB message is about that for a 2 KiB one, more by a
// bounded amount for each part it has (a picture's cleaner holds one JPEG
// segment, 64 KiB, and a read buffer), not proportional to the size.
func TestMemoryFlat(t *testing.T) {
	msg := benchMessage(1 << 20)
	outs, err := rewrite(t, msg)
	if err != nil {
		t.Fatal(err)
	}
	if d := len(outs[0]) - len(msg); d < -4096 || d > 4096 {
		t.Errorf("1 MiB message rewritten to %d octets", len(outs[0]))
	}
	large := benchMessage(25 << 20)
	parts := uint64(bytes.Count(large, []byte("Content-Type: image/jpeg")))
	small, big := allocPerRewrite(t, benchMessage(2<<10)), allocPerRewrite(t, large)
	t.Logf("bytes allocated per rewrite: 2 KiB message %d, 25 MiB message (%d pictures) %d", small, parts, big)
	if big > 2*small+parts*(256<<10) {
		t.Errorf("a 25 MiB message allocates %d bytes against %d for 2 KiB", big, small)
	}
}

func allocPerRewrite(t *testing.T, msg []byte) uint64 {
	a := New(testOptions())
	copies := []Copy{{To: "bob@example.com", Relationship: "a friend", W: io.Discard}}
	const runs = 2
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		if err := a.Rewrite(bytes.NewReader(msg), copies); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}
