package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The form mode measures Leak's web side (relay/web): each request fetches
// a proof-of-work challenge, solves it as the page's script does, and
// posts a message to the JSON API or the form; it counts a message sent
// only when the answer says the copy is durable (202 from the API, the
// "Sent" page from the form).
//
// The solver is written here again from the published scheme (ALTCHA v1:
// SHA-256 of the salt and a decimal number), not imported from the
// server, so that a change to either side shows.

// formOptions configure a form run.
type formOptions struct {
	URL      string // base URL of the web listener
	N, C     int
	Size     int    // octets of text per message
	Rcpts    int    // distinct recipients, in turn (the per-recipient limit)
	Domain   string // of the recipients
	Form     bool   // post the HTML form (multipart) instead of the API
	Presolve bool   // solve every challenge before the clock starts
	Duration time.Duration
	Progress io.Writer
}

// formResult is what a form run reports.
type formResult struct {
	Mode      string         `json:"mode"`
	Presolved bool           `json:"presolved"`
	Attempted int            `json:"attempted"`
	Sent      int            `json:"sent"`
	Errors    map[string]int `json:"errors"`
	Seconds   float64        `json:"seconds"`
	PerSecond float64        `json:"sent_per_second"`
	Latency   percentiles    `json:"post_to_answer"`
	Solve     percentiles    `json:"challenge_and_solve"`
}

func cmdForm(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("form", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := formOptions{Progress: stderr}
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8026", "the web listener's base URL (web.listen)")
	fs.IntVar(&o.N, "n", 1000, "messages to send")
	fs.IntVar(&o.C, "c", 16, "concurrent clients")
	fs.IntVar(&o.Size, "size", 2048, "octets of text per message")
	fs.IntVar(&o.Rcpts, "rcpts", 1000, "distinct recipients, used in turn (lift policy.rate_recipient, or keep n/rcpts under it)")
	fs.StringVar(&o.Domain, "domain", "example.com", "domain of the recipients")
	fs.BoolVar(&o.Form, "form", false, "post the HTML form (multipart/form-data, as the page does) instead of the JSON API")
	fs.BoolVar(&o.Presolve, "presolve", false, "fetch and solve every challenge before timing, so the rate measures the server alone")
	fs.DurationVar(&o.Duration, "duration", 10*time.Minute, "stop after this long")
	jsonOut := fs.String("json", "", "also write the result as JSON to this file")
	if err := parse(fs, args); err != nil {
		return err
	}
	res, err := formRun(ctx, o)
	if err != nil {
		return err
	}
	res.write(stdout)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("form: %w", err)
		}
	}
	if res.Sent == 0 {
		return errors.New("no message was sent")
	}
	return nil
}

