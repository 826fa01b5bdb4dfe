package text

import (
	"net/url"
	"strings"
)

// Microsoft Teams writes a block into an invitation's body, its calendar
// DESCRIPTION and its HTML part alike, between two lines of underscores
// (Outlook's separator): "Microsoft Teams Need help? | Join the meeting
// now | Meeting ID: | Passcode: | Dial in by phone | Find a local number
// | For organizers: Meeting options | System reference", each label in
// the language of the organizer's Teams, not the one they wrote in
// ("Benötigen Sie Hilfe?", "Besprechung jetzt beitreten", "Kennung:").
// Its links carry their tenant and directory id (the join link's context,
// the meeting options' organizerId and tenantId, the dial-in link's path)
// and their language (omkt). What the recipient needs of it is the join
// link, which works without all of that: the block becomes that link.

// minSeparator is the fewest underscores that make Outlook's separator:
// it writes 80 around the block, and 32 inside it, between the meeting
// and its dial-in numbers.
const minSeparator = 40

// IsTeamsSeparator reports a line that is Outlook's separator around a
// Teams block: underscores alone.
func IsTeamsSeparator(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) >= minSeparator && strings.Trim(s, "_") == ""
}

// TeamsJoinLinks returns the Teams join links in s, cleaned (CleanURL).
func TeamsJoinLinks(s string) []string {
	if !strings.Contains(strings.ToLower(s), "teams.") {
		return nil
	}
	var out []string
	for _, u := range urlRe.FindAllString(s, -1) {
		u = strings.TrimRight(u, ".,;:!?)]'\\")
		if isTeamsJoin(u) {
			out = append(out, CleanURL(u))
		}
	}
	return out
}

// TeamsBlock returns lines with each Teams block (a block between two
// separators that holds a join link) replaced by its join links, one a
// line, between its separators. A block without its closing separator is
// left: what follows an opening one may be the sender's own text.
func TeamsBlock(lines []string) []string {
	var out []string
	for i := 0; i < len(lines); i++ {
		if n, links := teamsBlock(lines[i:]); n > 0 {
			out = append(out, lines[i])
			out = append(out, links...)
			out = append(out, lines[i+n-1])
			i += n - 1
			continue
		}
		out = append(out, lines[i])
	}
	return out
}

// teamsBlock reports how many lines at the start of lines are a Teams
// block, separators included, and its join links; 0 if they are none.
func teamsBlock(lines []string) (int, []string) {
	if len(lines) < 3 || !IsTeamsSeparator(lines[0]) {
		return 0, nil
	}
	var links []string
	for i := 1; i < len(lines); i++ {
		if IsTeamsSeparator(lines[i]) {
			if len(links) == 0 {
				return 0, nil
			}
			return i + 1, links
		}
		for _, l := range TeamsJoinLinks(lines[i]) {
			if !contains(links, l) {
				links = append(links, l)
			}
		}
	}
	return 0, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isTeamsHost reports Teams' own hosts: the commercial cloud, the
// consumer one and the US government ones.
func isTeamsHost(host string) bool {
	return host == "teams.microsoft.com" || host == "teams.live.com" || host == "gov.teams.microsoft.us" || host == "dod.teams.microsoft.us"
}

// isTeamsJoin reports a link that joins a Teams meeting: the meetup-join
// link, or the short /meet/<id>?p=<passcode> one of newer invitations.
func isTeamsJoin(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !isTeamsHost(strings.ToLower(u.Hostname())) {
		return false
	}
	p := strings.ToLower(u.EscapedPath())
	return strings.HasPrefix(p, "/l/meetup-join/") || strings.HasPrefix(p, "/meet/")
}

// cleanTeams removes from a Microsoft link what it says about the
// organizer: a join link's context (their tenant, Tid, and their
// directory object id, Oid; the link works without it), the query of the
// Meeting options link (organizerId, tenantId: it is of use to the
// organizer alone), the path of the dial-in link (the organisation's id;
// the host alone still lists the numbers), and the omkt of help links
// (the organizer's language).
//
// CleanURL runs it on every link of every message: a link naming none of
// these hosts is returned before it is parsed.
func cleanTeams(s string) string {
	if l := strings.ToLower(s); !strings.Contains(l, "teams.") && !strings.Contains(l, "microsoft.") && !strings.Contains(l, "aka.ms") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return s
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case isTeamsHost(host) && strings.HasPrefix(strings.ToLower(u.EscapedPath()), "/meetingoptions"):
		if q := strings.IndexByte(s, '?'); q >= 0 {
			return s[:q]
		}
	case isTeamsHost(host):
		return withoutParams(s, func(k string) bool { return k == "context" })
	case host == "dialin.teams.microsoft.com":
		return u.Scheme + "://" + u.Host + "/"
	case host == "aka.ms" || host == "microsoft.com" || strings.HasSuffix(host, ".microsoft.com"):
		return withoutParams(s, func(k string) bool { return k == "omkt" })
	}
	return s
}
