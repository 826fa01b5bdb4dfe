package testutil

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// GTUBE is the Generic Test for Unsolicited Bulk Email: Rspamd treats any
// message holding it as spam, with a score of its reject action.
const GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

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

// Rspamd is a running Rspamd for one test.
type Rspamd struct {
	URL string // its normal worker, http://127.0.0.1:PORT
	Log string // the path of its log file
}

// StartRspamd runs the Debian package's Rspamd in the foreground on a
// loopback port, configured in a temporary directory, and stops it when
// the test ends. It skips the test without rspamd (fails under
// LEAK_INTEROP=1) and under -short.
func StartRspamd(t testing.TB) Rspamd {
	t.Helper()
	bin := NeedTool(t, "rspamd", "apt-get install rspamd")
	if _, err := os.Stat("/etc/rspamd/common.conf"); err != nil {
		t.Fatalf("rspamd is installed but its configuration is not (%v); reinstall the Debian package rspamd", err)
	}
	dir := t.TempDir()
	addr := ReservePort(t)
	dns := StartDNS(t)
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
	var out SyncBuffer
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
	r := Rspamd{URL: "http://" + addr, Log: filepath.Join(dir, "rspamd.log")}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("rspamd's output:\n%s\nits log (tail):\n%s", out.String(), Tail(r.Log, 4000))
		}
	})

	WaitForErr(t, "rspamd to answer /ping", WaitTimeout, func() error {
		select {
		case <-exited:
			t.Fatalf("rspamd exited before answering: %v\n%s\nits log (tail):\n%s", cmd.ProcessState, out.String(), Tail(r.Log, 4000))
		default:
		}
		resp, err := http.Get(r.URL + "/ping")
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

// Tail returns the last n bytes of the file at path.
func Tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b[max(0, len(b)-n):])
}
