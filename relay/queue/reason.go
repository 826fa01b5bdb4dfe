package queue

import (
	"context"
	"errors"
	"net"
	"regexp"

	"leak/relay/courier"
)

// Failure reasons, Result.Reason: where an attempt failed, few enough for a
// metric label. "Gmail is throttling us" is a rise of 4xx; a broken
// resolver, of dns.
const (
	ReasonDNS     = "dns"     // looking up the MX hosts or their addresses; the domain does not exist
	ReasonSTS     = "sts"     // the recipient domain's MTA-STS policy forbade the delivery
	ReasonConnect = "connect" // no TCP connection to the next hop, or it broke without a reply
	ReasonTimeout = "timeout" // the next hop, once connected, did not answer in time
	ReasonTLS     = "tls"     // the TLS handshake failed
	Reason4xx     = "4xx"     // the next hop refused for now
	Reason5xx     = "5xx"     // the next hop refused for good (or the copy cannot be sent: SIZE, SMTPUTF8, address)
	ReasonLocal   = "local"   // Leak's own I/O: the spool, the delivery directory
)

// Reasons lists every value of Result.Reason for a failed attempt.
var Reasons = []string{ReasonDNS, ReasonSTS, ReasonConnect, ReasonTimeout, ReasonTLS, Reason4xx, Reason5xx, ReasonLocal}

// reason classifies a failed attempt, from what it is about, the step the
// courier reached and the reply it got. The step says more than a timeout
// at DNS and at connect ("the resolver is down", "the host is
// unreachable"); past them, a timeout is one; then the next hop's reply
// code decides.
func reason(err error, rep *courier.Report, about courier.About) string {
	switch {
	case about == courier.AboutLocal:
		return ReasonLocal
	case rep.Step == courier.StepDNS:
		return ReasonDNS
	case rep.Step == courier.StepSTS:
		return ReasonSTS
	case rep.Step == courier.StepConnect:
		return ReasonConnect
	case isTimeout(err):
		return ReasonTimeout
	}
	code := rep.Code
	var ce *courier.Error
	if code == 0 && errors.As(err, &ce) {
		code = ce.Code
	}
	switch {
	case code/100 == 4:
		return Reason4xx
	case code/100 == 5, courier.IsPermanent(err):
		return Reason5xx
	case rep.Step == courier.StepTLS:
		return ReasonTLS
	}
	return ReasonConnect
}

// isTimeout reports whether err is a deadline that passed: a network
// timeout or a context's.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// enhancedRE finds an RFC 3463 status code, not inside a longer run of
// digits and dots (an IP address, a version).
var enhancedRE = regexp.MustCompile(`(?:^|[^.0-9])([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:$|[^.0-9])`)

// reasonStatus is the status a failure of each reason implies when no
// reply gave one, as Postfix's: X.4.3 directory server failure, X.4.1 no
// answer from host, X.4.2 bad connection, X.7.5 cryptographic failure,
// X.3.0 mail system failure.
var reasonStatus = map[string]string{
	ReasonDNS: ".4.3", ReasonConnect: ".4.1", ReasonTimeout: ".4.2",
	ReasonTLS: ".7.5", ReasonSTS: ".7.5", ReasonLocal: ".3.0",
}

// dsnStatus is an attempt's delivery status code (RFC 3463), as Postfix
// logs it (dsn=): the enhanced code of the next hop's reply, or of the
// courier's error, when of the right class; else one implied by the
// outcome and the reason.
func dsnStatus(err error, rep *courier.Report, reason string) string {
	class := "2"
	text := rep.Text
	switch {
	case err == nil:
	case courier.IsPermanent(err):
		class = "5"
	default:
		class = "4"
	}
	if err != nil && rep.Code == 0 {
		text = err.Error()
	}
	if m := enhancedRE.FindStringSubmatch(text); m != nil && m[1][:1] == class {
		return m[1]
	}
	if d, ok := reasonStatus[reason]; ok {
		return class + d
	}
	return class + ".0.0"
}
