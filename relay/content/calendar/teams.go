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

// teams removes what Teams meeting links in v say about the organizer. The
// join link works without its context, which only tells the Teams client
// which tenant to open the meeting in. The "Meeting options" link
// (teams.microsoft.com/meetingOptions/?organizerId=...&tenantId=...) is of
// use to the organizer alone and goes whole. A token that still holds an
// Oid after that (a context cut short) goes too.
func teams(v string) string {
	lower := strings.ToLower(v)
	if !strings.Contains(lower, "context=") && !strings.Contains(lower, "organizerid") && !strings.Contains(lower, "oid") {
		return v
	}
	v = teamsContext.ReplaceAllStringFunc(v, func(m string) string {
		l := strings.ToLower(m)
		if !strings.Contains(l, "oid") && !strings.Contains(l, "tid") {
			return m
		}
		sub := teamsContext.FindStringSubmatch(m)
		lead, follow := sub[1], sub[teamsContext.SubexpIndex("follow")]
		switch {
		case lead != "?":
			return follow
		case follow != "":
			return "?"
		}
		return ""
	})
	return dropTokensFunc(v, func(tok string) bool {
		l := strings.ToLower(tok)
		return strings.Contains(l, "organizerid=") || strings.Contains(l, "%22oid%22")
	})
}
