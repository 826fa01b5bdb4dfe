package policy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPagesSayWhoRunsIt: every /u/ page says that the sender is not told
// and that the relationship is the sender's claim, and names the operator
// when one is configured.
func TestPagesSayWhoRunsIt(t *testing.T) {
	e, _, _ := localEngine(t, offOptions(), newClock())
	n := &notes{}
	for _, op := range []string{"", "Example Operator (abuse@operator.example)"} {
		h, err := e.Pages(ResubscribeOptions{Notify: n.notify, BaseURL: "https://leak.example", Operator: op})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.StripPrefix("/u/", h))
		for _, u := range []string{e.UnsubscribeURL(srv.URL, "bob@example.com"), srv.URL + "/u/resubscribe", srv.URL + "/u/nonsense"} {
			r := get(t, u)
			if !strings.Contains(r.body, "never tells the sender") || !strings.Contains(r.body, "own claim") {
				t.Errorf("%s: the page does not say the sender is not told:\n%s", u, r.body)
			}
			if named := strings.Contains(r.body, "run by Example Operator (abuse@operator.example)"); named != (op != "") {
				t.Errorf("%s with operator %q: named=%v", u, op, named)
			}
		}
		srv.Close()
	}
}
