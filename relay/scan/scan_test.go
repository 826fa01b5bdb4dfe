package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"leak/policy/testutil"
)

// marker is in every test message, so a test can tell that an error or a
// log does not quote the message.
const marker = "LEAK-MESSAGE-BODY-MARKER"

// message returns a clean copy as Leak would send it, with body after the
// header, CRLF line ends.
func message(body string) string {
	return "From: Leak <noreply@leak.example>\r\n" +
		"To: bob@example.net\r\n" +
		"Subject: A message for you\r\n" +
		"Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <0123456789abcdef@leak.example>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n")
}

func options(url string) Options {
	o := DefaultOptions()
	o.URL = url
	return o
}

func newScanner(t testing.TB, o Options) *Scanner {
	t.Helper()
	s, err := New(o, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func check(t testing.TB, s *Scanner, msg string) (Verdict, error) {
	t.Helper()
	return s.Check(context.Background(), strings.NewReader(msg), int64(len(msg)), "bob@example.net")
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Options)
		want string // a part of the error; "" for none
	}{
		{"defaults", func(*Options) {}, ""},
		{"path and https", func(o *Options) { o.URL = "https://rspamd.internal/scan/" }, ""},
		{"defer only", func(o *Options) { o.RejectScore, o.DeferScore = 0, 8 }, ""},
		{"log only", func(o *Options) { o.RejectScore, o.DeferScore = 0, 0 }, ""},
		{"accept on error", func(o *Options) { o.OnError = Accept }, ""},
		{"no url", func(o *Options) { o.URL = "" }, "scan.url: must be set"},
		{"not http", func(o *Options) { o.URL = "unix:///run/rspamd.sock" }, "scan.url"},
		{"no host", func(o *Options) { o.URL = "http://" }, "scan.url"},
		{"query", func(o *Options) { o.URL = "http://127.0.0.1:11333/?x=1" }, "scan.url"},
		{"user", func(o *Options) { o.URL = "http://u:p@127.0.0.1:11333" }, "scan.url"},
		{"no timeout", func(o *Options) { o.Timeout = 0 }, "scan.timeout"},
		{"negative reject", func(o *Options) { o.RejectScore = -1 }, "scan.reject_score"},
		{"negative defer", func(o *Options) { o.DeferScore = -1 }, "scan.defer_score"},
		{"defer above reject", func(o *Options) { o.DeferScore = 20 }, "scan.reject_score: must be above scan.defer_score"},
		{"defer equal reject", func(o *Options) { o.DeferScore = 15 }, "scan.reject_score: must be above scan.defer_score"},
		{"on error reject", func(o *Options) { o.OnError = Reject }, "scan.on_error: must be defer or accept, got reject"},
		{"on error unset", func(o *Options) { o.OnError = 0 }, "scan.on_error: must be defer or accept, got unset"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := options("http://127.0.0.1:11333")
			c.edit(&o)
			err := o.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if _, err := New(o, nil); err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want an error with %q", err, c.want)
			}
			if _, err := New(o, nil); err == nil {
				t.Fatal("New took options Validate refuses")
			}
		})
	}
}

func TestActionText(t *testing.T) {
	for _, a := range []Action{Accept, Defer, Reject} {
		b, _ := a.MarshalText()
		var back Action
		if err := back.UnmarshalText(b); err != nil || back != a {
			t.Errorf("%v: round trip gave %v, %v", a, back, err)
		}
	}
	var a Action
	if err := a.UnmarshalText([]byte("Reject ")); err == nil {
		t.Error(`UnmarshalText("Reject ") took it`)
	}
}

// rspamdStub answers every /checkv2 with score, recording the last request.
type rspamdStub struct {
	mu     sync.Mutex
	req    *http.Request
	body   string
	answer string
}

func (r *rspamdStub) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.req, r.body = req, string(b)
	answer := r.answer
	r.mu.Unlock()
	io.WriteString(w, answer)
}

