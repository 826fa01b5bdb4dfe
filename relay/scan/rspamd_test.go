package scan

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"leak/policy/testutil"
)

// gtube is the Generic Test for Unsolicited Bulk Email: Rspamd treats any
// message holding it as spam, with a score of its reject action.
const gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

// rspamdConf is the top-level configuration of the test's Rspamd: the
// Debian package's rules and modules ($CONFDIR is /etc/rspamd), one normal
// worker on the test's port, no controller, proxy or fuzzy worker, and a
// log file in the test's directory. $LOCAL_CONFDIR is the test's directory
// too (set with --var), so the machine's own local.d and override.d are
// not read.
const rspamdConf = `.include "$CONFDIR/common.conf"
options {
	.include "$CONFDIR/options.inc"
	.include(try=true; priority=1,duplicate=merge) "$LOCAL_CONFDIR/local.d/options.inc"
}
logging {
	type = "file";
	filename = "$LOGDIR/rspamd.log";
	.include "$CONFDIR/logging.inc"
}
worker "normal" {
	bind_socket = "%s";
	.include "$CONFDIR/worker-normal.inc"
	count = 1;
}
`

// rspamdOptions keeps Rspamd off the network and quick to start: DNS goes
// to a loopback server that answers NXDOMAIN at once (RBLs, SPF, DMARC and
// the map downloads from maps.rspamd.com all find nothing), and the public
// suffix list is cut to a few names, because compiling the whole one takes
// Rspamd half a minute on these machines.
const rspamdOptions = `dns {
	nameserver = ["%s"];
	timeout = 0.5s;
	retransmits = 1;
}
url_tld = "%s";
`

// rspamd is a running Rspamd for one test.
type rspamd struct {
	url string // its normal worker, http://127.0.0.1:PORT
	log string // the path of its log file
}

// startRspamd runs the Debian package's Rspamd in the foreground on a
// loopback port, configured in a temporary directory, and stops it when
// the test ends. It skips the test without rspamd (fails under
// LEAK_INTEROP=1) and under -short.
func startRspamd(t testing.TB) rspamd {
	t.Helper()
	bin := testutil.NeedTool(t, "rspamd", "apt-get install rspamd")
	if _, err := os.Stat("/etc/rspamd/common.conf"); err != nil {
		t.Fatalf("rspamd is installed but its configuration is not (%v); reinstall the Debian package rspamd", err)
	}
	dir := t.TempDir()
	addr := testutil.ReservePort(t)
	dns := testutil.StartDNS(t)
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("rspamd.conf", fmt.Sprintf(rspamdConf, addr))
	write("tld.dat", "com\nnet\norg\nexample\ninvalid\n")
	write("local.d/options.inc", fmt.Sprintf(rspamdOptions, dns.Addr, filepath.Join(dir, "tld.dat")))
	write("db/.keep", "")

	args := []string{"-f", "-c", filepath.Join(dir, "rspamd.conf"),
		"--var", "LOCAL_CONFDIR=" + dir, "--var", "DBDIR=" + filepath.Join(dir, "db"),
		"--var", "RUNDIR=" + dir, "--var", "LOGDIR=" + dir}
	if os.Geteuid() == 0 {
		// Rspamd will not run its workers as root without -u/-g or
		// --insecure. -u _rspamd would need the temporary directory,
		// root's alone, opened to that user; the worker only listens on
		// loopback for the test's life.
		args = append(args, "--insecure")
	}
	cmd := exec.Command(bin, args...)
	var out testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, so that the workers go too if the main
	// process has to be killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start rspamd: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	r := rspamd{url: "http://" + addr, log: filepath.Join(dir, "rspamd.log")}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("rspamd's output:\n%s\nits log (tail):\n%s", out.String(), tail(r.log, 4000))
		}
	})

	testutil.WaitForErr(t, "rspamd to answer /ping", testutil.WaitTimeout, func() error {
		select {
		case <-exited:
			t.Fatalf("rspamd exited before answering: %v\n%s\nits log (tail):\n%s", cmd.ProcessState, out.String(), tail(r.log, 4000))
		default:
		}
		resp, err := http.Get(r.url + "/ping")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(b, []byte("pong")) {
			return fmt.Errorf("/ping answered %s %q", resp.Status, b)
		}
		return nil
	})
	return r
}

