package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
)

// quoted matches the character-strings of a TXT record in zone-file syntax.
var quoted = regexp.MustCompile(`"([^"]*)"`)

// loadRecords reads the TXT records `leakd dkim dns` prints, one per line
// in zone-file syntax (`name. IN TXT "part" "part"`), into a map from the
// lower-case name without its final dot to the joined value.
func loadRecords(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dkim records: %w", err)
	}
	defer f.Close()
	recs := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#") {
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(strings.Fields(line)[0], "."))
		var v strings.Builder
		for _, m := range quoted.FindAllStringSubmatch(line, -1) {
			v.WriteString(m[1])
		}
		if v.Len() == 0 {
			return nil, fmt.Errorf("dkim records: %s: no quoted value in %q", path, line)
		}
		recs[name] = v.String()
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dkim records: %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("dkim records: %s: no records", path)
	}
	return recs, nil
}

// dkimResult counts verified signatures by algorithm.
type dkimResult struct {
	Messages   int            `json:"messages"`
	Unsigned   int            `json:"unsigned"`
	Pass       map[string]int `json:"pass"`
	Fail       map[string]int `json:"fail"`
	FirstError string         `json:"first_error,omitempty"`
}

// verifyDKIM verifies every signature of each message with go-msgauth,
// taking public keys from recs only.
func verifyDKIM(msgs [][]byte, recs map[string]string) *dkimResult {
	r := &dkimResult{Messages: len(msgs), Pass: map[string]int{}, Fail: map[string]int{}}
	lookup := func(name string) ([]string, error) {
		if v, ok := recs[strings.ToLower(strings.TrimSuffix(name, "."))]; ok {
			return []string{v}, nil
		}
		return nil, fmt.Errorf("no TXT record for %s in the records file", name)
	}
	for _, msg := range msgs {
		algs := signatureAlgorithms(msg)
		if len(algs) == 0 {
			r.Unsigned++
			continue
		}
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: lookup, MaxVerifications: 5})
		if err != nil && len(vs) == 0 {
			for _, a := range algs {
				r.Fail[a]++
			}
			if r.FirstError == "" {
				r.FirstError = err.Error()
			}
			continue
		}
		for i, v := range vs {
			alg := "?"
			if i < len(algs) {
				alg = algs[i]
			}
			if v.Err != nil {
				r.Fail[alg]++
				if r.FirstError == "" {
					r.FirstError = fmt.Sprintf("%s: %v", alg, v.Err)
				}
				continue
			}
			r.Pass[alg]++
		}
	}
	return r
}

// signatureAlgorithms returns the a= tag of each DKIM-Signature field of
// msg's header, in order (the order go-msgauth returns its results in).
func signatureAlgorithms(msg []byte) []string {
	head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	var fields []string
	for _, line := range strings.Split(string(head), "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += line
			continue
		}
		fields = append(fields, line)
	}
	var algs []string
	for _, f := range fields {
		name, value, ok := strings.Cut(f, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "DKIM-Signature") {
			continue
		}
		alg := "?"
		for _, tag := range strings.Split(value, ";") {
			k, v, _ := strings.Cut(tag, "=")
			if strings.TrimSpace(k) == "a" {
				alg = strings.Join(strings.Fields(v), "")
			}
		}
		algs = append(algs, alg)
	}
	return algs
}

func (r *dkimResult) write(w io.Writer) {
	fmt.Fprintf(w, "dkim: %d messages verified (%d unsigned): pass %s; fail %s\n",
		r.Messages, r.Unsigned, formatCounts(r.Pass), formatCounts(r.Fail))
	if r.FirstError != "" {
		fmt.Fprintf(w, "dkim: first failure: %s\n", r.FirstError)
	}
}

// ok tells whether every sampled message was signed and every signature
// verified.
func (r *dkimResult) ok() bool {
	if r.Messages == 0 || r.Unsigned > 0 {
		return false
	}
	for _, n := range r.Fail {
		if n > 0 {
			return false
		}
	}
	return true
}
