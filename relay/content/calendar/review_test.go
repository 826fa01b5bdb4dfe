package calendar

import (
	"bytes"
	"strings"
	"testing"
)

// reviewID is a sender whose From display name is known (Identity.Names),
// as relay/anonymize passes it.
var reviewID = Identity{
	Address: "anonymous@leak.example",
	Name:    "A friend, anonymously",
	Sender:  []string{"alice@sender.example"},
	Names:   []string{"Alice Smith"},
}

// cleanWith runs Calendar with id and returns the unfolded output.
func cleanWith(t *testing.T, id Identity, in string) string {
	t.Helper()
	var out bytes.Buffer
	if err := Calendar(&out, strings.NewReader(crlf(in)), id); err != nil {
		t.Fatal(err)
	}
	checkLines(t, out.String())
	checkZones(t, out.String())
	return "\n" + unfold(out.Bytes())
}

// vevent wraps lines in a VEVENT of a calendar with method (none if "").
func vevent(method, lines string) string {
	m := ""
	if method != "" {
		m = "METHOD:" + method + "\n"
	}
	return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//x//y//EN\n" + m + "BEGIN:VEVENT\nUID:r1\nDTSTAMP:20261105T101530Z\nDTSTART:20261210T090000Z\n" +
		lines + "END:VEVENT\nEND:VCALENDAR\n"
}