// challenge is the API's challenge, and with Number set its solution.
type challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	MaxNumber int64  `json:"maxnumber,omitempty"`
	Number    int64  `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// solveChallenge finds the number n with SHA-256(salt || n) = challenge.
func solveChallenge(c *challenge) error {
	want, err := hex.DecodeString(c.Challenge)
	if err != nil || len(want) != sha256.Size || c.Algorithm != "SHA-256" {
		return errors.New("not an ALTCHA SHA-256 challenge")
	}
	buf := append(make([]byte, 0, len(c.Salt)+20), c.Salt...)
	for n := int64(0); n <= c.MaxNumber; n++ {
		h := sha256.Sum256(strconv.AppendInt(buf[:len(c.Salt)], n, 10))
		if bytes.Equal(h[:], want) {
			c.Number = n
			return nil
		}
	}
	return errors.New("challenge has no solution")
}

// formClient is one run's shared state.
type formClient struct {
	o    formOptions
	http *http.Client
	text string
}

// solved fetches and solves one challenge.
func (f *formClient) solved(ctx context.Context) (*challenge, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", f.o.URL+"/api/v1/challenge", nil)
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("challenge: %s", resp.Status)
	}
	var c challenge
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return nil, fmt.Errorf("challenge: %w", err)
	}
	if err := solveChallenge(&c); err != nil {
		return nil, err
	}
	c.MaxNumber = 0 // not part of the solution
	return &c, nil
}

// post sends message i with solution c and returns the outcome's label:
// "sent", or the HTTP status and error code.
func (f *formClient) post(ctx context.Context, i int, c *challenge) string {
	to := fmt.Sprintf("load-%d@%s", i%f.o.Rcpts, f.o.Domain)
	var req *http.Request
	if f.o.Form {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		sol, _ := json.Marshal(c)
		for _, kv := range [][2]string{{"to", to}, {"relationship", "friend"}, {"subject", "load " + strconv.Itoa(i)},
			{"text", f.text}, {"pow", base64.StdEncoding.EncodeToString(sol)}} {
			mw.WriteField(kv[0], kv[1])
		}
		mw.Close()
		req, _ = http.NewRequestWithContext(ctx, "POST", f.o.URL+"/send", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
	} else {
		body, _ := json.Marshal(map[string]any{"to": to, "relationship": "friend", "subject": "load " + strconv.Itoa(i), "text": f.text, "pow": c})
		req, _ = http.NewRequestWithContext(ctx, "POST", f.o.URL+"/api/v1/messages", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "cancelled"
		}
		return "network"
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if f.o.Form {
		if resp.StatusCode == 200 && bytes.Contains(data, []byte("<h1>Sent</h1>")) {
			return "sent"
		}
		return strconv.Itoa(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusAccepted {
		return "sent"
	}
	var e struct{ Error struct{ Code string } }
	json.Unmarshal(data, &e)
	return strconv.Itoa(resp.StatusCode) + " " + e.Error.Code
}

// formRun sends o.N messages over o.C clients.
func formRun(ctx context.Context, o formOptions) (*formResult, error) {
	switch {
	case o.N < 1 || o.C < 1 || o.Rcpts < 1:
		return nil, errors.New("form: --n, --c and --rcpts must be at least 1")
	case o.Size < 1 || o.Size > 32<<10:
		return nil, errors.New("form: --size must be from 1 to 32768 (the web's text limit)")
	case !strings.HasPrefix(o.URL, "http://") && !strings.HasPrefix(o.URL, "https://"):
		return nil, fmt.Errorf("form: --url %q is not an http(s) URL", o.URL)
	}
	o.URL = strings.TrimSuffix(o.URL, "/")
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = o.C
	f := &formClient{o: o, http: &http.Client{Transport: tr, Timeout: time.Minute},
		text: strings.Repeat("All work and no play makes a dull message. ", o.Size/43+1)[:o.Size]}

	var solveTimes latencies
	var pre []*challenge
	if o.Presolve {
		pre = make([]*challenge, o.N)
		if err := parallel(ctx, o.N, o.C, func(i int) error {
			start := time.Now()
			c, err := f.solved(ctx)
			solveTimes.add(time.Since(start))
			pre[i] = c
			return err
		}); err != nil {
			return nil, fmt.Errorf("form: presolving: %w", err)
		}
		fmt.Fprintf(o.Progress, "form: %d challenges solved; sending\n", o.N)
	}

	var mu sync.Mutex
	counts := map[string]int{}
	var lat latencies
	var attempted atomic.Int64
	rctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	parallel(rctx, o.N, o.C, func(i int) error {
		attempted.Add(1)
		c := (*challenge)(nil)
		if pre != nil {
			c = pre[i]
		} else {
			t := time.Now()
			var err error
			if c, err = f.solved(rctx); err != nil {
				mu.Lock()
				counts["challenge"]++
				mu.Unlock()
				return nil
			}
			solveTimes.add(time.Since(t))
		}
		t := time.Now()
		out := f.post(rctx, i, c)
		lat.add(time.Since(t))
		mu.Lock()
		counts[out]++
		mu.Unlock()
		return nil
	})
	elapsed := time.Since(start)
	res := &formResult{Mode: "api", Presolved: o.Presolve, Attempted: int(attempted.Load()), Sent: counts["sent"],
		Errors: map[string]int{}, Seconds: elapsed.Seconds(), Latency: lat.summary(), Solve: solveTimes.summary()}
	if o.Form {
		res.Mode = "form"
	}
	for k, v := range counts {
		if k != "sent" {
			res.Errors[k] = v
		}
	}
	res.PerSecond = rate(res.Sent, elapsed)
	return res, nil
}

// parallel runs f(0..n-1) on c goroutines until all ran, one failed, or
// ctx is done; it returns the first error.
func parallel(ctx context.Context, n, c int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func (r *formResult) write(w io.Writer) {
	how := "solving each challenge as it goes"
	if r.Presolved {
		how = "challenges solved beforehand"
	}
	fmt.Fprintf(w, "form: %s, %s: %d attempted, %d sent (durable) in %.2f s\n", r.Mode, how, r.Attempted, r.Sent, r.Seconds)
	fmt.Fprintf(w, "form: sent %.1f msgs/s\n", r.PerSecond)
	fmt.Fprintf(w, "form: errors: %s\n", formatCounts(r.Errors))
	fmt.Fprintf(w, "form: POST → answer: %s\n", r.Latency)
	fmt.Fprintf(w, "form: challenge + solve: %s\n", r.Solve)
}
