package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// answer is the part of a /checkv2 result Leak uses. Rspamd also sends
// required_score, messages, milter and per-symbol details.
type answer struct {
	Score   *float64                   `json:"score"`
	Action  string                     `json:"action"`
	Symbols map[string]json.RawMessage `json:"symbols"`
}

// parse reads a /checkv2 answer: the score, and the names of the symbols
// sorted. An answer without a score or an action is not a scan result
// (another service on Rspamd's port, a proxy's error page) and is an
// error.
func parse(b []byte) (float64, []string, error) {
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		return 0, nil, fmt.Errorf("the answer is not /checkv2 JSON: %w", err)
	}
	if a.Score == nil || a.Action == "" {
		return 0, nil, errors.New("the answer is not a /checkv2 result: no score or no action")
	}
	names := make([]string, 0, len(a.Symbols))
	for name := range a.Symbols {
		names = append(names, name)
	}
	slices.Sort(names)
	return *a.Score, names, nil
}

// rspamdError returns ": <reason>" from an error answer like
// {"error":"invalid password"}, shortened, or "" if there is none. Rspamd's
// error texts name the failure, not the message.
func rspamdError(b []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) != nil || e.Error == "" {
		return ""
	}
	const limit = 200
	if len(e.Error) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(e.Error[cut]) {
			cut--
		}
		e.Error = e.Error[:cut] + "…"
	}
	return fmt.Sprintf(": %q", e.Error)
}
