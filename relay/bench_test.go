package relay

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"leak/policy"
)

// benchMessage builds a message of about size bytes: a text part and, for
// larger sizes, a base64 attachment, as real clients send.
func benchMessage(size int) string {
	var b strings.Builder
	b.WriteString("From: Bench Sender <bench@example.net>\r\nTo: to+bob=example.com@leak.example\r\n" +
		"Subject: benchmark\r\nMessage-ID: <bench@example.net>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n")
	line := strings.Repeat("lorem ipsum ", 6) + "\r\n"
	for b.Len() < min(size, 2048)-200 {
		b.WriteString(line)
	}
	if size > 4096 {
		b.WriteString("--b1\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"photo.jpg\"\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n")
		raw := jpegShaped((size - b.Len() - 20) / 78 * 57)
		for len(raw) > 0 {
			n := min(len(raw), 57)
			b.WriteString(base64.StdEncoding.EncodeToString(raw[:n]) + "\r\n")
			raw = raw[n:]
		}
	}
	b.WriteString("--b1--\r\n")
	return b.String()
}

// jpegShaped returns n octets shaped like a JPEG, as the picture cleaner
// reads them: a real header (SOI to the start of the scan, by image/jpeg),
// pseudo-random scan data without 0xFF, and EOI.
func jpegShaped(n int) []byte {
	var h bytes.Buffer
	jpeg.Encode(&h, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	head := h.Bytes()
	sos := bytes.Index(head, []byte{0xff, 0xda})
	head = head[:sos+2+int(head[sos+2])<<8|int(head[sos+3])]
	n = max(n, len(head)+2)
	out := make([]byte, n)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range out {
		out[i] = byte(rng.UintN(255))
	}
	copy(out, head)
	out[n-2], out[n-1] = 0xff, 0xd9
	return out
}

// BenchmarkAccept measures accepted messages per second through the whole
// accept path (SMTP, strict reader, anonymizer, two DKIM signatures, spool
// commit with fsync), with the queue delivering into a directory at the
// same time, over parallel loopback connections. B/op counts both sides of
// the loopback; peak-heap-MB is sampled while the benchmark runs.
func BenchmarkAccept(b *testing.B) {
	for _, size := range []int{2 << 10, 1 << 20, 25 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			tr := startRelay(b, func(o *Options) { o.MaxMessageBytes = 32 << 20 })
			msg := benchMessage(size)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()

			var peak atomic.Uint64
			stop := make(chan struct{})
			go sampleHeap(&peak, stop)

			conns := 16
			if size > 1<<20 {
				conns = 4
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := sendLoop(tr.addr, msg, &next, int64(b.N)); err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			close(stop)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(runtime.NumCPU()), "cores")
		})
	}
}

func sampleHeap(peak *atomic.Uint64, stop chan struct{}) {
	var ms runtime.MemStats
	for {
		select {
		case <-stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
		}
	}
}

// sendLoop sends msg over one connection until n messages are claimed.
func sendLoop(addr, msg string, next *atomic.Int64, n int64) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriterSize(c, 64<<10)
	read := func() (string, error) {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return "", err
			}
			if len(line) < 4 || line[3] != '-' {
				return line, nil
			}
		}
	}
	if _, err := read(); err != nil {
		return err
	}
	fmt.Fprintf(w, "EHLO bench.example\r\n")
	w.Flush()
	read()
	for next.Add(1) <= n {
		// Pipelined envelope, then the message.
		fmt.Fprintf(w, "MAIL FROM:<bench@example.net>\r\nRCPT TO:<to+bob=example.com@leak.example>\r\nDATA\r\n")
		w.Flush()
		for range 3 {
			if _, err := read(); err != nil {
				return err
			}
		}
		w.WriteString(msg)
		w.WriteString(".\r\n")
		w.Flush()
		line, err := read()
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "250") {
			return fmt.Errorf("DATA: %s", line)
		}
	}
	fmt.Fprintf(w, "QUIT\r\n")
	w.Flush()
	return nil
}

// BenchmarkAcceptPolicy compares the accept path with and without the
// policy engine (local store: bbolt under the test directory). Every check
// runs (connection limits, IP/net/sender/recipient/global rate limits,
// opt-out and suppression lookups, unsubscribe link and footer per copy);
// the limits are raised so one benchmark client is measured, not throttled.
func BenchmarkAcceptPolicy(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			tr := startRelay(b, func(o *Options) {
				if on {
					o.Policy = benchPolicy(b)
					o.UnsubscribeBase = "https://leak.example"
				}
			})
			msg := benchMessage(2 << 10)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := sendLoop(tr.addr, msg, &next, int64(b.N)); err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

func benchPolicy(b *testing.B) *policy.Engine {
	store, err := policy.OpenLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	opts := policy.DefaultOptions()
	opts.Secret = []byte("benchmark secret, 32 bytes long!")
	high := policy.Limit{Rate: 1_000_000, Burst: 1_000_000, Period: time.Minute}
	opts.IP, opts.Net, opts.Sender, opts.SenderDomain, opts.Recipient, opts.Global = high, high, high, high, high, high
	e, err := policy.Open(opts, store)
	if err != nil {
		b.Fatal(err)
	}
	return e
}
