package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// The proof of work follows ALTCHA's scheme (altcha.org, "ALTCHA v1"), so
// that its published widget and client libraries could stand in for
// pow.js. The server picks a secret number n in [0, maxnumber] and a salt
// that carries the expiry, and sends
//
//	challenge = hex(SHA-256(salt || decimal(n)))
//	signature = hex(HMAC-SHA256(key, challenge))
//
// The client tries 0, 1, 2, ... until SHA-256(salt || number) is the
// challenge, maxnumber/2 hashes on average, and returns the five fields.
// The server checks the signature (it issued the challenge), the expiry
// (in the salt, covered by the hash and so by the signature) and the hash:
// one HMAC and one SHA-256, and no state until the solution is spent. Each
// solution is then spent once in the policy store (policy.Engine.SpendProof).

// algorithm is the only hash ALTCHA v1 and this server use.
const algorithm = "SHA-256"

// expiresParam is the salt parameter that carries the expiry, in Unix
// seconds, as ALTCHA writes it.
const expiresParam = "?expires="

// maxSaltLen bounds the salt a client may send back: ours are 24 hex
// digits and the parameter.
const maxSaltLen = 100

// Challenge is what a client is given to solve; its JSON form is ALTCHA's.
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	MaxNumber int64  `json:"maxnumber"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Solution is a solved Challenge, ALTCHA's payload. In JSON it is an
// object, or (as ALTCHA's widget submits it) a string holding that object
// in base64.
type Solution struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int64  `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// UnmarshalJSON accepts the object or its base64 string.
func (s *Solution) UnmarshalJSON(b []byte) error {
	type plain Solution
	if len(b) > 0 && b[0] == '"' {
		var enc string
		if err := json.Unmarshal(b, &enc); err != nil {
			return err
		}
		sol, err := parseSolution(enc)
		if err != nil {
			return err
		}
		*s = sol
		return nil
	}
	return json.Unmarshal(b, (*plain)(s))
}

// parseSolution decodes the base64 payload the form submits.
func parseSolution(enc string) (Solution, error) {
	if len(enc) > 1024 {
		return Solution{}, errors.New("proof of work: payload too long")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return Solution{}, errors.New("proof of work: payload is not base64")
	}
	type plain Solution
	var sol plain
	if err := json.Unmarshal(raw, &sol); err != nil {
		return Solution{}, errors.New("proof of work: payload is not a solution")
	}
	return Solution(sol), nil
}

// Why a solution is refused.
var (
	errProofInvalid = errors.New("proof of work: not a solution to a challenge of this server")
	errProofExpired = errors.New("proof of work: challenge expired")
)

// proofs issues and checks challenges with one key.
type proofs struct {
	key       []byte
	maxNumber int64
	ttl       time.Duration
	now       func() time.Time
}

// issue returns a fresh challenge that expires ttl from now.
func (p *proofs) issue() (Challenge, error) {
	var salt [12]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return Challenge{}, fmt.Errorf("proof of work: salt: %w", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(p.maxNumber+1))
	if err != nil {
		return Challenge{}, fmt.Errorf("proof of work: number: %w", err)
	}
	// Rounded up to the second: the expiry is written in seconds.
	expires := p.now().Add(p.ttl + time.Second - 1).Unix()
	s := hex.EncodeToString(salt[:]) + expiresParam + strconv.FormatInt(expires, 10)
	ch := hashHex(s, n.Int64())
	return Challenge{
		Algorithm: algorithm,
		Challenge: ch,
		MaxNumber: p.maxNumber,
		Salt:      s,
		Signature: p.sign(ch),
	}, nil
}

// check verifies sol and returns when its challenge expires, the time
// until which it must be kept spent. It does not spend it.
func (p *proofs) check(sol Solution) (time.Time, error) {
	if sol.Algorithm != algorithm || len(sol.Salt) > maxSaltLen || len(sol.Challenge) != sha256.Size*2 ||
		sol.Number < 0 || sol.Number > 1<<53 {
		return time.Time{}, errProofInvalid
	}
	_, param, ok := strings.Cut(sol.Salt, expiresParam)
	if !ok {
		return time.Time{}, errProofInvalid
	}
	secs, err := strconv.ParseInt(param, 10, 64)
	if err != nil || secs <= 0 {
		return time.Time{}, errProofInvalid
	}
	// The signature first: "expired" is said only of our own challenges.
	if !hmac.Equal([]byte(sol.Signature), []byte(p.sign(sol.Challenge))) {
		return time.Time{}, errProofInvalid
	}
	if hashHex(sol.Salt, sol.Number) != sol.Challenge {
		return time.Time{}, errProofInvalid
	}
	expires := time.Unix(secs, 0)
	if !p.now().Before(expires) {
		return time.Time{}, errProofExpired
	}
	return expires, nil
}

func (p *proofs) sign(challenge string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(challenge))
	return hex.EncodeToString(m.Sum(nil))
}

// hashHex is hex(SHA-256(salt || decimal(n))).
func hashHex(salt string, n int64) string {
	h := sha256.Sum256([]byte(salt + strconv.FormatInt(n, 10)))
	return hex.EncodeToString(h[:])
}

// Solve finds the number that solves c by trying each in turn, as pow.js
// does; it returns false if none up to c.MaxNumber does. It is for tools
// and tests that speak the API (cmd/leak-load).
func Solve(c Challenge) (Solution, bool) {
	want, err := hex.DecodeString(c.Challenge)
	if err != nil || len(want) != sha256.Size {
		return Solution{}, false
	}
	buf := append(make([]byte, 0, len(c.Salt)+20), c.Salt...)
	for n := int64(0); n <= c.MaxNumber; n++ {
		h := sha256.Sum256(strconv.AppendInt(buf[:len(c.Salt)], n, 10))
		if string(h[:]) == string(want) {
			return Solution{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature}, true
		}
	}
	return Solution{}, false
}

// Encode returns the base64 payload of s, as the form submits it.
func (s Solution) Encode() string {
	b, _ := json.Marshal(s) // a struct of strings and an integer
	return base64.StdEncoding.EncodeToString(b)
}
