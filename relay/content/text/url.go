package text

import (
	"net/url"
	"regexp"
	"strings"

	"leak/relay/content/refusal"
)

// Link scanners and click trackers wrap each link in a URL of their own
// that carries who it was sent to: Microsoft SafeLinks puts the mailbox and
// tenant in its data= parameter, Proofpoint its customer id. The recipient
// only needs the destination, so CleanURL unwraps the redirectors whose
// destination is in the URL, and removes the campaign and click identifiers
// that marketing tools add to the destination itself. Opaque trackers
// (Mimecast, Mailchimp clicks) are left: their destination is not in them.

// LocalFileText is the refusal text for a link to a file on the sender's
// computer: its path usually holds their account name (C:\Users\<name>).
const LocalFileText = localFileText

var (
	urlRe      = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"]+`)
	fileLinkRe = regexp.MustCompile(`(?i)\s?<file:[^<>]*>`)
	// drivePathRe is a Windows path: on a network share (\\host\share)
	// or a drive (C:\).
	drivePathRe = regexp.MustCompile(`(?i)\\\\[^\s\\]+\\|\b[a-z]:\\`)
)

// HasLocalFile reports whether s contains a file: URL ("file:/" not
// preceded by a letter or digit, in any case).
func HasLocalFile(s string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], ":/")
		if j < 0 {
			return false
		}
		j += i
		if j >= 4 && strings.EqualFold(s[j-4:j], "file") && (j == 4 || !isAlnum(s[j-5])) {
			return true
		}
		i = j + 2
	}
}

// cleanURLs rewrites the URLs in one line of text. A "<file:...>" after a
// link's text is the target an HTML-to-text conversion (Outlook's) writes
// for a link; it goes. A file: URL typed in the text is refused: removing it
// would change what was written.
func cleanURLs(s string) (string, error) {
	if !strings.Contains(s, ":") {
		return s, nil
	}
	if t := fileLinkRe.ReplaceAllString(s, ""); t != s {
		// Outlook wrote the link's text, then its target: a text that is
		// itself the path ("C:\Users\asmith\Q3.xlsx", "\\fs01\home$\asmith")
		// names the account as the target did.
		if drivePathRe.MatchString(t) {
			return "", refuse(refusal.Identifying, localFileText)
		}
		s = t
	}
	if HasLocalFile(s) {
		return "", refuse(refusal.Identifying, localFileText)
	}
	return urlRe.ReplaceAllStringFunc(s, func(u string) string {
		trail := len(u) - len(strings.TrimRight(u, ".,;:!?)]'"))
		return CleanURL(u[:len(u)-trail]) + u[len(u)-trail:]
	}), nil
}

// CleanURL returns the destination of a link: raw unwrapped from the
// redirectors that hold it, without tracking parameters. A URL it does not
// understand is returned unchanged.
func CleanURL(raw string) string {
	s := raw
	for i := 0; i < 4; i++ {
		u, ok := unwrap(s)
		if !ok {
			break
		}
		s = u
	}
	return cleanTeams(stripTracking(s))
}

func unwrap(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	var dest string
	switch {
	case strings.HasSuffix(host, ".safelinks.protection.outlook.com"),
		// The US government clouds (GCC High, DoD) have their own.
		strings.HasSuffix(host, ".safelinks.protection.office365.us"):
		dest = u.Query().Get("url")
	case (host == "www.google.com" || host == "google.com") && u.Path == "/url":
		dest = u.Query().Get("q")
		if dest == "" {
			dest = u.Query().Get("url")
		}
	case host == "urldefense.proofpoint.com" && u.Path == "/v2/url":
		// v2 encodes the URL with "-" for "%" and "_" for "/".
		enc := strings.NewReplacer("-", "%", "_", "/").Replace(u.Query().Get("u"))
		dest, _ = url.PathUnescape(enc)
	case host == "urldefense.com" && strings.HasPrefix(u.EscapedPath(), "/v3/__"):
		// v3 writes the URL between "__" markers; "*" stands for characters
		// listed in an encoded suffix this does not decode.
		rest := s[strings.Index(s, "/v3/__")+len("/v3/__"):]
		end := strings.Index(rest, "__;")
		if end < 0 || strings.Contains(rest[:end], "*") {
			return "", false
		}
		dest = rest[:end]
	case (host == "l.facebook.com" || host == "lm.facebook.com") && u.Path == "/l.php":
		dest = u.Query().Get("u")
	}
	d, err := url.Parse(dest)
	if dest == "" || err != nil || (d.Scheme != "http" && d.Scheme != "https") {
		return "", false
	}
	return dest, true
}

// tracking lists query parameters that identify a campaign, a click or a
// recipient rather than the page.
var tracking = set("fbclid", "gclid", "dclid", "msclkid", "mc_eid", "mc_cid", "_hsenc", "_hsmi", "mkt_tok", "igshid", "yclid", "oly_enc_id", "oly_anon_id", "vero_id")

// stripTracking removes tracking parameters.
func stripTracking(s string) string {
	return withoutParams(s, func(k string) bool { return strings.HasPrefix(k, "utm_") || tracking[k] })
}

// withoutParams removes the query parameters whose name, unescaped and
// lower case, drop reports, editing only the query so the rest of the URL
// keeps its exact spelling.
func withoutParams(s string, drop func(k string) bool) string {
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return s
	}
	end := len(s)
	if h := strings.IndexByte(s[q:], '#'); h >= 0 {
		end = q + h
	}
	params := strings.Split(s[q+1:end], "&")
	kept := params[:0]
	for _, p := range params {
		k, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(k); err == nil && drop(strings.ToLower(k)) {
			continue
		}
		kept = append(kept, p)
	}
	query := strings.Join(kept, "&")
	if query == "" {
		return s[:q] + s[end:]
	}
	return s[:q+1] + query + s[end:]
}
