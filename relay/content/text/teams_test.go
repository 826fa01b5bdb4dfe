package text

import (
	"bytes"
	"strings"
	"testing"
)

const (
	teamsJoin    = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ5ZTc0YjQtYzE0Ni00Y2U4LWE1NjctZDU2ZGM3ZjU0YWFi%40thread.v2/0"
	teamsContext = "context=%7b%22Tid%22%3a%22a1b2c3d4-0000-4000-8000-000000000001%22%2c%22Oid%22%3a%22f00dfeed-1234-4abc-9def-0123456789ab%22%7d"
)

// teamsGerman is the plain-text part Outlook writes for a Teams meeting
// whose organizer's Teams is in German, under an invitation written in
// English.
var teamsGerman = "Hi Bob, agenda below.\r\n\r\n" +
	"________________________________________________________________________________\r\n" +
	"Microsoft Teams Benötigen Sie Hilfe?<https://aka.ms/JoinTeamsMeeting?omkt=de-DE>\r\n" +
	"Besprechung jetzt beitreten<" + teamsJoin + "?" + teamsContext + ">\r\n" +
	"Besprechungs-ID: 362 814 558 203\r\n" +
	"Kennung: Xy7Gh2\r\n" +
	"________________________________\r\n" +
	"Einwahl per Telefon\r\n" +
	"+49 69 365052751,,123456789#<tel:+4969365052751,,123456789#> Deutschland, Frankfurt am Main\r\n" +
	"Lokale Nummer suchen<https://dialin.teams.microsoft.com/8551f4c1-bea3-441a-8738-69aa517a91c5?id=123456789>\r\n" +
	"Konferenz-ID: 123 456 789#\r\n" +
	"Für Organisatoren: Besprechungsoptionen<https://teams.microsoft.com/meetingOptions/?organizerId=f00dfeed-1234-4abc-9def-0123456789ab&tenantId=a1b2c3d4-0000-4000-8000-000000000001&threadId=19_meeting_NzQ5@thread.v2&messageId=0&language=de-DE> | PIN für Einwahl zurücksetzen<https://dialin.teams.microsoft.com/usp/pstnconferencing>\r\n" +
	"Benötigen Sie Hilfe?<https://aka.ms/JoinTeamsMeeting?omkt=de-DE> | Systemreferenz<https://teams.microsoft.com/l/meeting-join-help?omkt=de-DE>\r\n" +
	"________________________________________________________________________________\r\n" +
	"\r\nSee you, Bob\r\n"

func TestCleanURLTeams(t *testing.T) {
	tests := []struct{ in, want string }{
		{teamsJoin + "?" + teamsContext, teamsJoin},
		{teamsJoin + "?anon=true&" + teamsContext, teamsJoin + "?anon=true"},
		{"https://teams.microsoft.com/meetingOptions/?organizerId=f00d&tenantId=a1b2&language=de-DE", "https://teams.microsoft.com/meetingOptions/"},
		{"https://dialin.teams.microsoft.com/8551f4c1-bea3-441a-8738-69aa517a91c5?id=123456789", "https://dialin.teams.microsoft.com/"},
		{"https://aka.ms/JoinTeamsMeeting?omkt=de-DE", "https://aka.ms/JoinTeamsMeeting"},
		{"https://www.microsoft.com/x?a=1&OMKT=fr-FR&b=2", "https://www.microsoft.com/x?a=1&b=2"},
		{"https://app.example/x?context=%7bsearch%7d&omkt=x", "https://app.example/x?context=%7bsearch%7d&omkt=x"},
		{"https://teams.microsoft.com/meet/36281455820?p=Xy7Gh2", "https://teams.microsoft.com/meet/36281455820?p=Xy7Gh2"},
	}
	for _, tt := range tests {
		if got := CleanURL(tt.in); got != tt.want {
			t.Errorf("CleanURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The Teams block of a plain-text invitation becomes its join link: its
// labels are in the organizer's Teams language, its links carry their
// tenant, directory id and language.
func TestCleanTeamsBlock(t *testing.T) {
	var out bytes.Buffer
	if err := Clean(&out, strings.NewReader(teamsGerman), Options{}); err != nil {
		t.Fatal(err)
	}
	sep := strings.Repeat("_", 80)
	want := "Hi Bob, agenda below.\r\n\r\n" + sep + "\r\n" + teamsJoin + "\r\n" + sep + "\r\n\r\nSee you, Bob\r\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// What is not a Teams block stays: separators around other text, an
// opening separator without its closing one, a block at two quote depths.
func TestCleanTeamsBlockKept(t *testing.T) {
	sep := strings.Repeat("_", 80)
	for _, in := range []string{
		"a\r\n" + sep + "\r\nMicrosoft Teams is down today\r\n" + sep + "\r\nb\r\n",
		"a\r\n" + sep + "\r\nMicrosoft Teams\r\nJoin <" + teamsJoin + ">\r\nmy notes\r\n",
		"a\r\n" + sep + "\r\nMicrosoft Teams\r\n> Join <" + teamsJoin + ">\r\n> " + sep + "\r\n" + sep + "\r\n",
	} {
		var out bytes.Buffer
		if err := Clean(&out, strings.NewReader(in), Options{}); err != nil {
			t.Fatal(err)
		}
		if out.String() != in {
			t.Errorf("got\n%q\nwant\n%q", out.String(), in)
		}
	}
}

func TestTeamsBlockLines(t *testing.T) {
	sep := strings.Repeat("_", 80)
	lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(teamsGerman, "\r\n", "\n"), "\n"), "\n")
	got := strings.Join(TeamsBlock(lines), "\n")
	want := "Hi Bob, agenda below.\n\n" + sep + "\n" + teamsJoin + "\n" + sep + "\n\nSee you, Bob"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
