package scan

import (
	"slices"
	"testing"
)

// FuzzParse feeds parse arbitrary answers: it must not panic, and a result
// it takes has its symbols sorted and unique.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"is_skipped":true,"score":15.0,"required_score":15.0,"action":"reject","symbols":{"GTUBE":{"name":"GTUBE","score":0.0,"metric_score":0.0}},"messages":{"smtp_message":"Gtube pattern"},"message-id":"undef","time_real":0.003452}`))
	f.Add([]byte(`{"score":-1e308,"action":"no action","symbols":{"B":1,"A":null}}`))
	f.Add([]byte(`{"score":1,"action":"x","symbols":[]}`))
	f.Add([]byte(`{"error":"invalid password"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = rspamdError(b)
		score, names, err := parse(b)
		if err != nil {
			if score != 0 || names != nil {
				t.Fatalf("error %v with a result %v %v", err, score, names)
			}
			return
		}
		if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
			t.Fatalf("symbols %q not sorted and unique", names)
		}
	})
}
