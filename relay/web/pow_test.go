package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func testProofs(now func() time.Time) *proofs {
	return &proofs{key: []byte("a proof key of enough length"), maxNumber: 1000, ttl: time.Minute, now: now}
}

func TestProofRoundTrip(t *testing.T) {
	p := testProofs(time.Now)
	c, err := p.issue()
	if err != nil {
		t.Fatal(err)
	}
	if c.Algorithm != "SHA-256" || c.MaxNumber != 1000 || !strings.Contains(c.Salt, "?expires=") {
		t.Fatalf("challenge %+v", c)
	}
	sol, ok := Solve(c)
	if !ok {
		t.Fatal("no solution found")
	}
	// The scheme is ALTCHA's: SHA-256 of the salt and the decimal number.
	h := sha256.Sum256([]byte(c.Salt + strconv.FormatInt(sol.Number, 10)))
	if hex.EncodeToString(h[:]) != c.Challenge {
		t.Fatal("the solution's hash is not the challenge")
	}
	exp, err := p.check(sol)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if d := time.Until(exp); d < 59*time.Second || d > 62*time.Second {
		t.Errorf("expires in %s, want about a minute", d)
	}
	// The base64 payload the form posts decodes to the same solution, as
	// a string or an object in JSON.
	back, err := parseSolution(sol.Encode())
	if err != nil || back != sol {
		t.Errorf("payload round trip: %+v, %v", back, err)
	}
	var fromString, fromObject Solution
	if err := json.Unmarshal([]byte(strconv.Quote(sol.Encode())), &fromString); err != nil || fromString != sol {
		t.Errorf("JSON string: %+v, %v", fromString, err)
	}
	obj, _ := json.Marshal(sol)
	if err := json.Unmarshal(obj, &fromObject); err != nil || fromObject != sol {
		t.Errorf("JSON object: %+v, %v", fromObject, err)
	}
}

func TestProofRefusals(t *testing.T) {
	now := time.Now()
	p := testProofs(func() time.Time { return now })
	c, _ := p.issue()
	good, _ := Solve(c)
	other := &proofs{key: []byte("another key of enough length!"), maxNumber: 1000, ttl: time.Minute, now: p.now}
	oc, _ := other.issue()
	foreign, _ := Solve(oc)

	with := func(f func(*Solution)) Solution {
		s := good
		f(&s)
		return s
	}
	for _, tc := range []struct {
		name string
		sol  Solution
		want error
	}{
		{"wrong number", with(func(s *Solution) { s.Number++ }), errProofInvalid},
		{"negative number", with(func(s *Solution) { s.Number = -1 }), errProofInvalid},
		{"salt changed", with(func(s *Solution) { s.Salt = "00" + s.Salt[2:] }), errProofInvalid},
		// A later expiry changes the hash, and the signature covers the
		// hash: the expiry cannot be extended.
		{"expiry extended", with(func(s *Solution) {
			s.Salt = s.Salt[:strings.Index(s.Salt, "?")] + "?expires=" + strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
		}), errProofInvalid},
		{"no expiry", with(func(s *Solution) { s.Salt = s.Salt[:strings.Index(s.Salt, "?")] }), errProofInvalid},
		{"signature of another key", foreign, errProofInvalid},
		{"signature changed", with(func(s *Solution) { s.Signature = strings.Repeat("0", 64) }), errProofInvalid},
		{"other algorithm", with(func(s *Solution) { s.Algorithm = "SHA-1" }), errProofInvalid},
		{"short challenge", with(func(s *Solution) { s.Challenge = s.Challenge[:10] }), errProofInvalid},
		{"empty", Solution{}, errProofInvalid},
	} {
		if _, err := p.check(tc.sol); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	now = now.Add(61 * time.Second)
	if _, err := p.check(good); !errors.Is(err, errProofExpired) {
		t.Errorf("after its expiry: %v, want expired", err)
	}
	// Expired is said only of genuine challenges.
	if _, err := p.check(with(func(s *Solution) { s.Number++ })); !errors.Is(err, errProofInvalid) {
		t.Errorf("expired and wrong: %v, want invalid", err)
	}
}

func TestSolveNoSolution(t *testing.T) {
	if _, ok := Solve(Challenge{Algorithm: "SHA-256", Challenge: strings.Repeat("ab", 32), MaxNumber: 100, Salt: "x"}); ok {
		t.Error("a solution was found for a challenge that has none")
	}
	if _, ok := Solve(Challenge{Challenge: "not hex"}); ok {
		t.Error("a solution was found for a malformed challenge")
	}
}

func FuzzParseSolution(f *testing.F) {
	p := testProofs(time.Now)
	c, _ := p.issue()
	sol, _ := Solve(c)
	f.Add(sol.Encode())
	f.Add("eyJ9")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		sol, err := parseSolution(s)
		if err != nil {
			return
		}
		// Whatever decodes, checking it must not panic, and only a real
		// solution passes.
		if _, err := p.check(sol); err == nil && hashHex(sol.Salt, sol.Number) != sol.Challenge {
			t.Fatal("a solution whose hash is not its challenge passed")
		}
	})
}