// tail returns the last n bytes of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b[max(0, len(b)-n):])
}

func TestRspamd(t *testing.T) {
	r := startRspamd(t)
	clean := message("Hello Bob,\n\nthe meeting moved to Thursday at ten; the agenda is unchanged.\n\n" +
		"Someone who works with you\n")
	spam := message("Buy now!\n\n" + gtube + "\n")
	scanner := func(edit func(*Options)) *Scanner {
		o := options(r.url)
		edit(&o)
		return newScanner(t, o)
	}

	t.Run("clean message accepted", func(t *testing.T) {
		v, err := check(t, scanner(func(o *Options) { o.RejectScore, o.DeferScore = 15, 6 }), clean)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		t.Logf("clean: %+v", v)
		if v.Action != Accept || v.Score >= 6 || len(v.Symbols) == 0 {
			t.Errorf("verdict %+v, want Accept with a score under 6 and the symbols that fired", v)
		}
	})

	t.Run("GTUBE rejected", func(t *testing.T) {
		v, err := check(t, scanner(func(o *Options) { o.RejectScore = 15 }), spam)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		t.Logf("GTUBE: %+v", v)
		if v.Action != Reject || v.Score < 15 || !slices.Contains(v.Symbols, "GTUBE") {
			t.Errorf("verdict %+v, want Reject with a score of at least 15 and the GTUBE symbol", v)
		}
	})

	// Rspamd scores GTUBE at its own reject score (15): Leak's thresholds
	// decide, so with the reject line above that the message is deferred.
	t.Run("GTUBE deferred", func(t *testing.T) {
		v, err := check(t, scanner(func(o *Options) { o.RejectScore, o.DeferScore = 50, 10 }), spam)
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if v.Action != Defer || v.Score < 10 || v.Score >= 50 {
			t.Errorf("verdict %+v, want Defer with a score between 10 and 50", v)
		}
	})

	t.Run("many at once", func(t *testing.T) {
		s := scanner(func(*Options) {})
		errs := make(chan error, 8)
		for range cap(errs) {
			go func() {
				v, err := check(t, s, clean)
				if err == nil && v.Action != Accept {
					err = fmt.Errorf("verdict %+v", v)
				}
				errs <- err
			}()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})

	// Nothing of the sender reaches Rspamd's log: its scan lines name the
	// envelope fields they were given (the recipient here) and there is no
	// IP, user or envelope sender to name.
	t.Run("log", func(t *testing.T) {
		testutil.WaitFor(t, "rspamd to log the GTUBE scan", func() bool {
			return strings.Contains(tail(r.log, 1<<20), "GTUBE")
		})
		log := tail(r.log, 1<<20)
		if !strings.Contains(log, "rcpts: <bob@example.net>") {
			t.Errorf("rspamd's log has no scan line naming the recipient; its format changed, and this check no longer looks at the right lines")
		}
		for _, leak := range []string{"ip: ", "user: ", "from: <"} {
			if strings.Contains(log, leak) {
				t.Errorf("rspamd's log has %q: something about a sender reached it", leak)
			}
		}
	})
}

// Rspamd down: nothing listens where it used to. The scan fails fast with
// the OnError verdict.
func TestRspamdDown(t *testing.T) {
	addr := testutil.ReservePort(t) // closed: nothing listens there
	msg := message("hello\n")
	for _, onError := range []Action{Defer, Accept} {
		o := options("http://" + addr)
		o.OnError = onError
		v, err := check(t, newScanner(t, o), msg)
		if err == nil || v.Action != onError {
			t.Errorf("OnError %v: Check = %+v, %v; want %v and an error", onError, v, err, onError)
		}
	}
}
