package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"leak/policy/testutil"
)

// The Postfix interop tests run a private Postfix instance on loopback as
// the next hop for example.com, delivering into a virtual mailbox, and send
// mail to it through leakd in smarthost and MX mode, with and without
// STARTTLS. The delivered files are checked for the recipient, for the
// sender's absence, and with dkimpy for both signatures.

// needPostfix returns the postfix command, or skips (fails with
// LEAK_INTEROP=1) when Postfix is missing or cannot be started here.
func needPostfix(t *testing.T) string {
	t.Helper()
	testutil.Short(t, "the Postfix interop test")
	fail := t.Skipf
	if os.Getenv("LEAK_INTEROP") == "1" {
		fail = t.Fatalf
	}
	path, err := exec.LookPath("postfix")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/postfix"); serr != nil {
			fail("postfix is not installed (apt-get install postfix, or run .ci/run)")
			return ""
		}
		path = "/usr/sbin/postfix"
	}
	if os.Geteuid() != 0 {
		// master(8) starts as root and drops to mail_owner; `postfix
		// start` refuses to run otherwise.
		fail("postfix start needs root; these tests run as uid %d", os.Geteuid())
		return ""
	}
	if _, err := user.Lookup("postfix"); err != nil {
		fail("the postfix user is missing (is the Debian package installed?): %v", err)
		return ""
	}
	return path
}

// postfixServer is one private Postfix instance: its own config, queue and
// data directories, an smtpd on a loopback port, and a Maildir that takes
// all mail for example.com.
type postfixServer struct {
	t    *testing.T
	bin  string
	dir  string
	conf string
	addr string
	port string
	box  string // the Maildir's new/ directory
	log  string // maillog_file
}

