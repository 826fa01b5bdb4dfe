package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"leak/relay/queue"
	"leak/relay/spool"
)

// A running leakd serves its queue to `leakd queue` over a Unix socket in
// data_dir (mode 0600: whoever may read the spool may manage it). When no
// daemon runs, the command opens the spool itself, holding the same lock
// the daemon holds, so the two never work on one spool at once. Either way
// the same queue.Queue methods do the work, so holds and states mean the
// same; a stopped queue knows no attempts and no last errors (they are
// kept in memory).

func socketPath(cfg *Config) string { return filepath.Join(cfg.DataDir, "leakd.sock") }

// holdFile is where the ids of held entries are kept (queue.Options.HoldFile).
func holdFile(cfg *Config) string { return filepath.Join(cfg.DataDir, "queue-held") }

// lockDataDir takes the exclusive lock on data_dir; the file descriptor
// holds it until the process exits.
func lockDataDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "leakd.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s is in use by another leakd", dir)
	}
	return f, nil
}

// entryView is one queue entry as the queue command shows it.
type entryView struct {
	queue.Info
	Rcpt   string `json:"rcpt"`
	Size   int64  `json:"size"`
	Header string `json:"header,omitempty"` // the clean copy's header, for show
}

func view(sp *spool.Spool, i queue.Info, withHeader bool) (entryView, error) {
	v := entryView{Info: i}
	m, err := sp.Open(i.ID)
	if err != nil {
		return v, err
	}
	defer m.Close()
	v.Rcpt, v.Size = m.Meta.Rcpt, m.Meta.Size
	if withHeader {
		v.Header = readHeader(m)
	}
	return v, nil
}

// readHeader returns the header block of a spooled copy, at most 64 KiB.
func readHeader(r io.Reader) string {
	br := bufio.NewReader(io.LimitReader(r, 64<<10))
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		if line == "\r\n" || line == "\n" || err != nil {
			b.WriteString(line)
			return b.String()
		}
		b.WriteString(line)
	}
}

// listFilter selects the entries `queue list` shows.
type listFilter struct {
	domain    string        // the recipient domain, as queue.Domain gives it; "" for any
	state     string        // queue.StateActive, StateDeferred, StateHeld; "" for any
	olderThan time.Duration // created at least this long ago; 0 for any
}

func (f listFilter) match(i queue.Info, now time.Time) bool {
	return (f.domain == "" || i.Domain == f.domain) &&
		(f.state == "" || i.State == f.state) &&
		(f.olderThan == 0 || !i.Created.After(now.Add(-f.olderThan)))
}

