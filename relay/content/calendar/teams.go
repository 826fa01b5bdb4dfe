package calendar

import (
	"regexp"
	"strings"
)

// teamsContext matches the context parameter of a Microsoft Teams join link
// (".../l/meetup-join/19%3ameeting_...%40thread.v2/0?context=%7b%22Tid%22%3a
// %22<tenant>%22%2c%22Oid%22%3a%22<organizer>%22%7d"): a flat JSON object,
// percent-encoded or, once a client has decoded it, raw (with TEXT escapes,
// RFC 5545 section 3.3.11). Its Oid is the organizer's Entra ID object id
// and Tid their organisation's tenant. follow is the "&" of a parameter
// after it, which the removal must keep.
var teamsContext = regexp.MustCompile(`(?i)([?&]|&amp;)context=(?:%7b|\{)[^\s<>]{0,400}?(?:%7d|\})(?P<follow>&amp;|&)?`)

// teamsDialin matches a Teams "Find a local number" link
// (https://dialin.teams.microsoft.com/<organisation id>?id=<conference>):
// its path is the organisation's id. The host alone still lists the
// numbers.
var teamsDialin = regexp.MustCompile(`(?i)(https?://dialin\.teams\.microsoft\.com)/[^\s<>"'\\]*`)

// marketParam matches the omkt parameter of Microsoft's links
// (https://aka.ms/JoinTeamsMeeting?omkt=de-DE): the organizer's language.
var marketParam = regexp.MustCompile(`(?i)([?&]|&amp;)omkt=[^\s<>"'&\\]*(?P<follow>&amp;|&)?`)

// teams removes what Teams meeting links in v say about the organizer. The
// join link works without its context, which only tells the Teams client
// which tenant to open the meeting in. The "Meeting options" link
// (teams.microsoft.com/meetingOptions/?organizerId=...&tenantId=...) is of
// use to the organizer alone and goes whole. A token that still holds an
// Oid after that (a context cut short) goes too. The dial-in link loses
// its path and help links their omkt (teamsDialin, marketParam).
func teams(v string) string {
	lower := strings.ToLower(v)
	if strings.Contains(lower, "dialin.teams.") {
		v = teamsDialin.ReplaceAllString(v, "$1/")
	}
	if strings.Contains(lower, "omkt=") {
		v = withoutQuery(v, marketParam, nil)
	}
	if !strings.Contains(lower, "context=") && !strings.Contains(lower, "organizerid") && !strings.Contains(lower, "oid") {
		return v
	}
	v = withoutQuery(v, teamsContext, func(m string) bool {
		l := strings.ToLower(m)
		return strings.Contains(l, "oid") || strings.Contains(l, "tid")
	})
	return dropTokensFunc(v, func(tok string) bool {
		l := strings.ToLower(tok)
		return strings.Contains(l, "organizerid=") || strings.Contains(l, "%22oid%22")
	})
}

// withoutQuery removes the URL query parameters re matches from v, those
// for which drop holds if it is not nil. re's first group is the "?" or
// "&" before the parameter, and its group follow the "&" after it, if
// any, which the removal keeps when another parameter goes on.
func withoutQuery(v string, re *regexp.Regexp, drop func(string) bool) string {
	return re.ReplaceAllStringFunc(v, func(m string) string {
		if drop != nil && !drop(m) {
			return m
		}
		sub := re.FindStringSubmatch(m)
		lead, follow := sub[1], sub[re.SubexpIndex("follow")]
		switch {
		case lead != "?":
			return follow
		case follow != "":
			return "?"
		}
		return ""
	})
}