// newPostfix prepares a private Postfix; startPostfix starts it and stops
// it at the end of the test. With tls, smtpd offers STARTTLS
// (smtpd_tls_security_level=may) with a self-signed certificate.
func newPostfix(t *testing.T, bin string, tls bool) *postfixServer {
	t.Helper()
	// A short directory of its own: Postfix's UNIX sockets live under
	// the queue directory, and socket paths are limited to 108 octets.
	dir, err := os.MkdirTemp("", "leak-pfx-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Postfix's daemons (mail_owner) and the virtual delivery agent
	// (the mailbox owner) must be able to reach their directories.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &postfixServer{t: t, bin: bin, dir: dir, conf: filepath.Join(dir, "conf"), log: filepath.Join(dir, "maillog")}
	p.addr = testutil.ReservePort(t)
	_, p.port, _ = net.SplitHostPort(p.addr)
	p.box = filepath.Join(dir, "mail", "box", "new")

	owner := lookupIDs(t, "postfix")
	mbox := lookupIDs(t, "nobody")
	for _, d := range []string{"conf", "queue", "data", "mail"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// master.lock lives in data_directory, which mail_owner must own.
	if err := os.Chown(filepath.Join(dir, "data"), owner[0], owner[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(dir, "mail"), mbox[0], mbox[1]); err != nil {
		t.Fatal(err)
	}

	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.com
mydomain = example.com
myorigin = example.com
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
smtpd_peername_lookup = no
virtual_mailbox_domains = example.com
virtual_mailbox_base = %[1]s/mail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:%[2]d
virtual_gid_maps = static:%[3]d
smtp_tls_security_level = none
`, dir, mbox[0], mbox[1])
	if tls {
		cert, key := writeSelfSigned(t, dir, "mx.example.com")
		mainCF += fmt.Sprintf("smtpd_tls_security_level = may\nsmtpd_tls_cert_file = %s\nsmtpd_tls_key_file = %s\n", cert, key)
	}
	if err := os.WriteFile(filepath.Join(p.conf, "main.cf"), []byte(mainCF), 0o644); err != nil {
		t.Fatal(err)
	}
	// master.cf: the services every instance runs, none chrooted (a chroot
	// would need copies of /etc files in the queue), shared with
	// cmd/leak-load/postfix.sh; then this instance's smtpd.
	services, err := os.ReadFile(filepath.Join("testdata", "postfix-services.cf"))
	if err != nil {
		t.Fatal(err)
	}
	master := p.addr + " inet n - n - - smtpd\n" + string(services)
	if err := os.WriteFile(filepath.Join(p.conf, "master.cf"), []byte(master), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startPostfix starts the instances at once: `postfix start` takes a
// couple of seconds, mostly waiting for master(8) to come up.
func startPostfix(t *testing.T, ps ...*postfixServer) {
	t.Helper()
	// Stopping takes a couple of seconds too; stop them all at once.
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.stop()
			}()
		}
		wg.Wait()
	})
	errs := make(chan error, len(ps))
	for _, p := range ps {
		go func() { errs <- p.launch() }()
	}
	for range ps {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// launch runs `postfix start` and waits until smtpd listens.
func (p *postfixServer) launch() error {
	if out, err := exec.Command(p.bin, "-c", p.conf, "start").CombinedOutput(); err != nil {
		// postfix(1) reports to its log, and to stderr only on a terminal.
		return fmt.Errorf("postfix start: %v\n%s\nmaillog:\n%s", err, out, p.maillog())
	}
	listens := testutil.Poll(20*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if !listens {
		return fmt.Errorf("postfix does not listen on %s; maillog:\n%s", p.addr, p.maillog())
	}
	return nil
}

// stop stops the instance, if it runs, and waits for its master process
// to exit.
func (p *postfixServer) stop() {
	b, err := os.ReadFile(filepath.Join(p.dir, "queue", "pid", "master.pid"))
	if err != nil {
		return
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	exec.Command(p.bin, "-c", p.conf, "stop").Run()
	if pid <= 0 {
		return
	}
	if !testutil.Poll(10*time.Second, func() bool { return syscall.Kill(pid, 0) != nil }) {
		exec.Command(p.bin, "-c", p.conf, "abort").Run()
	}
}

func (p *postfixServer) maillog() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// waitMessage waits for the one message in the Maildir that contains
// token, and returns its path.
func (p *postfixServer) waitMessage(token string, d *daemon) string {
	p.t.Helper()
	var found string
	testutil.Poll(30*time.Second, func() bool {
		files, _ := filepath.Glob(filepath.Join(p.box, "*"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(token)) {
				found = f
				return true
			}
		}
		return false
	})
	if found == "" {
		p.t.Fatalf("no message with %s in Postfix's mailbox\nleakd log:\n%s\nmaillog:\n%s", token, d.log.String(), p.maillog())
	}
	return found
}

// lookupIDs returns a user's uid and primary gid.
func lookupIDs(t *testing.T, name string) [2]int {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("user %s: %v", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return [2]int{uid, gid}
}

// writeSelfSigned writes a self-signed RSA certificate for host and its
// key as PEM files in dir, and returns their paths.
func writeSelfSigned(t *testing.T, dir, host string) (string, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	// Postfix reads the key as root before dropping privileges.
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// TestPostfixNextHop sends a message through leakd to a real Postfix, in
// smarthost mode with and without STARTTLS, and in MX mode (opportunistic
// TLS, and plaintext when Postfix offers none). Each delivered copy must
// reach bob@example.com's mailbox, carry nothing of the sender, arrive
// over TLS exactly when expected, and pass dkimpy for both signatures.
func TestPostfixNextHop(t *testing.T) {
	t.Parallel()
	bin := needPostfix(t)
	py := debianPython(t)
	withTLS := newPostfix(t, bin, true)
	plain := newPostfix(t, bin, false)
	startPostfix(t, withTLS, plain)
	resolver := startMXDNS(t)

	cases := []struct {
		name     string
		pf       *postfixServer
		delivery func(*postfixServer) string
		esmtps   bool // Postfix's Received line says the session used TLS
	}{
		{"smarthost-plain", plain, func(p *postfixServer) string {
			return "  mode: smarthost\n  smarthost: " + p.addr + "\n  smarthost_tls: none\n"
		}, false},
		{"smarthost-starttls", withTLS, func(p *postfixServer) string {
			return "  mode: smarthost\n  smarthost: " + p.addr + "\n  smarthost_tls: starttls\n  smarthost_tls_insecure: true\n"
		}, true},
		{"mx-opportunistic-tls", withTLS, func(p *postfixServer) string {
			return "  mode: mx\n  resolver: " + resolver + "\n  mx_port: " + p.port + "\n  allow_private_mx: true\n"
		}, true},
		{"mx-plain", plain, func(p *postfixServer) string {
			return "  mode: mx\n  resolver: " + resolver + "\n  mx_port: " + p.port + "\n  allow_private_mx: true\n"
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDaemon(t, sections{Delivery: c.delivery(c.pf)})
			d.start()
			token := "KEEP-POSTFIX-" + strings.ToUpper(c.name)
			sendPostfixProbe(t, d.smtpAddr, token)
			path := c.pf.waitMessage(token, d)
			msg, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			checkPostfixCopy(t, msg, c.esmtps)

			records := filepath.Join(d.dir, "records.txt")
			rec, err := exec.Command(leakdBin, "dkim", "dns", "--config", d.config).Output()
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(records, rec, 0o600)
			if out, err := exec.Command(py, "testdata/dkimverify.py", records, path).CombinedOutput(); err != nil {
				t.Errorf("dkimpy: %v\n%s", err, out)
			}
			d.stop()
			for _, secret := range postfixSecrets {
				if logContains(strings.ToLower(d.log.String()), strings.ToLower(secret)) {
					t.Errorf("leakd's log contains the sender secret %q", secret)
				}
			}
		})
	}
}

// What the sender gives away, none of which may reach the recipient.
var postfixSecrets = []string{"me@example.net", "Secret Sender", "client.secret.example", "secret-id-4242@example.net", "X-Secret"}

// sendPostfixProbe sends one message for bob@example.com, marked with token.
func sendPostfixProbe(t *testing.T, addr, token string) {
	t.Helper()
	c := dialSMTP(t, addr)
	for _, step := range []struct{ cmd, want string }{
		{"EHLO client.secret.example", "250"},
		{"MAIL FROM:<me@example.net>", "250"},
		{"RCPT TO:<friend+bob=example.com@leak.example>", "250"},
		{"DATA", "354"},
	} {
		if r := c.cmd(step.cmd); !strings.HasPrefix(r, step.want) {
			t.Fatalf("%s: %s", step.cmd, r)
		}
	}
	c.raw([]byte("From: \"Secret Sender\" <me@example.net>\r\n" +
		"To: friend+bob=example.com@leak.example\r\n" +
		"Subject: through Postfix\r\n" +
		"Message-ID: <secret-id-4242@example.net>\r\n" +
		"X-Secret: internal header\r\n" +
		"Date: Mon, 02 Mar 2026 10:00:00 +0100\r\n" +
		"\r\n" + token + "\r\n.\r\n"))
	if r := c.read(); !strings.HasPrefix(r, "250") {
		t.Fatalf("end of DATA: %s", r)
	}
	c.cmd("QUIT")
}

// checkPostfixCopy checks a copy as Postfix's virtual agent stored it:
// Postfix's own Return-Path, Delivered-To and Received lines on top of
// Leak's clean message. The relay's IP address is not checked for: it is
// 127.0.0.1 like the sender's, and Postfix records it.
func checkPostfixCopy(t *testing.T, msg []byte, esmtps bool) {
	t.Helper()
	// Maildir files have LF line endings; unfold the header block.
	text := strings.ReplaceAll(string(msg), "\r\n", "\n")
	head, _, _ := strings.Cut(text, "\n\n")
	head = strings.NewReplacer("\n\t", " ", "\n ", " ").Replace(head)
	fields := map[string][]string{}
	for _, line := range strings.Split(head, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[strings.ToLower(k)] = append(fields[strings.ToLower(k)], strings.TrimSpace(v))
		}
	}
	one := func(name string) string {
		if v := fields[name]; len(v) == 1 {
			return v[0]
		}
		t.Errorf("%d %s fields, want 1:\n%s", len(fields[name]), name, head)
		return ""
	}
	if got := one("to"); !strings.Contains(got, "bob@example.com") || strings.Contains(got, "leak.example") {
		t.Errorf("To: %q, want bob@example.com", got)
	}
	if got := one("delivered-to"); got != "bob@example.com" {
		t.Errorf("Delivered-To: %q", got)
	}
	if got := one("from"); !strings.Contains(got, `"A friend, anonymously"`) || !strings.HasSuffix(got, "@leak.example>") {
		t.Errorf("From: %q", got)
	}
	if got := one("return-path"); !strings.HasSuffix(got, "@leak.example>") {
		t.Errorf("Return-Path: %q, want an address under leak.example", got)
	}
	if got := one("subject"); got != "through Postfix" {
		t.Errorf("Subject: %q", got)
	}
	if n := len(fields["dkim-signature"]); n != 2 {
		t.Errorf("%d DKIM-Signature fields, want 2", n)
	}
	lower := strings.ToLower(string(msg))
	for _, s := range postfixSecrets {
		if strings.Contains(lower, strings.ToLower(s)) {
			t.Errorf("the delivered copy leaks %q:\n%s", s, msg)
		}
	}
	// Postfix's Received line, the first, names the protocol: ESMTPS
	// when the session used TLS (RFC 3848).
	received := fields["received"]
	if len(received) == 0 {
		t.Fatalf("no Received line:\n%s", head)
	}
	proto := "ESMTP"
	if esmtps {
		proto = "ESMTPS"
	}
	if !strings.Contains(received[0], "by mx.example.com (Postfix) with "+proto+" id ") {
		t.Errorf("Postfix's Received line does not say %s: %s", proto, received[0])
	}
}

// startMXDNS serves example.com's MX record (mx.example.com, at 127.0.0.1);
// every other name does not exist.
func startMXDNS(t *testing.T) string {
	t.Helper()
	return testutil.StartDNS(t,
		"example.com. 60 IN MX 10 mx.example.com.",
		"mx.example.com. 60 IN A 127.0.0.1",
	).Addr
}