func TestDecide(t *testing.T) {
	stub := &rspamdStub{}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	for _, c := range []struct {
		reject, deferAt, score float64
		want                   Action
	}{
		{15, 0, 14.99, Accept},
		{15, 0, 15, Reject},
		{15, 0, 100, Reject},
		{15, 6, 5.9, Accept},
		{15, 6, 6, Defer},
		{15, 6, 14.9, Defer},
		{15, 6, 15, Reject},
		{0, 6, 100, Defer},
		{0, 0, 100, Accept},
		{15, 6, -3, Accept},
	} {
		o := options(srv.URL)
		o.RejectScore, o.DeferScore = c.reject, c.deferAt
		stub.answer = `{"score":` + strconv.FormatFloat(c.score, 'f', -1, 64) + `,"action":"no action","symbols":{}}`
		v, err := check(t, newScanner(t, o), message("hello\n"))
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if v.Action != c.want || v.Score != c.score {
			t.Errorf("reject %v defer %v, score %v: got %v (score %v), want %v", c.reject, c.deferAt, c.score, v.Action, v.Score, c.want)
		}
	}
}

// The request is a POST of the message to /checkv2 with its length, the
// recipient and the password, and no header about the sender: Rspamd's
// history must not learn who sent a leak.
func TestRequestCarriesNothingOfTheSender(t *testing.T) {
	stub := &rspamdStub{answer: `{"is_skipped":false,"score":3.4,"required_score":15.0,"action":"no action",` +
		`"symbols":{"R_DKIM_NA":{"name":"R_DKIM_NA","score":0.0},"ARC_NA":{"name":"ARC_NA","score":0.0},` +
		`"MIME_GOOD":{"name":"MIME_GOOD","score":-0.1}},"messages":{},"message-id":"0123456789abcdef@leak.example"}`}
	mux := http.NewServeMux()
	mux.Handle("/rspamd/checkv2", stub)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	o := options(srv.URL + "/rspamd/")
	o.Password = "s3cret"
	msg := message("Hello Bob, " + marker + "\n")
	v, err := check(t, newScanner(t, o), msg)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if want := (Verdict{Action: Accept, Score: 3.4, Symbols: []string{"ARC_NA", "MIME_GOOD", "R_DKIM_NA"}}); !equal(v, want) {
		t.Errorf("verdict %+v, want %+v", v, want)
	}

	stub.mu.Lock()
	defer stub.mu.Unlock()
	r := stub.req
	if r.Method != http.MethodPost || r.URL.Path != "/rspamd/checkv2" {
		t.Errorf("request %s %s, want POST /rspamd/checkv2", r.Method, r.URL.Path)
	}
	if stub.body != msg || r.ContentLength != int64(len(msg)) || len(r.TransferEncoding) != 0 {
		t.Errorf("body of %d bytes (Content-Length %d, Transfer-Encoding %v), want the message's %d bytes, not chunked",
			len(stub.body), r.ContentLength, r.TransferEncoding, len(msg))
	}
	if r.Header.Get("Rcpt") != "bob@example.net" || r.Header.Get("Password") != "s3cret" {
		t.Errorf("Rcpt %q, Password %q", r.Header.Get("Rcpt"), r.Header.Get("Password"))
	}
	// Go's client adds User-Agent and Accept-Encoding.
	allowed := []string{"Content-Length", "Rcpt", "Password", "User-Agent", "Accept-Encoding"}
	for name := range r.Header {
		if !slices.Contains(allowed, name) {
			t.Errorf("request header %s: %q; only %v may be sent", name, r.Header.Get(name), allowed)
		}
	}
}

func equal(a, b Verdict) bool {
	return a.Action == b.Action && a.Score == b.Score && slices.Equal(a.Symbols, b.Symbols)
}

