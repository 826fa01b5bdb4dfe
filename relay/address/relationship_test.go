package address

import "testing"

func TestRelationship(t *testing.T) {
	tests := []struct {
		rel          Relationship
		prefix, noun string
	}{
		{Someone, "to", "someone"},
		{Friend, "friend", "a friend"},
		{Coworker, "coworker", "a coworker"},
		{Family, "family", "a family member"},
		{FriendOfFriend, "fof", "a friend of a friend"},
	}
	for _, tt := range tests {
		if got := tt.rel.Prefix(); got != tt.prefix {
			t.Errorf("%d.Prefix() = %q, want %q", tt.rel, got, tt.prefix)
		}
		if got := tt.rel.Noun(); got != tt.noun {
			t.Errorf("%d.Noun() = %q, want %q", tt.rel, got, tt.noun)
		}
		if got := tt.rel.String(); got != tt.prefix {
			t.Errorf("%d.String() = %q, want %q", tt.rel, got, tt.prefix)
		}
		if got, ok := ParseRelationship(tt.prefix); !ok || got != tt.rel {
			t.Errorf("ParseRelationship(%q) = %v, %v; want %v, true", tt.prefix, got, ok, tt.rel)
		}
	}
	unknown := Relationship(len(tests))
	if unknown.Prefix() != "" || unknown.Noun() != "" || unknown.String() != "Relationship(5)" {
		t.Errorf("unknown relationship: Prefix %q, Noun %q, String %q", unknown.Prefix(), unknown.Noun(), unknown.String())
	}
}

func TestParseRelationship(t *testing.T) {
	tests := []struct {
		in   string
		want Relationship
		ok   bool
	}{
		{"to", Someone, true},
		{"TO", Someone, true},
		{"Friend", Friend, true},
		{"CoWorker", Coworker, true},
		{"FAMILY", Family, true},
		{"FoF", FriendOfFriend, true},
		{"", 0, false},
		{"boss", 0, false},
		{"friends", 0, false},
		{"frien", 0, false},
		{"to ", 0, false},
		{"cowor\u212Aer", 0, false}, // KELVIN SIGN folds to 'k' in Unicode, not in ASCII
		{"\u017Fto", 0, false},      // LATIN SMALL LETTER LONG S
	}
	for _, tt := range tests {
		got, ok := ParseRelationship(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRelationship(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