// The leaks a reviewer confirmed by full rewrites, each as a calendar
// cleaned with a sender whose display name is known.
func TestReviewLeaks(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // whole lines of the unfolded output
		notWant []string // case-insensitive substrings
	}{
		{
			// RFC 7986 section 5.10 and RFC 9073 section 6.6: a picture
			// with its EXIF, a remote one that tells when the event is
			// looked at, a whole file.
			name: "IMAGE and STRUCTURED-DATA in a component",
			in: vevent("REQUEST", "ORGANIZER;CN=Alice Smith:mailto:alice@sender.example\n"+
				"IMAGE;VALUE=BINARY;ENCODING=BASE64;FMTTYPE=image/jpeg;DISPLAY=BADGE:/9j/4AAQSkZJRgABAQAAAQABAAD/4QFIRXhpZgAATU0AKgAAAAgABwEa\n"+
				"IMAGE;VALUE=URI;DISPLAY=BADGE;FMTTYPE=image/png:https://tracker.example/p.png?u=42\n"+
				"STRUCTURED-DATA;VALUE=BINARY;ENCODING=BASE64;FMTTYPE=application/pdf:JVBERi0xLjQKJUFsaWNl\n"+
				"STRUCTURED-DATA;VALUE=TEXT;FMTTYPE=application/ld+json;SCHEMA=\"https://schema.org/SportsEvent\":{\"@context\":\"http://schema.org\"}\n"+
				"CONFERENCE;VALUE=URI;FEATURE=PHONE,MODERATOR;LABEL=Moderator dial-in:tel:+1-412-555-0123,,,654321\n"),
			want:    []string{"CONFERENCE;VALUE=URI;FEATURE=PHONE,MODERATOR;LABEL=\"Moderator dial-in\":tel:+1-412-555-0123,,,654321"},
			notWant: []string{"IMAGE", "tracker.example", "STRUCTURED-DATA", "JVBER", "schema.org"},
		},
		{
			// A zone's properties outside a VTIMEZONE (FuzzCalendar's find
			// in CI of ddc043d): strays that name the zone as written.
			name:    "zone properties outside a VTIMEZONE",
			in:      strings.Replace(vevent("REQUEST", "TZNAME:CEST\nTZID:Europe/Warsaw\nSUMMARY:KEEP\n"), "BEGIN:VEVENT", "TZID:Europe/Warsaw\nTZURL:http://tzurl.org/zoneinfo/Europe/Warsaw\nBEGIN:VEVENT", 1),
			want:    []string{"SUMMARY:KEEP"},
			notWant: []string{"Warsaw", "CEST", "tzurl"},
		},
		{
			// RFC 9074 section 6: when the sender dismissed the alarm.
			name:    "ACKNOWLEDGED in an alarm",
			in:      vevent("REQUEST", "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT5M\nDESCRIPTION:Reminder\nACKNOWLEDGED:20261209T085012Z\nEND:VALARM\n"),
			want:    []string{"TRIGGER:-PT5M", "DESCRIPTION:Reminder"},
			notWant: []string{"ACKNOWLEDGED", "20261209T085012Z"},
		},
		{
			// An export without METHOD: the organizer is the sender by
			// name, under their private address.
			name:    "export, organizer by name",
			in:      vevent("", "ORGANIZER;CN=\"Alice Smith\":mailto:alice.smith@gmail.com\nATTENDEE;CN=Bob:mailto:bob@example.com\n"),
			want:    []string{"ORGANIZER;CN=\"A friend, anonymously\":mailto:anonymous@leak.example", "ATTENDEE;CN=\"Bob\":mailto:bob@example.com"},
			notWant: []string{"Alice", "Smith", "gmail"},
		},
		{
			name: "request, the sender invites their private address",
			in: vevent("REQUEST", "ATTENDEE;CN=Bob:mailto:bob@example.com\nATTENDEE;CN=\"Smith, Alice\":mailto:alice.smith@gmail.com\n"+
				"ORGANIZER;CN=\"Alice Smith\":mailto:alice@sender.example\n"),
			want:    []string{"ORGANIZER;CN=\"A friend, anonymously\":mailto:anonymous@leak.example", "ATTENDEE;CN=\"Bob\":mailto:bob@example.com"},
			notWant: []string{"Alice", "Smith", "gmail"},
		},
		{
			name: "reply from the private address, told by name",
			in: vevent("REPLY", "ORGANIZER:mailto:bob@example.com\nATTENDEE;PARTSTAT=ACCEPTED;CN=Alice Smith:mailto:alice.smith@gmail.com\n"+
				"ATTENDEE;PARTSTAT=NEEDS-ACTION;CN=Carol:mailto:carol@example.org\n"),
			want:    []string{"ATTENDEE;PARTSTAT=ACCEPTED;CN=\"A friend, anonymously\":mailto:anonymous@leak.example", "ATTENDEE;PARTSTAT=NEEDS-ACTION;CN=\"Carol\":mailto:carol@example.org"},
			notWant: []string{"Alice", "gmail"},
		},
		{
			name: "name in the other order, and TEXT-escaped",
			in: vevent("REQUEST", "ORGANIZER;CN=\"Smith, Alice\":mailto:alice@sender.example\n"+
				"DESCRIPTION:Alice Smith is inviting you to a scheduled Zoom meeting.\\nOrganizer: Smith\\, Alice\n"+
				"SUMMARY:Call with ALICE  SMITH\nCOMMENT:Smith\\, Alice (sales)\nLOCATION:Alice Smith's office\n"),
			want: []string{
				`DESCRIPTION:A friend\, anonymously is inviting you to a scheduled Zoom meeting.\nOrganizer: A friend\, anonymously`,
				`SUMMARY:Call with A friend\, anonymously`, `COMMENT:A friend\, anonymously (sales)`,
				`LOCATION:A friend\, anonymously's office`,
			},
			notWant: []string{"Alice", "Smith"},
		},
		{
			// No organizer or attendee gives the name: the From display
			// name does.
			name: "todo without an organizer",
			in: "BEGIN:VCALENDAR\nMETHOD:PUBLISH\nDESCRIPTION:Alice Smith's team calendar\nBEGIN:VTODO\nUID:x7\nDTSTAMP:20261105T101530Z\n" +
				"SUMMARY:Send Alice Smith's expense report\nDESCRIPTION:Smith\\, Alice asked for it\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT5M\n" +
				"DESCRIPTION:Alice Smith's report\nEND:VALARM\nEND:VTODO\nBEGIN:VJOURNAL\nUID:j\nDESCRIPTION:notes by alice smith\nEND:VJOURNAL\nEND:VCALENDAR\n",
			want: []string{`SUMMARY:Send A friend\, anonymously's expense report`, `DESCRIPTION:A friend\, anonymously asked for it`,
				`DESCRIPTION:A friend\, anonymously's team calendar`, `DESCRIPTION:notes by A friend\, anonymously`},
			notWant: []string{"Alice", "Smith"},
		},
		{
			// Names match as whole words only.
			name:    "a longer word is no name",
			in:      vevent("REQUEST", "DESCRIPTION:Alice Smithson and Malice Smith\n"),
			want:    []string{"DESCRIPTION:Alice Smithson and Malice Smith"},
			notWant: []string{"friend"},
		},
		{
			// RFC 9073 section 7.1: a participant is an attendee by its
			// CALENDAR-ADDRESS.
			name: "PARTICIPANT at the sender's domain, and the sender's own",
			in: vevent("REQUEST", "ORGANIZER;CN=\"Alice Smith\":mailto:alice@sender.example\n"+
				"BEGIN:PARTICIPANT\nCALENDAR-ADDRESS:mailto:carol.white@sender.example\nPARTICIPANT-TYPE:SPEAKER\nSUMMARY:Carol White\\, Head of Legal\\, SenderCorp\nUID:part-1\nEND:PARTICIPANT\n"+
				"BEGIN:PARTICIPANT\nCALENDAR-ADDRESS:mailto:Alice@Sender.Example\nPARTICIPANT-TYPE:CHAIR\nDESCRIPTION:Head of Sales\nUID:part-2\nEND:PARTICIPANT\n"+
				"BEGIN:PARTICIPANT\nCALENDAR-ADDRESS:mailto:dan@guest.example\nPARTICIPANT-TYPE:SPEAKER\nSUMMARY:Dan\nUID:part-3\nEND:PARTICIPANT\n"),
			want:    []string{"CALENDAR-ADDRESS:mailto:dan@guest.example", "SUMMARY:Dan"},
			notWant: []string{"Carol", "SenderCorp", "Head of Sales", "sender.example"},
		},
		{
			name: "attendee at a subdomain of the sender's",
			in: vevent("REQUEST", "ORGANIZER;CN=Alice Smith:mailto:alice@sender.example\nATTENDEE;CN=\"Carol White\":mailto:carol@eu.sender.example\n"+
				"ATTENDEE;CN=Dan:mailto:dan@notsender.example\n"),
			want:    []string{"ATTENDEE;CN=\"Dan\":mailto:dan@notsender.example"},
			notWant: []string{"Carol", "eu.sender.example"},
		},
		{
			// Google Workspace rooms carry the domain in their local part,
			// and LOCATION repeats the room's name after its building's
			// address. In an invitation the sender organizes every room
			// is theirs: one named after another domain (their
			// organisation's primary one) goes too.
			name: "Google Workspace room",
			in: vevent("REQUEST", "ORGANIZER;CN=Alice Smith:mailto:alice@sender.example\n"+
				"ATTENDEE;CUTYPE=RESOURCE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=ICDPF PA Office-2-PA Huddle Room (4):mailto:sender.example_3930373732373138393839@resource.calendar.google.com\n"+
				"ATTENDEE;CUTYPE=RESOURCE;CN=Berlin-HQ-4-Raum 412 (8):mailto:eu.sender.example_3130@resource.calendar.google.com\n"+
				"ATTENDEE;CN=Team calendar:mailto:c_1a2b3c4d5e@group.calendar.google.com\n"+
				"ATTENDEE;CUTYPE=RESOURCE;CN=Their room:mailto:other.example_3130@resource.calendar.google.com\n"+
				"ATTENDEE;CN=Dan:mailto:dan@guest.example\n"+
				"LOCATION:Profound Technologies\\, 125 Little Conestoga Rd\\, Chester Springs\\, PA 19425\\, USA\\, ICDPF PA Office-2-PA Huddle Room (4)\n"),
			want:    []string{"ATTENDEE;CN=\"Dan\":mailto:dan@guest.example"},
			notWant: []string{"Huddle", "sender.example_", "Raum 412", "group.calendar", "Profound", "Conestoga", "LOCATION", "Their room", "other.example"},
		},
		{
			// Google splits a room's generated name (building-floor-room)
			// to write the building's address after the building's name;
			// a room of a new Workspace (c_…) names no domain.
			name: "Google room with the building's address inside its name",
			in: vevent("REQUEST", "ORGANIZER;CN=Alice Smith:mailto:alice@sender.example\n"+
				"ATTENDEE;CUTYPE=RESOURCE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Warsaw Office-3-Kasztan (8) [TV];X-NUM-GUESTS=0:mailto:c_1882f0e4a1b2c3d4e5f6a7b8@resource.calendar.google.com\n"+
				"LOCATION:Warsaw Office\\, Złota 59\\, 00-120 Warszawa\\, Poland-3-Kasztan (8) [TV]\n"),
			notWant: []string{"LOCATION", "Warsaw", "Złota", "Kasztan", "resource.calendar"},
		},
		{
			// What another client lists after the room, or the sender
			// typed after it, stays.
			name: "text after the rooms stays",
			in: vevent("REQUEST", "ORGANIZER;CN=Alice Smith:mailto:alice@sender.example\n"+
				"ATTENDEE;CUTYPE=ROOM;CN=Meeting room Kiel 2:mailto:room.kiel2@rooms.sender-group.example\n"+
				"ATTENDEE;CUTYPE=RESOURCE;CN=Warsaw Office-3-Kasztan (8) [TV]:mailto:c_1882f0e4@resource.calendar.google.com\n"+
				"LOCATION:Warsaw Office\\, Złota 59\\, 00-120 Warszawa\\, Poland-3-Kasztan (8) [TV]\\, Meeting room Kiel 2\\; Café Morgenrot\n"),
			want:    []string{"LOCATION:Café Morgenrot"},
			notWant: []string{"Warsaw", "Kiel", "Kasztan"},
		},
		{
			// In a reply the organizer is the recipient: their room and
			// their LOCATION stay; a room at the sender's domain goes.
			name: "reply keeps the organizer's room",
			in: vevent("REPLY", "ORGANIZER;CN=Bob:mailto:bob@example.com\n"+
				"ATTENDEE;PARTSTAT=ACCEPTED;CN=Alice Smith:mailto:alice@sender.example\n"+
				"ATTENDEE;CUTYPE=RESOURCE;CN=Bob Office-1-Oak (6):mailto:c_77aa@resource.calendar.google.com\n"+
				"ATTENDEE;CUTYPE=RESOURCE;CN=Berlin-HQ-4-Raum 412 (8):mailto:sender.example_3130@resource.calendar.google.com\n"+
				"LOCATION:Bob Office\\, 1 Main St-1-Oak (6)\n"),
			want:    []string{"ATTENDEE;CUTYPE=RESOURCE;CN=\"Bob Office-1-Oak (6)\":mailto:c_77aa@resource.calendar.google.com", `LOCATION:Bob Office\, 1 Main St-1-Oak (6)`},
			notWant: []string{"Raum 412", "sender.example_"},
		},
		{
			name: "a LOCATION that is only the room goes",
			in: vevent("REQUEST", "LOCATION:Berlin-HQ-4-Raum 412 (8)\n"+
				"ATTENDEE;CUTYPE=RESOURCE;CN=Berlin-HQ-4-Raum 412 (8):mailto:sender.example_3130@resource.calendar.google.com\n"),
			notWant: []string{"LOCATION", "Raum 412"},
		},
		{
			// URL (RFC 5545 section 3.8.4.6) and any URI at the sender's
			// domain or below it, in any component and the calendar
			// itself, as an attendee there is found; others stay.
			name: "URIs at the sender's domain",
			in: strings.Replace(vevent("REQUEST", "ORGANIZER;CN=Alice Smith:mailto:alice@sender.example\n"+
				"URL:https://mail.sender.example/owa/calendar/4f1c3b@sender.example/9a8b/calendar.html\n"+
				"CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://meet.sender.example/sales-weekly\n"+
				"CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://meet.jit.si/sales-weekly\n"+
				"LINK;VALUE=URI;LINKREL=related:https://wiki.sender.example/x\n"+
				"CONCEPT:https://Taxonomy.SENDER.example./sales\n"+
				"LOCATION;ALTREP=\"https://rooms.sender.example/4\":Room 4\n"+
				"DESCRIPTION;ALTREP=\"https://notsender.example/d\":Agenda\n"),
				"END:VCALENDAR", "BEGIN:VFREEBUSY\nUID:fb1\nDTSTAMP:20261105T101530Z\nURL:https://calendar.eu.sender.example/freebusy/alice.ifb\nEND:VFREEBUSY\n"+
					"END:VCALENDAR", 1),
			want: []string{"CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://meet.jit.si/sales-weekly", "LOCATION:Room 4",
				`DESCRIPTION;ALTREP="https://notsender.example/d":Agenda`},
			notWant: []string{".sender.example", "LINK", "CONCEPT", "ALTREP=\"https://rooms"},
		},
		{
			// Outlook's Teams block in DESCRIPTION, labelled in the
			// organizer's Teams language (German under an English
			// invitation), becomes its join link, as in the HTML and
			// text parts (text.TeamsBlock).
			name: "Teams block in the organizer's language",
			in: vevent("REQUEST", "ORGANIZER;CN=Alice Smith:mailto:alice@sender.example\n"+
				"DESCRIPTION;LANGUAGE=en-US:Agenda below.\\n\\n"+strings.Repeat("_", 80)+"\\nMicrosoft Teams Benötigen Sie Hilfe?<https://aka.ms/JoinTeamsMeeting?omkt=de-DE>\\n"+
				"Besprechung jetzt beitreten<https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ5%40thread.v2/0?context=%7b%22Tid%22%3a%22a1b2%22%2c%22Oid%22%3a%22f00d%22%7d>\\n"+
				"Besprechungs-ID: 362 814 558 203\\nKennung: Xy7Gh2\\n"+strings.Repeat("_", 32)+"\\nEinwahl per Telefon\\n+49 69 365052751\\,\\,123456789# Deutschland\\, Frankfurt am Main\\n"+
				"Für Organisatoren: Besprechungsoptionen<https://teams.microsoft.com/meetingOptions/?organizerId=f00d&tenantId=a1b2> | Systemreferenz<https://teams.microsoft.com/l/meeting-join-help?omkt=de-DE>\\n"+
				strings.Repeat("_", 80)+"\\n\\nThanks\n"),
			want:    []string{`DESCRIPTION:Agenda below.\n\n` + strings.Repeat("_", 80) + `\nhttps://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ5%40thread.v2/0\n` + strings.Repeat("_", 80) + `\n\nThanks`},
			notWant: []string{"Benötigen", "Besprechung", "Kennung", "Einwahl", "Frankfurt", "Systemreferenz", "omkt", "a1b2", "f00d"},
		},
		{
			// Personal meeting rooms hold the sender's local part in
			// their path; they cannot be rewritten and still work.
			name: "Webex and Zoom personal rooms",
			in: vevent("REQUEST", "ORGANIZER;CN=Alice Smith:mailto:alice@sender.example\nLOCATION:https://sendercorp.webex.com/meet/alice\n"+
				"DESCRIPTION:Join: https://sendercorp.webex.com/meet/alice\\nZoom alt: https://sendercorp.zoom.us/my/alice.smith\\nOther: https://zoom.us/j/98765?pwd=alicex\n"+
				"CONFERENCE;VALUE=URI;FEATURE=VIDEO:https://sendercorp.zoom.us/my/alice.smith\n"),
			want:    []string{`DESCRIPTION:Join: \nZoom alt: \nOther: https://zoom.us/j/98765?pwd=alicex`},
			notWant: []string{"meet/alice", "my/alice", "CONFERENCE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cleanWith(t, reviewID, tt.in)
			for _, w := range tt.want {
				if !strings.Contains(got, "\n"+w+"\n") {
					t.Errorf("output lacks line %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
					t.Errorf("output holds %q:\n%s", w, got)
				}
			}
			again := cleanWith(t, reviewID, strings.ReplaceAll(got[1:], "\r\n", "\n"))
			if withoutUIDs(again) != withoutUIDs(got) {
				t.Errorf("second pass differs:\n%s\nthen\n%s", got, again)
			}
		})
	}
}

// A sender at a public mail provider is no colleague of everyone there.
func TestPublicProviderDomain(t *testing.T) {
	id := reviewID
	id.Sender = []string{"alice.smith@gmail.com"}
	got := cleanWith(t, id, vevent("REQUEST", "ORGANIZER;CN=Alice Smith:mailto:alice.smith@gmail.com\n"+
		"ATTENDEE;CN=Bob:mailto:bob@corp.gmail.com\n"))
	if !strings.Contains(got, "\nATTENDEE;CN=\"Bob\":mailto:bob@corp.gmail.com\n") {
		t.Errorf("an attendee below a public provider's domain was dropped:\n%s", got)
	}
}
