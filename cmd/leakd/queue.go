package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
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
// the daemon holds, so the two never work on one spool at once.

func socketPath(cfg *Config) string { return filepath.Join(cfg.DataDir, "leakd.sock") }

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

// adminHandler serves the queue of a running daemon.
func adminHandler(q *queue.Queue, sp *spool.Spool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /queue", func(w http.ResponseWriter, r *http.Request) {
		var out []entryView
		for _, i := range q.Entries() {
			if v, err := view(sp, i, false); err == nil {
				out = append(out, v)
			}
		}
		json.NewEncoder(w).Encode(out)
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
		fmt.Fprintf(w, "%d entries due now\n", q.RetryAll())
	})
	mux.HandleFunc("POST /queue/{id}/retry", func(w http.ResponseWriter, r *http.Request) {
		if !q.RetryNow(r.PathValue("id")) {
			http.Error(w, "no such entry waiting", http.StatusNotFound)
			return
		}
		fmt.Fprintln(w, "due now")
	})
	mux.HandleFunc("DELETE /queue/{id}", func(w http.ResponseWriter, r *http.Request) {
		ok, err := q.Delete(r.PathValue("id"))
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

func cmdQueue(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: leakd queue list | show ID | retry ID|all | delete ID  [--config FILE]")
		return errUsage
	}
	verb, rest := args[0], args[1:]
	var id string
	if verb != "list" {
		id, rest = takeID(rest)
	}
	path, err := configFlag("queue "+verb, rest, stdout, stderr, nil)
	if err != nil {
		return err
	}
	if verb != "list" && id == "" {
		fmt.Fprintf(stderr, "queue %s: an entry id is required\n", verb)
		return errUsage
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	c := adminClient(socketPath(cfg))
	if _, err := c.Get("http://leakd/queue"); err != nil {
		return queueOffline(cfg, verb, id, stdout)
	}
	return queueOnline(c, verb, id, stdout)
}

// takeID takes the entry id out of a queue command's arguments, wherever
// it stands among the flags: "show ID --config F" and "show --config F ID"
// are the same command. The only flag with a value is --config.
func takeID(args []string) (id string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-config":
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

func queueOnline(c *http.Client, verb, id string, stdout io.Writer) error {
	var req *http.Request
	switch verb {
	case "list":
		req, _ = http.NewRequest("GET", "http://leakd/queue", nil)
	case "show":
		req, _ = http.NewRequest("GET", "http://leakd/queue/"+id, nil)
	case "retry":
		if id == "all" {
			req, _ = http.NewRequest("POST", "http://leakd/queue/retry", nil)
		} else {
			req, _ = http.NewRequest("POST", "http://leakd/queue/"+id+"/retry", nil)
		}
	case "delete":
		req, _ = http.NewRequest("DELETE", "http://leakd/queue/"+id, nil)
	default:
		return fmt.Errorf("queue: unknown command %q", verb)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("queue %s: %s", verb, strings.TrimSpace(string(body)))
	}
	switch verb {
	case "list":
		var vs []entryView
		if err := json.Unmarshal(body, &vs); err != nil {
			return err
		}
		printList(stdout, vs)
	case "show":
		var v entryView
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		printShow(stdout, v)
	default:
		stdout.Write(body)
	}
	return nil
}

// queueOffline works on the spool of a stopped daemon.
func queueOffline(cfg *Config, verb, id string, stdout io.Writer) error {
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
	metas, err := sp.List()
	if err != nil {
		return err
	}
	infos := make(map[string]queue.Info, len(metas))
	var vs []entryView
	for _, m := range metas {
		i := queue.Info{ID: m.ID, Created: m.Created, State: "stopped"}
		infos[m.ID] = i
		vs = append(vs, entryView{Info: i, Rcpt: m.Rcpt, Size: m.Size})
	}
	switch verb {
	case "list":
		printList(stdout, vs)
	case "show":
		i, ok := infos[id]
		if !ok {
			return fmt.Errorf("queue show: no entry %s", id)
		}
		v, err := view(sp, i, true)
		if err != nil {
			return err
		}
		printShow(stdout, v)
	case "retry":
		fmt.Fprintln(stdout, "leakd is not running: every queued entry is tried as soon as it starts")
	case "delete":
		if _, ok := infos[id]; !ok {
			return fmt.Errorf("queue delete: no entry %s", id)
		}
		if err := sp.Remove(id); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "deleted")
	default:
		return fmt.Errorf("queue: unknown command %q", verb)
	}
	return nil
}

func printList(w io.Writer, vs []entryView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tSIZE\tATTEMPTS\tSTATE\tRECIPIENT")
	for _, v := range vs {
		state := v.State
		if !v.Due.IsZero() {
			state += " (next " + time.Until(v.Due).Round(time.Second).String() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", v.ID, v.Created.UTC().Format(time.RFC3339), v.Size, v.Attempt, state, v.Rcpt)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d queued\n", len(vs))
}

func printShow(w io.Writer, v entryView) {
	fmt.Fprintf(w, "id:        %s\nrecipient: %s\ncreated:   %s\nsize:      %d\nattempts:  %d\nstate:     %s\n",
		v.ID, v.Rcpt, v.Created.UTC().Format(time.RFC3339), v.Size, v.Attempt, v.State)
	if !v.Due.IsZero() {
		fmt.Fprintf(w, "next try:  %s\n", v.Due.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "\n%s", v.Header)
}