// query is f as the admin socket's GET /queue takes it.
func (f listFilter) query() string {
	v := url.Values{}
	if f.domain != "" {
		v.Set("domain", f.domain)
	}
	if f.state != "" {
		v.Set("state", f.state)
	}
	if f.olderThan != 0 {
		v.Set("older_than", f.olderThan.String())
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// parseFilter checks a filter's values, from flags or a query.
func parseFilter(domain, state, olderThan string) (listFilter, error) {
	f := listFilter{state: state}
	if domain != "" {
		f.domain = queue.Domain(domain)
	}
	switch state {
	case "", queue.StateActive, queue.StateDeferred, queue.StateHeld:
	default:
		return f, fmt.Errorf("--state %q: want active, deferred or held", state)
	}
	if olderThan != "" {
		d, err := time.ParseDuration(olderThan)
		if err != nil || d < 0 {
			return f, fmt.Errorf("--older-than %q: want a duration such as 90m or 24h", olderThan)
		}
		f.olderThan = d
	}
	return f, nil
}

// views returns the entries that match f, with their recipient and size
// from the spool; an entry delivered meanwhile is left out.
func views(sp *spool.Spool, infos []queue.Info, f listFilter) []entryView {
	now := time.Now()
	out := []entryView{}
	for _, i := range infos {
		if !f.match(i, now) {
			continue
		}
		if v, err := view(sp, i, false); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// adminHandler serves the queue of a running daemon. Every action on an
// entry is logged, with who asked; the queue counts them (OnAction).
func adminHandler(q *queue.Queue, sp *spool.Spool, log *slog.Logger) http.Handler {
	acted := func(action, id string) {
		log.Info("queue: admin action", "action", action, "qid", id, "by", "admin socket")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /queue/counts", func(w http.ResponseWriter, r *http.Request) {
		a, d, h := q.Counts()
		json.NewEncoder(w).Encode(map[string]int{queue.StateActive: a, queue.StateDeferred: d, queue.StateHeld: h})
	})
	mux.HandleFunc("GET /queue", func(w http.ResponseWriter, r *http.Request) {
		v := r.URL.Query()
		f, err := parseFilter(v.Get("domain"), v.Get("state"), v.Get("older_than"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(views(sp, q.Entries(), f))
	})
	mux.HandleFunc("GET /queue/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, i := range q.Entries() {
			if i.ID == r.PathValue("id") {
				if v, err := view(sp, i, true); err == nil {
					json.NewEncoder(w).Encode(v)
					return
				}
			}
		}
		http.Error(w, "no such entry", http.StatusNotFound)
	})
	mux.HandleFunc("POST /queue/retry", func(w http.ResponseWriter, r *http.Request) {
		if d := r.URL.Query().Get("domain"); d != "" {
			n := q.RetryDomain(d)
			log.Info("queue: admin action", "action", "retry", "domain", queue.Domain(d), "entries", n, "by", "admin socket")
			fmt.Fprintf(w, "%d entries for %s due now\n", n, queue.Domain(d))
			return
		}
		n := q.RetryAll()
		log.Info("queue: admin action", "action", "retry", "entries", n, "by", "admin socket")
		fmt.Fprintf(w, "%d entries due now\n", n)
	})
	mux.HandleFunc("POST /queue/{id}/retry", func(w http.ResponseWriter, r *http.Request) {
		if !q.RetryNow(r.PathValue("id")) {
			http.Error(w, "no such entry waiting (held entries are released, not retried)", http.StatusNotFound)
			return
		}
		acted("retry", r.PathValue("id"))
		fmt.Fprintln(w, "due now")
	})
	mux.HandleFunc("POST /queue/{id}/hold", func(w http.ResponseWriter, r *http.Request) {
		ok, err := q.Hold(r.PathValue("id"))
		if !ok {
			http.Error(w, "no such entry", http.StatusNotFound)
			return
		}
		acted("hold", r.PathValue("id"))
		if err != nil {
			http.Error(w, "held until leakd stops, but not saved: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "held")
	})
	mux.HandleFunc("POST /queue/{id}/release", func(w http.ResponseWriter, r *http.Request) {
		ok, err := q.Release(r.PathValue("id"))
		if !ok {
			http.Error(w, "no such entry on hold", http.StatusNotFound)
			return
		}
		acted("release", r.PathValue("id"))
		if err != nil {
			http.Error(w, "released, but not saved: it is held again after a restart: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "released")
	})
	mux.HandleFunc("DELETE /queue/{id}", func(w http.ResponseWriter, r *http.Request) {
		ok, err := q.Delete(r.PathValue("id"))
		if ok {
			acted("delete", r.PathValue("id"))
		}
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		case !ok:
			http.Error(w, "no such entry, or it is being delivered now", http.StatusNotFound)
		default:
			fmt.Fprintln(w, "deleted")
		}
	})
	return mux
}

// serveAdmin listens on the admin socket until ctx is done.
func serveAdmin(ctx context.Context, path string, h http.Handler) (func(), error) {
	os.Remove(path) // a stale socket from a killed daemon; the data_dir lock says we own it
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	os.Chmod(path, 0o600)
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(l)
	return func() { hs.Shutdown(ctx); os.Remove(path) }, nil
}

const queueUsage = `usage: leakd queue COMMAND [--config FILE]
  list [--domain D] [--state active|deferred|held] [--older-than DURATION] [--json]
  show ID
  retry ID | retry all | retry --domain D
  delete ID
  hold ID
  release ID`

// queueArgs is a parsed queue command line.
type queueArgs struct {
	verb, id string
	config   string
	filter   listFilter // list; retry --domain
	json     bool
}

// parseQueueArgs parses `leakd queue VERB ...`.
func parseQueueArgs(args []string, stdout, stderr io.Writer) (queueArgs, error) {
	if len(args) == 0 {
		fmt.Fprintln(stderr, queueUsage)
		return queueArgs{}, errUsage
	}
	a := queueArgs{verb: args[0]}
	rest := args[1:]
	switch a.verb {
	case "list":
	case "show", "retry", "delete", "hold", "release":
		a.id, rest = takeID(rest)
	default:
		fmt.Fprintf(stderr, "queue: unknown command %q\n%s\n", a.verb, queueUsage)
		return a, errUsage
	}
	var domain, state, olderThan string
	path, err := configFlag("queue "+a.verb, rest, stdout, stderr, func(fs *flag.FlagSet) {
		switch a.verb {
		case "list":
			fs.StringVar(&domain, "domain", "", "only entries for this recipient domain")
			fs.StringVar(&state, "state", "", "only entries in this state: active, deferred or held")
			fs.StringVar(&olderThan, "older-than", "", "only entries created at least this long ago (90m, 24h)")
			fs.BoolVar(&a.json, "json", false, "print JSON: one array of entries")
		case "retry":
			fs.StringVar(&domain, "domain", "", "retry every deferred entry for this recipient domain")
		}
	})
	if err != nil {
		return a, err
	}
	a.config = path
	if a.filter, err = parseFilter(domain, state, olderThan); err != nil {
		fmt.Fprintf(stderr, "queue %s: %v\n", a.verb, err)
		return a, errUsage
	}
	switch {
	case a.verb == "retry" && domain != "" && a.id != "":
		fmt.Fprintln(stderr, "queue retry: an entry id or --domain, not both")
		return a, errUsage
	case a.verb == "retry" && domain != "":
	case a.verb != "list" && a.id == "":
		fmt.Fprintf(stderr, "queue %s: an entry id is required\n", a.verb)
		return a, errUsage
	}
	return a, nil
}

func cmdQueue(args []string, stdout, stderr io.Writer) error {
	a, err := parseQueueArgs(args, stdout, stderr)
	if err != nil {
		return err
	}
	cfg, err := queueConfig(a.config)
	if err != nil {
		return err
	}
	c := adminClient(socketPath(cfg))
	if resp, err := c.Get("http://leakd/queue/counts"); err == nil {
		resp.Body.Close()
		return queueOnline(c, a, stdout)
	}
	return queueOffline(cfg, a, stdout)
}

// errNoConfig is the refusal of `leakd queue` when it finds no queue: it
// must not create an empty data_dir and report an empty queue.
var errNoConfig = errors.New("no config: pass --config FILE (or run where leak-data exists)")

// queueConfig loads the config of `leakd queue` and checks that its
// data_dir exists: without --config, the default ./leak-data.
func queueConfig(path string) (*Config, error) {
	cfg, err := readConfig(path, false)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.DataDir); errors.Is(err, fs.ErrNotExist) {
		if path == "" {
			return nil, errNoConfig
		}
		return nil, fmt.Errorf("queue: data_dir %s (from %s) does not exist: leakd has not run with this config", cfg.DataDir, path)
	} else if err != nil {
		return nil, fmt.Errorf("queue: data_dir: %w", err)
	}
	return cfg, nil
}

// takeID takes the entry id out of a queue command's arguments, wherever
// it stands among the flags: "show ID --config F" and "show --config F ID"
// are the same command. The flags with a value are --config and --domain.
func takeID(args []string) (id string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-config" || a == "--domain" || a == "-domain":
			rest = append(rest, a)
			if i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
		case strings.HasPrefix(a, "-") || id != "":
			rest = append(rest, a)
		default:
			id = a
		}
	}
	return id, rest
}

func adminClient(sock string) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
}

func queueOnline(c *http.Client, a queueArgs, stdout io.Writer) error {
	var method, path string
	id := url.PathEscape(a.id)
	switch a.verb {
	case "list":
		method, path = "GET", "/queue"+a.filter.query()
	case "show":
		method, path = "GET", "/queue/"+id
	case "retry":
		switch {
		case a.filter.domain != "":
			method, path = "POST", "/queue/retry?"+url.Values{"domain": {a.filter.domain}}.Encode()
		case a.id == "all":
			method, path = "POST", "/queue/retry"
		default:
			method, path = "POST", "/queue/"+id+"/retry"
		}
	case "delete":
		method, path = "DELETE", "/queue/"+id
	case "hold", "release":
		method, path = "POST", "/queue/"+id+"/"+a.verb
	}
	req, err := http.NewRequest(method, "http://leakd"+path, nil)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("queue %s: %s", a.verb, strings.TrimSpace(string(body)))
	}
	switch a.verb {
	case "list":
		var vs []entryView
		if err := json.Unmarshal(body, &vs); err != nil {
			return fmt.Errorf("queue list: the daemon's answer: %w", err)
		}
		// A daemon older than the filters ignores them.
		now := time.Now()
		kept := []entryView{}
		for _, v := range vs {
			if a.filter.match(v.Info, now) {
				kept = append(kept, v)
			}
		}
		return printList(stdout, kept, a.json)
	case "show":
		var v entryView
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("queue show: the daemon's answer: %w", err)
		}
		printShow(stdout, v)
	default:
		stdout.Write(body)
	}
	return nil
}

