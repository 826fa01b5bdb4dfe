package courier

import (
	"errors"

	"github.com/emersion/go-smtp"
)

// About says what a delivery failure is about, and so whom it may count
// against.
type About uint8

// What a failure can be about. The zero value is AboutNextHop, so that a
// failure nobody classified never counts against the recipient.
const (
	// AboutNextHop: the way to the next hop or the next hop itself: the
	// network, TLS, AUTH, a reply about the server's own state or
	// configuration (RFC 3463 X.3.x, X.4.x, X.5.x).
	AboutNextHop About = iota
	// AboutMessage: the message rather than its recipient: its sender, its
	// content or policy (X.6.x, X.7.x), its size (X.2.3, X.3.4, SIZE), or
	// an extension it needs (SMTPUTF8). Another recipient's server, or the
	// same server fixed, may take it.
	AboutMessage
	// AboutRecipient: the recipient's address or mailbox (X.1.x, X.2.x),
	// or a refusal of the recipient at RCPT. Only this may count against
	// the recipient.
	AboutRecipient
	// AboutLocal: Leak's own I/O: reading the spooled copy, writing a
	// delivered file.
	AboutLocal
)

// String names a for logs.
func (a About) String() string {
	switch a {
	case AboutNextHop:
		return "next_hop"
	case AboutMessage:
		return "message"
	case AboutRecipient:
		return "recipient"
	case AboutLocal:
		return "local"
	}
	return "unknown"
}

// AboutOf returns what err is about: its *Error's About, or AboutNextHop
// for any other error (nil included).
func AboutOf(err error) About {
	var e *Error
	if errors.As(err, &e) {
		return e.About
	}
	return AboutNextHop
}

// stage is the step of a mail transaction (RFC 5321 section 3.3) that a
// reply answered.
type stage uint8

const (
	stageMail stage = iota // MAIL FROM
	stageRcpt              // RCPT TO
	stageData              // the DATA command, before any of the message
	stageEnd               // the end of DATA: the reply to the message
)

func (s stage) String() string {
	return [...]string{"MAIL", "RCPT", "DATA", "end of DATA"}[s]
}

// beforeBody reports whether none of the message was sent at s.
func (s stage) beforeBody() bool { return s != stageEnd }

// replyAbout classifies a 4xx or 5xx reply at st. The enhanced status code
// (RFC 3463) says it best when there is one; without one, the stage does.
//
// A reply to MAIL is never about the recipient, whatever its code: no
// recipient has been named yet, and a 5.1.x there is about the sender
// ("550 5.1.0 Sender address rejected").
func replyAbout(st stage, ec smtp.EnhancedCode) About {
	if st == stageMail {
		return AboutMessage
	}
	if ec[0] == 2 || ec[0] == 4 || ec[0] == 5 {
		switch ec[1] {
		case 1: // addressing status
			if ec[2] == 7 || ec[2] == 8 {
				// X.1.7, X.1.8: the sender's address.
				return AboutMessage
			}
			return AboutRecipient
		case 2: // mailbox status
			if ec[2] == 3 {
				// X.2.3: message length exceeds an administrative limit.
				return AboutMessage
			}
			return AboutRecipient
		case 3: // mail system status
			if ec[2] == 4 {
				// X.3.4: message too big for the system.
				return AboutMessage
			}
			return AboutNextHop
		case 4: // network and routing status
			if st == stageRcpt {
				// Routing to this recipient's destination failed, and
				// Exchange Online refuses unknown recipients with 5.4.1.
				return AboutRecipient
			}
			return AboutNextHop
		case 5: // mail delivery protocol status
			return AboutNextHop
		case 6, 7: // content, security or policy
			// At RCPT too: "554 5.7.1 Relay access denied" (a
			// misconfigured smarthost), "5.7.1 client host blocked"
			// (Leak's reputation) are about the path, not the mailbox.
			return AboutMessage
		}
	}
	if st == stageRcpt {
		return AboutRecipient
	}
	return AboutMessage
}
