package address

import "strconv"

// Relationship is what the sender declares they are to the recipient. It is
// chosen by the prefix of the relay address (the part before the first '+')
// and travels with the message so the recipient knows who is writing, in
// broad terms, without learning who.
type Relationship uint8

// The relationships, in the order of their prefixes. Someone is the zero
// value.
const (
	Someone        Relationship = iota // prefix "to"
	Friend                             // prefix "friend"
	Coworker                           // prefix "coworker"
	Family                             // prefix "family"
	FriendOfFriend                     // prefix "fof"
)

// relationships lists prefix and noun by Relationship value.
var relationships = [...]struct{ prefix, noun string }{
	Someone:        {"to", "someone"},
	Friend:         {"friend", "a friend"},
	Coworker:       {"coworker", "a coworker"},
	Family:         {"family", "a family member"},
	FriendOfFriend: {"fof", "a friend of a friend"},
}

// Prefix returns the address prefix that selects r ("to", "friend",
// "coworker", "family", "fof"), or "" if r is not a known Relationship.
func (r Relationship) Prefix() string {
	if int(r) >= len(relationships) {
		return ""
	}
	return relationships[r].prefix
}

// Noun returns how r reads in a sentence ("someone", "a friend", "a coworker",
// "a family member", "a friend of a friend"), or "" if r is not a known
// Relationship.
func (r Relationship) Noun() string {
	if int(r) >= len(relationships) {
		return ""
	}
	return relationships[r].noun
}

// String returns the prefix of r, so that logs and metric labels show a word;
// an unknown value prints as "Relationship(n)".
func (r Relationship) String() string {
	if p := r.Prefix(); p != "" {
		return p
	}
	return "Relationship(" + strconv.Itoa(int(r)) + ")"
}

// ParseRelationship returns the Relationship selected by prefix, compared
// without regard to ASCII case. Only ASCII case is folded: strings.EqualFold
// would also accept look-alikes such as U+212A KELVIN SIGN for 'k'
// ("cowor\u212Aer"), and a prefix is a plain ASCII word.
func ParseRelationship(prefix string) (Relationship, bool) {
	for i, r := range relationships {
		if asciiEqualFold(prefix, r.prefix) {
			return Relationship(i), true
		}
	}
	return 0, false
}

// asciiEqualFold reports whether s equals the lower-case ASCII word lower,
// folding only ASCII upper-case letters in s.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
