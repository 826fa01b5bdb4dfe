package relay

import (
	"errors"
	"fmt"
	"net"

	"github.com/emersion/go-smtp"

	"leak/metrics"
	"leak/policy"
	"leak/relay/address"
	"leak/relay/anonymize"
	"leak/relay/content/refusal"
)

// reply builds the only kind of error the session hands to go-smtp: anything
// else would be sent to the peer verbatim, internals and all.
func reply(code int, enh smtp.EnhancedCode, text string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: text}
}

var (
	errTooManyRcpts = reply(452, smtp.EnhancedCode{4, 5, 3}, "Too many recipients")
	errTooBig       = reply(552, smtp.EnhancedCode{5, 3, 4}, "Message size exceeds fixed maximum message size")
	errTemporary    = reply(451, smtp.EnhancedCode{4, 3, 0}, "Temporary local problem, try again later")
	errShutdown     = reply(421, smtp.EnhancedCode{4, 3, 2}, "Service shutting down, try again later")
	errNoRcpt       = reply(554, smtp.EnhancedCode{5, 5, 1}, "No valid recipients")
	// RFC 3463 3.4 and RFC 5321 4.2.5: the spool cannot take a message now.
	errNoSpace = reply(452, smtp.EnhancedCode{4, 3, 1}, "Insufficient system storage, try again later")
	errEvicted = reply(421, smtp.EnhancedCode{4, 4, 2}, "Idle connection closed: the server is busy, try again later")
	// The client went away in the middle of a message: nobody reads this.
	errLost = reply(421, smtp.EnhancedCode{4, 4, 2}, "Connection lost")
	// RFC 7489 6.7: the sender's domain asks for failing mail to be refused.
	errDMARCReject = reply(550, smtp.EnhancedCode{5, 7, 1}, "Message rejected: the sender's domain does not authorize it (DMARC policy reject)")
)

// policyReply maps a policy decision to a reply, or nil to go on. Store
// failures are temporary and generic; limits carry the policy's retry hint;
// refusals carry its neutral text (it never says which policy refused).
// refusedBy turns a policy decision into its reply, like policyReply, and
// logs a refusal with the policy's name (a fixed name such as
// "rate_recipient", never a value), the step and the reply code, so an
// operator can tell which policy said no.
func (s *Server) refusedBy(step string, d policy.Decision) *smtp.SMTPError {
	rep := policyReply(d)
	if rep != nil {
		s.log.Info("refused by policy", "step", step, "policy", d.Policy, "code", rep.Code,
			"status", fmt.Sprintf("%d.%d.%d", rep.EnhancedCode[0], rep.EnhancedCode[1], rep.EnhancedCode[2]))
	}
	return rep
}

func policyReply(d policy.Decision) *smtp.SMTPError {
	switch d.Action {
	case policy.Allow:
		return nil
	case policy.Defer:
		if d.Policy == policy.PolicyRedis || d.Policy == policy.PolicyLocal {
			return errTemporary
		}
		return reply(450, smtp.EnhancedCode{4, 7, 1}, d.Text)
	default:
		return reply(550, smtp.EnhancedCode{5, 7, 1}, d.Text)
	}
}

// rcptReply maps an address codec error to the reply and a metrics reason.
func rcptReply(err error) (*smtp.SMTPError, string) {
	var ae *address.Error
	if !errors.As(err, &ae) {
		return errTemporary, metrics.ReasonInternal
	}
	switch ae.Reason {
	case address.NotLocal:
		return reply(550, smtp.EnhancedCode{5, 7, 1}, "Relaying denied: this server only accepts mail for its own domain"), metrics.ReasonRelay
	case address.Loop:
		return reply(550, smtp.EnhancedCode{5, 1, 1}, ae.Text), metrics.ReasonLoop
	default:
		return reply(550, smtp.EnhancedCode{5, 1, 1}, ae.Text), metrics.ReasonInvalidRcpt
	}
}

// dataReply maps a failure while reading, rewriting or storing a message to
// the reply and a metrics reason. The cause itself goes to the log only.
func dataReply(err error) (*smtp.SMTPError, string) {
	// An SMTPError is already a reply: go-smtp's size limit, or a policy
	// or authentication refusal made while the message streamed.
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		switch {
		case se.Code == smtp.ErrDataTooLarge.Code:
			return errTooBig, metrics.ReasonSize
		case se == errScanReject || se == errScanDefer:
			return se, metrics.ReasonContent
		case se == errScanDown:
			return se, metrics.ReasonInternal
		}
		return se, metrics.ReasonPolicy
	}
	switch {
	case errors.Is(err, errBareLF), errors.Is(err, errBareCR):
		return reply(554, smtp.EnhancedCode{5, 6, 0}, "Bare CR or LF in message: lines must end in CRLF (RFC 5322 2.3)"), metrics.ReasonLineEnding
	case errors.Is(err, errNUL):
		return reply(554, smtp.EnhancedCode{5, 6, 0}, "NUL characters are not allowed in messages"), metrics.ReasonLineEnding
	case errors.Is(err, errLongLine):
		return reply(554, smtp.EnhancedCode{5, 6, 0}, "Line longer than 998 octets (RFC 5322 2.1.1)"), metrics.ReasonLineEnding
	}
	var ae *anonymize.Error
	if errors.As(err, &ae) {
		switch ae.Reason {
		case anonymize.HeaderTooLarge:
			return reply(552, smtp.EnhancedCode{5, 3, 4}, "Message header too large"), metrics.ReasonHeader
		case anonymize.Loop:
			return reply(554, smtp.EnhancedCode{5, 4, 6}, "Mail loop detected"), metrics.ReasonLoop
		case anonymize.MIMETooComplex:
			return reply(554, smtp.EnhancedCode{5, 6, 0}, "MIME structure too deep or too many parts"), metrics.ReasonMIME
		case anonymize.Content:
			return contentReply(ae.Kind, ae.Text)
		default:
			return reply(554, smtp.EnhancedCode{5, 6, 0}, ae.Text), metrics.ReasonMIME
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return reply(421, smtp.EnhancedCode{4, 4, 2}, "Timeout while reading message"), metrics.ReasonTimeout
	}
	return errTemporary, metrics.ReasonInternal
}

// contentReply is the reply to content Leak will not deliver. The text is
// the cleaner's, written for the sender: it names the kind of content and
// says what to do instead, never a value taken from the message.
func contentReply(k refusal.Kind, text string) (*smtp.SMTPError, string) {
	switch k {
	case refusal.Unsupported:
		return reply(554, smtp.EnhancedCode{5, 6, 1}, text), metrics.ReasonContent
	case refusal.Encrypted:
		return reply(554, smtp.EnhancedCode{5, 7, 1}, text), metrics.ReasonContent
	case refusal.Identifying:
		return reply(550, smtp.EnhancedCode{5, 7, 1}, text), metrics.ReasonContent
	case refusal.TooLarge:
		return reply(552, smtp.EnhancedCode{5, 3, 4}, text), metrics.ReasonSize
	case refusal.Busy:
		return reply(451, smtp.EnhancedCode{4, 3, 1}, text), metrics.ReasonContent
	}
	return reply(554, smtp.EnhancedCode{5, 6, 0}, text), metrics.ReasonContent
}