// queueOffline works on the spool of a stopped daemon, through a queue
// that is loaded but never run.
func queueOffline(cfg *Config, a queueArgs, stdout io.Writer) error {
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("queue: leakd seems to run but its admin socket does not answer: %w", err)
	}
	defer lock.Close()
	sp, err := spool.Open(filepath.Join(cfg.DataDir, "spool"), spool.Options{})
	if err != nil {
		return err
	}
	defer sp.Close()
	q := queue.New(sp, nil, queue.Options{HoldFile: holdFile(cfg), Logger: slog.New(slog.DiscardHandler)})
	if err := q.Load(); err != nil {
		return err
	}
	find := func() (queue.Info, error) {
		for _, i := range q.Entries() {
			if i.ID == a.id {
				return i, nil
			}
		}
		return queue.Info{}, fmt.Errorf("queue %s: no entry %s", a.verb, a.id)
	}
	switch a.verb {
	case "list":
		return printList(stdout, views(sp, q.Entries(), a.filter), a.json)
	case "show":
		i, err := find()
		if err != nil {
			return err
		}
		v, err := view(sp, i, true)
		if err != nil {
			return err
		}
		printShow(stdout, v)
	case "retry":
		fmt.Fprintln(stdout, "leakd is not running: every entry that is not held is tried as soon as it starts")
	case "delete":
		if ok, err := q.Delete(a.id); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("queue delete: no entry %s", a.id)
		}
		fmt.Fprintln(stdout, "deleted")
	case "hold":
		if ok, err := q.Hold(a.id); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("queue hold: no entry %s", a.id)
		}
		fmt.Fprintln(stdout, "held")
	case "release":
		if ok, err := q.Release(a.id); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("queue release: no entry %s on hold", a.id)
		}
		fmt.Fprintln(stdout, "released")
	}
	return nil
}

func printList(w io.Writer, vs []entryView, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(vs)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tSIZE\tATTEMPTS\tSTATE\tRECIPIENT\tLAST ERROR")
	for _, v := range vs {
		state := v.State
		switch {
		case v.Delivering:
			state += " (delivering)"
		case !v.Due.IsZero():
			state += " (next " + time.Until(v.Due).Round(time.Second).String() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", v.ID, v.Created.UTC().Format(time.RFC3339), v.Size, v.Attempt, state, v.Rcpt, v.LastError)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d queued\n", len(vs))
	return nil
}

func printShow(w io.Writer, v entryView) {
	fmt.Fprintf(w, "id:        %s\nrecipient: %s\ncreated:   %s\nsize:      %d\nattempts:  %d\nstate:     %s\n",
		v.ID, v.Rcpt, v.Created.UTC().Format(time.RFC3339), v.Size, v.Attempt, v.State)
	if !v.Due.IsZero() {
		fmt.Fprintf(w, "next try:  %s\n", v.Due.UTC().Format(time.RFC3339))
	}
	if v.LastError != "" {
		fmt.Fprintf(w, "last error: %s\n", v.LastError)
	}
	fmt.Fprintf(w, "\n%s", v.Header)
}
