package text

import (
	"strings"

	"leak/relay/content/refusal"
)

// OpenPGP writes into the text itself (RFC 4880 section 6.2, "ASCII
// armor"): a clearsigned message (section 7) is the typed text between a
// "BEGIN PGP SIGNED MESSAGE" header and a signature block, and a pasted
// public key is a block of its own. The packets of a signature hold the
// signer's key id and often their user id, name and address; a key holds
// them all. The text is kept, the armor goes. An encrypted message names
// its recipients' keys and cannot be read to be cleaned: it is refused.

// encryptedText refuses an inline PGP message, as a PGP/MIME one is.
const encryptedText = "Encrypted messages (PGP) cannot be sent through Leak: their recipient list is readable by anyone and usually names you; send the text unencrypted."

// KeyRemoved replaces a public key block pasted into the text.
const KeyRemoved = "[PGP key removed]"

const (
	armorSigned    = "-----BEGIN PGP SIGNED MESSAGE-----"
	armorSignature = "-----BEGIN PGP SIGNATURE-----"
	armorKey       = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
	armorMessage   = "-----BEGIN PGP MESSAGE-----"
)

// armor is the state of the OpenPGP filter, which sees each line before
// the window does.
type armor struct {
	state  int    // one of the armor* states below
	depth  int    // the quote depth of the block or header lines
	signed bool   // inside signed text, to which a block returns
	text   int    // the quote depth of the signed text
	end    string // the line that ends the block
}

const (
	armorNone   = iota
	armorHeader // the "Hash:" lines of a clearsigned message
	armorText   // the signed text
	armorBlock  // inside a block, dropped up to end
)

// filter returns what to keep of l: the line, rewritten, and whether to
// keep it at all.
func (a *armor) filter(l line) (line, bool, error) {
	if a.state == armorHeader {
		if l.depth == a.depth {
			if l.blank() {
				a.state = armorText
				return l, false, nil
			}
			if _, ok := field(l.body); ok {
				return l, false, nil
			}
		}
		// Not armor headers after all: the text starts here.
		a.state = armorText
	}
	if a.signed && l.depth == a.text && strings.HasPrefix(l.body, "- ") {
		// Section 7.1: a signed line that starts with "-" is written
		// with "- " before it.
		l.body = l.body[2:]
	}
	body := strings.TrimSpace(l.body)
	if a.state == armorBlock {
		if l.depth == a.depth {
			if body == a.end {
				a.state = armorNone
				if a.signed {
					a.state = armorText
				}
			}
			return l, false, nil
		}
		// Armor keeps its quote depth: the block was cut short.
		a.state = armorNone
		if a.signed {
			a.state = armorText
		}
	}
	if len(body) < 27 || body[0] != '-' {
		return l, true, nil
	}
	switch body {
	case armorSigned:
		a.state, a.depth, a.signed, a.text = armorHeader, l.depth, true, l.depth
		return l, false, nil
	case armorSignature:
		if a.signed && l.depth == a.text {
			a.signed = false // the signature ends the signed text
		}
		a.state, a.depth, a.end = armorBlock, l.depth, "-----END PGP SIGNATURE-----"
		return l, false, nil
	case armorKey:
		a.state, a.depth, a.end = armorBlock, l.depth, "-----END PGP PUBLIC KEY BLOCK-----"
		l.body = KeyRemoved
		return l, true, nil
	case armorMessage:
		return l, false, refuse(refusal.Encrypted, encryptedText)
	}
	return l, true, nil
}

// dropping reports whether the filter is inside a block, whose lines go.
func (a *armor) dropping() bool { return a.state == armorBlock }
