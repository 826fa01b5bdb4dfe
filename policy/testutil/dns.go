package testutil

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// DNS is an authoritative-looking DNS server on one loopback port, UDP and
// TCP, answering from a zone the test writes: a name it does not know is
// NXDOMAIN, a known name without records of the type asked is NODATA.
// Over UDP an answer larger than the client's EDNS0 size (512 octets
// without EDNS0) comes back truncated, so clients retry over TCP as they
// would on the Internet.
//
// Faults are per name: Fail answers SERVFAIL, Mute drops the query, and
// Truncate makes every UDP answer truncated and empty.
type DNS struct {
	// Addr is the server's "127.0.0.1:PORT", the same for UDP and TCP.
	Addr    string
	queries atomic.Int64

	mu       sync.Mutex
	rrs      map[string][]dns.RR // by lower-case FQDN; present means the name exists
	fail     map[string]uint16   // name → the query type that fails (dns.TypeANY: all)
	silent   map[string]bool
	truncate map[string]bool
	asked    map[string]int
}

// StartDNS starts a server with records in zone-file syntax ("mx.example.
// 60 IN A 127.0.0.1"; names without a trailing dot are taken as FQDNs) and
// stops it when the test ends.
func StartDNS(t testing.TB, records ...string) *DNS {
	t.Helper()
	d := &DNS{
		rrs:      map[string][]dns.RR{},
		fail:     map[string]uint16{},
		silent:   map[string]bool{},
		truncate: map[string]bool{},
		asked:    map[string]int{},
	}
	d.Add(t, records...)

	// The same port for UDP and TCP, so a truncated answer can be retried
	// over TCP; retry when the TCP side of the port is taken.
	var pc net.PacketConn
	var l net.Listener
	for range 20 {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatalf("testutil: dns: %v", err)
		}
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		pc = nil
	}
	if pc == nil {
		t.Fatal("testutil: dns: no loopback port free for both UDP and TCP")
	}
	d.Addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: d}
	tcp := &dns.Server{Listener: l, Handler: d}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
	})
	return d
}

// Add adds records in zone-file syntax, one a string.
func (d *DNS) Add(t testing.TB, records ...string) {
	t.Helper()
	var rrs []dns.RR
	for _, r := range records {
		rr, err := dns.NewRR(r)
		if err != nil {
			t.Fatalf("testutil: dns: record %q: %v", r, err)
		}
		if rr == nil {
			continue // a blank line or a comment
		}
		rrs = append(rrs, rr)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, rr := range rrs {
		name := strings.ToLower(dns.Fqdn(rr.Header().Name))
		d.rrs[name] = append(d.rrs[name], rr)
	}
}

// Load replaces every record with the zone file text (comments and
// multi-string TXT records included), failing the test if it does not
// parse, so a record printed for operators is checked as a zone file too.
func (d *DNS) Load(t testing.TB, text string) {
	t.Helper()
	rrs := map[string][]dns.RR{}
	zp := dns.NewZoneParser(strings.NewReader(text), ".", "test.zone")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		name := strings.ToLower(rr.Header().Name)
		rrs[name] = append(rrs[name], rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("zone does not parse: %v\n%s", err, text)
	}
	d.mu.Lock()
	d.rrs = rrs
	d.mu.Unlock()
}

// SetTXT replaces the TXT records at name with one record per value, each
// split into character-strings of at most 255 octets. With no values the
// name still exists (NODATA for TXT).
func (d *DNS) SetTXT(name string, values ...string) {
	name = key(name)
	d.mu.Lock()
	defer d.mu.Unlock()
	kept := []dns.RR{}
	for _, rr := range d.rrs[name] {
		if rr.Header().Rrtype != dns.TypeTXT {
			kept = append(kept, rr)
		}
	}
	for _, v := range values {
		kept = append(kept, &dns.TXT{
			Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
			Txt: chunk(v),
		})
	}
	d.rrs[name] = kept
}

// Remove deletes every record at name, which then does not exist
// (NXDOMAIN).
func (d *DNS) Remove(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.rrs, key(name))
}

// Fail makes queries for name of type qtype answer SERVFAIL; dns.TypeANY
// fails every type.
func (d *DNS) Fail(name string, qtype uint16) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fail[key(name)] = qtype
}

// Mute makes the server drop queries for name without an answer.
func (d *DNS) Mute(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.silent[key(name)] = true
}

// Truncate makes UDP answers for name come back truncated and empty, so
// only a client that retries over TCP gets the records.
func (d *DNS) Truncate(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.truncate[key(name)] = true
}

// Queries is how many queries the server received, over UDP and TCP.
func (d *DNS) Queries() int64 { return d.queries.Load() }

// Asked is how many queries for name the server received.
func (d *DNS) Asked(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.asked[key(name)]
}

// ServeDNS answers one query from the zone.
func (d *DNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
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
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	d.mu.Lock()
	d.asked[name]++
	rrs, exists := d.rrs[name]
	failType, fails := d.fail[name]
	silent := d.silent[name]
	trunc := d.truncate[name] && udp
	d.mu.Unlock()
	switch {
	case silent:
		return
	case fails && (failType == dns.TypeANY || failType == q.Qtype):
		m.Rcode = dns.RcodeServerFailure
	case !exists:
		m.Rcode = dns.RcodeNameError
	case trunc:
		m.Truncated = true
	default:
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
	}
	if udp {
		size := dns.MinMsgSize
		if o := r.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

func key(name string) string { return dns.Fqdn(strings.ToLower(name)) }

// chunk splits a TXT value into character-strings of at most 255 octets.
func chunk(v string) []string {
	var out []string
	for len(v) > 255 {
		out = append(out, v[:255])
		v = v[255:]
	}
	return append(out, v)
}
