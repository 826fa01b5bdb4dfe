package auth

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// testDNS is an authoritative-looking DNS server on loopback, UDP and TCP
// on one port, serving TXT records from a map. Names it does not know are
// NXDOMAIN; names marked silent get no answer at all.
type testDNS struct {
	addr    string
	mu      sync.Mutex
	txt     map[string][]string
	silent  map[string]bool
	asked   map[string]int
	queries atomic.Int64
}

func startDNS(t testing.TB) *testDNS {
	t.Helper()
	d := &testDNS{txt: map[string][]string{}, silent: map[string]bool{}, asked: map[string]int{}}
	var pc net.PacketConn
	var l net.Listener
	for range 10 {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		pc = nil
	}
	if pc == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	d.addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: d}
	tcp := &dns.Server{Listener: l, Handler: d}
	for _, s := range []*dns.Server{udp, tcp} {
		go s.ActivateAndServe()
	}
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
	})
	return d
}

// set publishes TXT records at name (replacing any).
func (d *testDNS) set(name string, values ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.txt[dns.Fqdn(strings.ToLower(name))] = values
}

// mute makes the server drop queries for name.
func (d *testDNS) mute(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.silent[dns.Fqdn(strings.ToLower(name))] = true
}

// count is how many queries name received.
func (d *testDNS) count(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.asked[dns.Fqdn(strings.ToLower(name))]
}

func (d *testDNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	d.queries.Add(1)
	if len(r.Question) != 1 {
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	d.mu.Lock()
	d.asked[name]++
	silent := d.silent[name]
	vals, ok := d.txt[name]
	d.mu.Unlock()
	if silent {
		return
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	switch {
	case !ok:
		m.Rcode = dns.RcodeNameError
	case q.Qtype == dns.TypeTXT:
		for _, v := range vals {
			m.Answer = append(m.Answer, &dns.TXT{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
				Txt: chunk(v),
			})
		}
	}
	if _, isUDP := w.RemoteAddr().(*net.UDPAddr); isUDP {
		size := dns.MinMsgSize
		if o := r.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	w.WriteMsg(m)
}

// chunk splits a TXT value into character-strings of at most 255 octets.
func chunk(v string) []string {
	var out []string
	for len(v) > 255 {
		out = append(out, v[:255])
		v = v[255:]
	}
	return append(out, v)
}
