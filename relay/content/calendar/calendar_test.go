package calendar

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"leak/relay/content/refusal"
)

var testID = Identity{
	Address: "anonymous@leak.example",
	Name:    "A friend, anonymously",
	Sender:  []string{"t.kowalczyk@kowalczyk-arch.example", "tomasz@mail.example"},
}

func init() {
	now = func() time.Time { return time.Date(2026, 12, 5, 7, 8, 9, 0, time.UTC) }
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func run(t *testing.T, in string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := Calendar(&out, strings.NewReader(crlf(in)), testID)
	return out.String(), err
}

func TestCalendar(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // substrings of the output
		notWant []string // case-insensitive
		refusal refusal.Kind
	}{
		{
			name: "request organizer",
			in: `BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
METHOD:REQUEST
X-MS-OLK-FORCEINSPECTOROPEN:TRUE
BEGIN:VEVENT
ORGANIZER;CN="Kowalczyk, Tomasz";SENT-BY="mailto:assistant@kowalczyk-arch.example":mailto:t.kowalczyk@kowalczyk-arch.example
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Bob:mailto:bob@example.com
ATTENDEE;CN=Ewa Nowak;DIR="ldap://kowalczyk-arch.example/cn=ewa":mailto:ewa@kowalczyk-arch.example
UID:040000008200E00074C5B7101A82E00800000000
DTSTAMP:20261103T081422Z
CREATED:20261101T101010Z
LAST-MODIFIED:20261103T081422Z
SUMMARY:Design review
DESCRIPTION:Agenda: write to t.kowalczyk@kowalczyk-arch.example
ATTACH:https://kowalczyk-arch.example/sharepoint/plan.pdf
X-MICROSOFT-CDO-BUSYSTATUS:BUSY
DTSTART:20261112T130000Z
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Reminder
TRIGGER:-PT15M
END:VALARM
END:VEVENT
END:VCALENDAR
`,
			want: []string{
				"PRODID:-//Leak//Leak//EN\r\n",
				"ORGANIZER;CN=\"A friend, anonymously\":mailto:anonymous@leak.example\r\n",
				"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=\"Bob\":mailto:bob@example.com\r\n",
				"DTSTAMP:20261205T070800Z\r\n",
				"SUMMARY:Design review\r\n",
				"DESCRIPTION:Agenda: write to anonymous@leak.example\r\n",
				"BEGIN:VALARM\r\n", "TRIGGER:-PT15M\r\n", "METHOD:REQUEST\r\n",
			},
			notWant: []string{"kowalczyk", "ewa", "X-M", "CREATED", "LAST-MODIFIED", "ATTACH", "040000008200E0007", "Outlook"},
		},
		{
			name: "google reply",
			in: `BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
METHOD:REPLY
BEGIN:VEVENT
ORGANIZER;CN=Bob:mailto:bob@example.com
UID:7q1k3m9v2c8b0n5x4z6l@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Tomasz Kowalczyk;X-NUM-GUESTS=0:mailto:t.kowalczyk@kowalczyk-arch.example
DESCRIPTION:Tomasz Kowalczyk has accepted this invitation.
SUMMARY:Design review
END:VEVENT
END:VCALENDAR
`,
			want: []string{
				"ORGANIZER;CN=\"Bob\":mailto:bob@example.com\r\n",
				"UID:7q1k3m9v2c8b0n5x4z6l@google.com\r\n",
				"ATTENDEE;PARTSTAT=ACCEPTED;CN=\"A friend, anonymously\":mailto:anonymous@leak.example\r\n",
				"DESCRIPTION:A friend\\, anonymously has accepted this invitation.\r\n",
			},
			notWant: []string{"kowalczyk", "Google Calendar", "X-NUM"},
		},
		{
			// The fuzzer's find (CI of baa1874): a reply keeps the
			// organizer's UID, unless it holds the sender's address.
			name: "reply whose UID holds the sender's address",
			in: `BEGIN:VCALENDAR
METHOD:REPLY
BEGIN:VEVENT
ORGANIZER:mailto:bob@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:tomasz@mail.example
UID:20261101T090000Z-4411-Tomasz@Mail.example
RELATED-TO:parent-tomasz%40mail.example
END:VEVENT
END:VCALENDAR
`,
			want:    []string{"@leak.example\r\n", "ATTENDEE;PARTSTAT=ACCEPTED"},
			notWant: []string{"tomasz", "4411", "parent-"},
		},
		{
			name: "reply from another address, only attendee with partstat",
			in: `BEGIN:VCALENDAR
METHOD:REPLY
BEGIN:VEVENT
ORGANIZER:mailto:bob@example.com
ATTENDEE;PARTSTAT=DECLINED;CN=Tom K:mailto:tk@other.example
ATTENDEE;CN=Delegate:mailto:d@third.example
UID:abc
END:VEVENT
END:VCALENDAR
`,
			want:    []string{"ATTENDEE;PARTSTAT=DECLINED;CN=\"A friend, anonymously\":mailto:anonymous@leak.example\r\n", "mailto:d@third.example"},
			notWant: []string{"tk@other", "Tom K"},
		},
		{
			name: "counter without a recognisable proposer",
			in: `BEGIN:VCALENDAR
METHOD:COUNTER
BEGIN:VEVENT
ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@one.example
ATTENDEE;PARTSTAT=TENTATIVE:mailto:b@two.example
END:VEVENT
END:VCALENDAR
`,
			refusal: refusal.Identifying,
		},
		{
			name: "quoted params, folding, apple props",
			in: `BEGIN:VCALENDAR
X-WR-CALNAME:Tomasz private
X-APPLE-CALENDAR-COLOR:#FF2968
BEGIN:VEVENT
UID:1
RECURRENCE-ID:20261112T130000Z
SUMMARY;ALTREP="cid:part1.0001@example.org":Long summary with a quoted ; and a
  fold and ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé
X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-TITLE="Home: 1 Main St":geo:1,2
END:VEVENT
BEGIN:VEVENT
UID:1
END:VEVENT
END:VCALENDAR
`,
			want:    []string{"SUMMARY;ALTREP=\"cid:part1.0001@example.org\":Long summary with a quoted ; and a fold"},
			notWant: []string{"Tomasz", "APPLE", "Home:"},
		},
		{name: "no calendar", in: "BEGIN:VCARD\nEND:VCARD\n", refusal: refusal.Malformed},
		{name: "unbalanced", in: "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VTODO\nEND:VCALENDAR\n", refusal: refusal.Malformed},
		{name: "unterminated", in: "BEGIN:VCALENDAR\nBEGIN:VEVENT\n", refusal: refusal.Malformed},
		{name: "bad line", in: "BEGIN:VCALENDAR\nNOCOLON\nEND:VCALENDAR\n", refusal: refusal.Malformed},
		{name: "unterminated quote", in: "BEGIN:VCALENDAR\nX;A=\"b:c\nEND:VCALENDAR\n", refusal: refusal.Malformed},
		{name: "empty", in: "", refusal: refusal.Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.in)
			if tt.refusal != 0 {
				r, ok := refusal.As(err)
				if !ok || r.Kind != tt.refusal {
					t.Fatalf("err = %v, want refusal %v", err, tt.refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			unfolded := strings.ReplaceAll(out, "\r\n ", "")
			for _, w := range tt.want {
				if !strings.Contains(unfolded, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(strings.ToLower(unfolded), strings.ToLower(w)) {
					t.Errorf("output holds %q:\n%s", w, out)
				}
			}
			checkLines(t, out)
		})
	}
}

// checkLines checks the output's physical lines: CRLF, at most 75 octets.
func checkLines(t *testing.T, out string) {
	t.Helper()
	if !strings.HasSuffix(out, "\r\n") {
		t.Errorf("output does not end in CRLF")
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(l) > foldAt {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("bare CR or LF in %q", l)
		}
	}
}

func TestUIDStable(t *testing.T) {
	out, err := run(t, "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nUID:x@y\nEND:VEVENT\nBEGIN:VEVENT\nUID:x@y\nRECURRENCE-ID:20260101T000000Z\nEND:VEVENT\nBEGIN:VTODO\nUID:other\nEND:VTODO\nEND:VCALENDAR\n")
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, l := range strings.Split(out, "\r\n") {
		if v, ok := strings.CutPrefix(l, "UID:"); ok {
			uids = append(uids, v)
		}
	}
	if len(uids) != 3 || uids[0] != uids[1] || uids[0] == uids[2] || strings.Contains(out, "x@y") {
		t.Errorf("uids = %q", uids)
	}
	out2, _ := run(t, "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x@y\nEND:VEVENT\nEND:VCALENDAR\n")
	if strings.Contains(out2, uids[0]) {
		t.Errorf("UID repeated across calls without a UIDKey")
	}
}

func TestFold(t *testing.T) {
	for _, s := range []string{"", "a", strings.Repeat("x", 75), strings.Repeat("x", 76), strings.Repeat("é", 100), strings.Repeat("a€", 60)} {
		var b bytes.Buffer
		if err := writeFolded(&b, s); err != nil {
			t.Fatal(err)
		}
		checkLines(t, b.String())
		lr := newLineReader(&b)
		got, _, err := lr.read()
		if err != nil || got != s {
			t.Errorf("round trip of %q = %q, %v", s, got, err)
		}
	}
}

func TestLineTooLong(t *testing.T) {
	in := "BEGIN:VCALENDAR\r\nDESCRIPTION:" + strings.Repeat("a", maxLine) + "\r\nEND:VCALENDAR\r\n"
	err := Calendar(&bytes.Buffer{}, strings.NewReader(in), testID)
	if r, ok := refusal.As(err); !ok || r.Kind != refusal.Malformed {
		t.Errorf("err = %v", err)
	}
}

func TestEncodedAddress(t *testing.T) {
	// Google's event link carries base64 of the calendar's address.
	in := "BEGIN:VCALENDAR\nBEGIN:VEVENT\nURL:https://calendar.example/event?eid=N2sxIHQua293YWxjenlrQGtvd2FsY3p5ay1hcmNoLmV4YW1wbGU\nDESCRIPTION:Join: https://meet.example/abc-def View: https://calendar.example/event?tok=MTAjdC5rb3dhbGN6eWtAa293YWxjenlrLWFyY2guZXhhbXBsZWFiYw more\nEND:VEVENT\nEND:VCALENDAR\n"
	out, err := run(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "URL:") || strings.Contains(out, "tok=") || !strings.Contains(out, "https://meet.example/abc-def View:  more") {
		t.Errorf("output:\n%s", out)
	}
}

func TestBOMAndPadding(t *testing.T) {
	out, err := run(t, "\uFEFFBEGIN:VCALENDAR\nBEGIN:vevent \nSUMMARY:x\nEND:VEVENT\nend:vcalendar\n")
	if err != nil || !strings.Contains(out, "BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n") {
		t.Errorf("%q, %v", out, err)
	}
}

func TestNoName(t *testing.T) {
	id := testID
	id.Name = ""
	var out bytes.Buffer
	in := crlf("BEGIN:VCALENDAR\nMETHOD:PUBLISH\nBEGIN:VEVENT\nORGANIZER;CN=X:mailto:x@y.example\nEND:VEVENT\nEND:VCALENDAR\n")
	if err := Calendar(&out, strings.NewReader(in), id); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\r\nORGANIZER:mailto:anonymous@leak.example\r\n") {
		t.Errorf("output:\n%s", out.String())
	}
}

// The sender's address in another case is replaced even in a description
// whose lower-case form has another length (a Turkish İ).
func TestAddressInAnyCase(t *testing.T) {
	in := "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Meet\nDESCRIPTION:İstanbul office: write to T.KOWALCZYK@KOWALCZYK-ARCH.EXAMPLE\nEND:VEVENT\nEND:VCALENDAR\n"
	out, err := run(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(out), "t.kowalczyk@kowalczyk-arch.example") || !strings.Contains(out, "İstanbul office: write to anonymous@leak.example") {
		t.Errorf("output:\n%s", out)
	}
}

// LANGUAGE (RFC 5545 section 3.2.10) is the locale of the sender's client.
func TestLanguageParam(t *testing.T) {
	in := "BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nSUMMARY;LANGUAGE=en-GB:Numbers sync\nLOCATION;LANGUAGE=en-GB;ALTREP=\"https://rooms.example/4\":Room 4\nCOMMENT;LANGUAGE=de:Hallo\nEND:VEVENT\nEND:VCALENDAR\n"
	out, err := run(t, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\r\nSUMMARY:Numbers sync\r\n", "\r\nLOCATION;ALTREP=\"https://rooms.example/4\":Room 4\r\n", "\r\nCOMMENT:Hallo\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "LANGUAGE") {
		t.Errorf("LANGUAGE survived:\n%s", out)
	}
}

// Teams join links carry the organizer's Entra ID object id (Oid) in their
// context parameter; the link must still lead to the meeting.
func TestTeamsContext(t *testing.T) {
	const (
		join    = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ5ZTc0YjQtYzE0Ni00Y2U4LWE1NjctZDU2ZGM3ZjU0YWFi%40thread.v2/0"
		context = "context=%7b%22Tid%22%3a%22a1b2c3d4-0000-4000-8000-000000000001%22%2c%22Oid%22%3a%22f00dfeed-1234-4abc-9def-0123456789ab%22%7d"
		raw     = `context={"Tid":"a1b2c3d4-0000-4000-8000-000000000001"\,"Oid":"f00dfeed-1234-4abc-9def-0123456789ab"}`
	)
	tests := []struct {
		name, in, want string
	}{
		{"text, folded", "DESCRIPTION:Hi Bob\\n\\nMicrosoft Teams meeting\\nJoin: " + join + "?" + context + "\\nMeeting ID: 123",
			"DESCRIPTION:Hi Bob\\n\\nMicrosoft Teams meeting\\nJoin: " + join + "\\nMeeting ID: 123"},
		{"angle brackets, upper case", "DESCRIPTION:Click here to join the meeting<" + join + "?" + strings.ToUpper(context) + ">",
			"DESCRIPTION:Click here to join the meeting<" + join + ">"},
		{"decoded JSON", "DESCRIPTION:Join: " + join + "?" + raw + " now", "DESCRIPTION:Join: " + join + " now"},
		{"other parameters stay", "LOCATION:" + join + "?" + context + "&anon=true", "LOCATION:" + join + "?anon=true"},
		{"after another parameter", "URL:" + join + "?anon=true&" + context, "URL:" + join + "?anon=true"},
		{"meeting options", "DESCRIPTION:Learn More<https://aka.ms/JoinTeamsMeeting> | Meeting options<https://teams.microsoft.com/meetingOptions/?organizerId=f00dfeed-1234-4abc-9def-0123456789ab&tenantId=a1b2c3d4-0000-4000-8000-000000000001&threadId=19_meeting_NzQ5@thread.v2&messageId=0&language=en-US>",
			"DESCRIPTION:Learn More<https://aka.ms/JoinTeamsMeeting> | Meeting options<>"},
		{"cut short", "DESCRIPTION:Join: " + join + "?context=%7b%22Oid%22%3a%22f00dfeed-1234-4abc-9def-0123456789ab end", "DESCRIPTION:Join:  end"},
		// The dial-in link's path is the organisation's id; the help
		// link's omkt the organizer's language.
		{"find a local number", "DESCRIPTION:Find a local number<https://dialin.teams.microsoft.com/8551f4c1-bea3-441a-8738-69aa517a91c5?id=766918553>\\nReset dial-in PIN<https://dialin.teams.microsoft.com/usp/pstnconferencing>",
			"DESCRIPTION:Find a local number<https://dialin.teams.microsoft.com/>\\nReset dial-in PIN<https://dialin.teams.microsoft.com/>"},
		{"help link's market", "DESCRIPTION:Benötigen Sie Hilfe?<https://aka.ms/JoinTeamsMeeting?omkt=de-DE> | x<https://aka.ms/x?a=1&OMKT=de-DE&b=2>",
			"DESCRIPTION:Benötigen Sie Hilfe?<https://aka.ms/JoinTeamsMeeting> | x<https://aka.ms/x?a=1&b=2>"},
		{"other contexts stay", "DESCRIPTION:https://app.example/x?context=%7bsearch%7d", "DESCRIPTION:https://app.example/x?context=%7bsearch%7d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var folded bytes.Buffer
			if err := writeFolded(&folded, tt.in); err != nil {
				t.Fatal(err)
			}
			in := "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n" + folded.String() + "END:VEVENT\r\nEND:VCALENDAR\r\n"
			var out bytes.Buffer
			if err := Calendar(&out, strings.NewReader(in), testID); err != nil {
				t.Fatal(err)
			}
			got := unfold(out.Bytes())
			if !strings.Contains(got, "\n"+tt.want+"\n") {
				t.Errorf("got\n%s\nwant line %q", got, tt.want)
			}
			if l := strings.ToLower(got); strings.Contains(l, "f00dfeed") || strings.Contains(l, "8551f4c1") || strings.Contains(l, "omkt") {
				t.Errorf("the organizer's Oid survived:\n%s", got)
			}
		})
	}
}
