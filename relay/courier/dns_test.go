package courier

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// testDNS is an authoritative-looking DNS server on a loopback port, UDP
// and TCP, answering from a table of records.
type testDNS struct {
	addr    string
	queries atomic.Int64

	mu       sync.Mutex
	zone     map[string][]dns.RR // by lower-case FQDN; present means the name exists
	servfail map[string]bool
	mxfail   map[string]bool // SERVFAIL for MX queries only
	truncate map[string]bool // UDP answers come back truncated and empty
}

func startDNS(t testing.TB, records ...string) *testDNS {
	t.Helper()
	d := &testDNS{zone: map[string][]dns.RR{}, servfail: map[string]bool{}, mxfail: map[string]bool{}, truncate: map[string]bool{}}
	d.add(t, records...)

	// The same port for UDP and TCP; retry if the TCP side is taken.
	var pc net.PacketConn
	var ln net.Listener
	for range 20 {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		pc = nil
	}
	if pc == nil {
		t.Fatal("no port free for UDP and TCP")
	}
	d.addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(d.handle)
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
	})
	return d
}

// add adds records in zone-file syntax, or "servfail NAME", "mxfail
// NAME", "truncate NAME" directives.
func (d *testDNS) add(t testing.TB, records ...string) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range records {
		if f := strings.Fields(r); len(f) == 2 {
			name := dns.Fqdn(strings.ToLower(f[1]))
			switch f[0] {
			case "servfail":
				d.servfail[name] = true
				continue
			case "truncate":
				d.truncate[name] = true
				continue
			case "mxfail":
				d.mxfail[name] = true
				continue
			}
		}
		rr, err := dns.NewRR(r)
		if err != nil {
			t.Fatalf("record %q: %v", r, err)
		}
		name := strings.ToLower(rr.Header().Name)
		d.zone[name] = append(d.zone[name], rr)
	}
}

func (d *testDNS) handle(w dns.ResponseWriter, r *dns.Msg) {
	d.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	d.mu.Lock()
	rrs, exists := d.zone[name]
	fail := d.servfail[name] || d.mxfail[name] && q.Qtype == dns.TypeMX
	trunc := d.truncate[name]
	d.mu.Unlock()
	switch {
	case fail:
		m.Rcode = dns.RcodeServerFailure
	case !exists:
		m.Rcode = dns.RcodeNameError
	case trunc && w.RemoteAddr().Network() == "udp":
		m.Truncated = true
	default:
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
	}
	w.WriteMsg(m)
}
