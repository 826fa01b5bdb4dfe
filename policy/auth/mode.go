package auth

import (
	"fmt"
	"strconv"
)

// Mode says what the Checker does with a message.
type Mode uint8

// The modes, as the configuration spells them (policy.inbound_auth).
const (
	// Off checks nothing and queries no DNS.
	Off Mode = iota
	// Record checks and reports, never rejects.
	Record
	// Enforce rejects a DMARC failure whose domain asks for p=reject.
	Enforce
)

// ParseMode reads a mode as the configuration spells it: off, record or
// enforce.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "off":
		return Off, nil
	case "record":
		return Record, nil
	case "enforce":
		return Enforce, nil
	}
	return Off, fmt.Errorf("auth: mode %q: want off, record or enforce", s)
}

// String spells the mode as ParseMode reads it.
func (m Mode) String() string {
	switch m {
	case Off:
		return "off"
	case Record:
		return "record"
	case Enforce:
		return "enforce"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}