// Every way a scan can fail gives the OnError verdict and an error that
// says why, without quoting the message.
func TestFailures(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/status500/checkv2", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"error":"cannot process message"}`)
	})
	mux.HandleFunc("/drain500/checkv2", func(w http.ResponseWriter, r *http.Request) {
		// Rspamd reads the whole body before it answers.
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	})
	mux.HandleFunc("/badjson/checkv2", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"score": 3.4, "action": `)
	})
	mux.HandleFunc("/notcheckv2/checkv2", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok"}`)
	})
	mux.HandleFunc("/huge/checkv2", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"score":1,"action":"no action","symbols":{"`+strings.Repeat("A", maxAnswer)+`":{}}}`)
	})
	mux.HandleFunc("/slow/checkv2", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server sees the client leave
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/stalls/checkv2", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"score":1,`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release) // before srv.Close: a handler still waiting returns

	msg := message("Dear Bob, " + marker + "\n")
	for _, c := range []struct {
		name, url string
		size      int64
		want      string
		deadline  bool // errors.Is(err, context.DeadlineExceeded)
	}{
		{"nothing listening", "http://" + testutil.ReservePort(t), -1, "connection refused", false},
		{"status 500", srv.URL + "/status500", -1, `answered 500 Internal Server Error: "cannot process message"`, false},
		{"bad JSON", srv.URL + "/badjson", -1, "not /checkv2 JSON", false},
		{"not a result", srv.URL + "/notcheckv2", -1, "no score or no action", false},
		{"answer too long", srv.URL + "/huge", -1, "answer is over 1048576 bytes", false},
		{"no answer", srv.URL + "/slow", -1, "no answer within scan.timeout (100ms)", true},
		{"answer stalls", srv.URL + "/stalls", -1, "no end within scan.timeout (100ms)", true},
		{"size too large", srv.URL + "/drain500", int64(len(msg)) + 1, fmt.Sprintf("the message holds %d bytes, fewer than the %d declared", len(msg), len(msg)+1), false},
		{"size too small", srv.URL + "/drain500", int64(len(msg)) - 1, fmt.Sprintf("the message holds more than the %d bytes declared", len(msg)-1), false},
		{"negative size", srv.URL + "/status500", -2, "size -2 is negative", false},
	} {
		for _, onError := range []Action{Defer, Accept} {
			t.Run(c.name+"/"+onError.String(), func(t *testing.T) {
				o := options(c.url)
				o.Timeout = 100 * time.Millisecond
				if !c.deadline {
					o.Timeout = time.Minute // a slow machine still reads 1 MiB in time
				}
				o.OnError = onError
				size := c.size
				if size == -1 {
					size = int64(len(msg))
				}
				v, err := newScanner(t, o).Check(context.Background(), strings.NewReader(msg), size, "bob@example.net")
				if err == nil {
					t.Fatalf("no error; verdict %+v", v)
				}
				if v.Action != onError || v.Score != 0 || v.Symbols != nil {
					t.Errorf("verdict %+v, want just %v", v, onError)
				}
				if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "scan: rspamd at "+c.url+": ") {
					t.Errorf("error %q, want it to start with the URL and say %q", err, c.want)
				}
				if strings.Contains(err.Error(), marker) || strings.Contains(err.Error(), "Dear Bob") {
					t.Errorf("error quotes the message: %q", err)
				}
				if errors.Is(err, context.DeadlineExceeded) != c.deadline {
					t.Errorf("errors.Is(%q, context.DeadlineExceeded) = %v", err, !c.deadline)
				}
			})
		}
	}
}

// The caller's cancellation ends the scan and is not reported as
// scan.timeout.
func TestCallerCancels(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so the server sees the client leave
		close(arrived)
		<-r.Context().Done()
	}))
	defer srv.Close()
	s := newScanner(t, options(srv.URL))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	msg := message("hello\n")
	v, err := s.Check(ctx, strings.NewReader(msg), int64(len(msg)), "")
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "scan.timeout") || v.Action != Defer {
		t.Fatalf("Check = %+v, %v; want Defer and context.Canceled", v, err)
	}
}
