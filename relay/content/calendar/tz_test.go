package calendar

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"leak/relay/content/refusal"
)

// Time zones as clients write them.
const (
	outlookZone = `BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
`
	// German Outlook names the zone after its cities, and Exchange
	// escapes the commas of the TEXT value.
	germanZone = `BEGIN:VTIMEZONE
TZID:(UTC+01:00) Amsterdam\, Berlin\, Bern\, Rom\, Stockholm\, Wien
BEGIN:STANDARD
DTSTART:16011028T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:Mitteleuropäische Zeit
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:Mitteleuropäische Sommerzeit
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
`
	googleZone = `BEGIN:VTIMEZONE
TZID:Europe/Warsaw
X-LIC-LOCATION:Europe/Warsaw
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
`
	appleZone = `BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
DTSTART:19810329T020000
TZNAME:CEST
TZOFFSETTO:+0200
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
DTSTART:19961027T030000
TZNAME:CET
TZOFFSETTO:+0100
END:STANDARD
END:VTIMEZONE
`
	// A zone with its history, as tzurl.org and Thunderbird write them:
	// the United States' rules before and after 2007, with UNTIL.
	historyZone = `BEGIN:VTIMEZONE
TZID:America/New_York
LAST-MODIFIED:20050809T050000Z
TZURL:http://tzurl.org/zoneinfo/America/New_York
BEGIN:DAYLIGHT
DTSTART:19870405T020000
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:19671029T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061029T060000Z
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20070311T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20071104T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
END:STANDARD
END:VTIMEZONE
`
)

// event returns a calendar with one VEVENT of the given lines and zone
// components around it.
func event(method, before, lines, after string) string {
	return "BEGIN:VCALENDAR\nPRODID:-//x//y//EN\nVERSION:2.0\nMETHOD:" + method + "\n" + before +
		"BEGIN:VEVENT\nUID:e1\nDTSTAMP:20261105T101530Z\nSUMMARY:Review\n" + lines + "END:VEVENT\n" + after + "END:VCALENDAR\n"
}

// tzSecrets are the zone names and TZNAMEs of the calendars above, which
// must not reach the recipient.
var tzSecrets = []string{"W. Europe", "Europe/Warsaw", "Europe/Berlin", "Amsterdam", "Mitteleurop", "CEST", "New_York",
	"X-LIC", "TZNAME", "TZURL", "LAST-MODIFIED"}

func TestTimeZones(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // whole lines of the unfolded output
		notWant []string // case-sensitive substrings, beside tzSecrets
		refusal refusal.Kind
	}{
		{
			name: "outlook, winter",
			in: event("REQUEST", outlookZone,
				"DTSTART;TZID=W. Europe Standard Time:20261210T100000\nDTEND;TZID=W. Europe Standard Time:20261210T113000\n", ""),
			want:    []string{"DTSTART:20261210T090000Z", "DTEND:20261210T103000Z"},
			notWant: []string{"VTIMEZONE", "TZID"},
		},
		{
			name: "outlook, summer",
			in: event("REQUEST", outlookZone,
				"DTSTART;TZID=\"W. Europe Standard Time\":20260715T100000\nDTEND;TZID=\"W. Europe Standard Time\":20260715T110000\n", ""),
			want:    []string{"DTSTART:20260715T080000Z", "DTEND:20260715T090000Z"},
			notWant: []string{"VTIMEZONE", "TZID"},
		},
		{
			name: "german outlook",
			in: event("REQUEST", germanZone,
				"DTSTART;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien\":20261119T140000\n"+
					"DTEND;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien\":20260601T150000\n", ""),
			want:    []string{"DTSTART:20261119T130000Z", "DTEND:20260601T130000Z"},
			notWant: []string{"VTIMEZONE", "TZID", "UTC+01:00"},
		},
		{
			// Outlook 2003 named zones so, and left the parameter's
			// commas unquoted; they split it into values, which join
			// again.
			name: "old outlook, commas unquoted",
			in: event("REQUEST", strings.Replace(outlookZone, "W. Europe Standard Time", "Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", 1),
				"DTSTART;TZID=Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna:20261119T140000\n", ""),
			want:    []string{"DTSTART:20261119T130000Z"},
			notWant: []string{"VTIMEZONE", "TZID", "Vienna"},
		},
		{
			name: "google",
			in: event("REQUEST", googleZone,
				"DTSTART;TZID=Europe/Warsaw:20261118T100000\nDTEND;TZID=Europe/Warsaw:20260818T110000\n", ""),
			want:    []string{"DTSTART:20261118T090000Z", "DTEND:20260818T090000Z"},
			notWant: []string{"VTIMEZONE", "TZID"},
		},
		{
			name: "apple",
			in: "BEGIN:VCALENDAR\nMETHOD:REQUEST\nVERSION:2.0\nPRODID:-//Apple Inc.//macOS 15.1//EN\nCALSCALE:GREGORIAN\nX-WR-TIMEZONE:Europe/Berlin\n" + appleZone +
				"BEGIN:VEVENT\nUID:8F4C2E1A\nDTEND;TZID=Europe/Berlin:20260620T210000\nDTSTART;TZID=Europe/Berlin:20260620T190000\nSUMMARY:Board game night\n" +
				"BEGIN:VALARM\nACTION:AUDIO\nTRIGGER:-PT15M\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n",
			want:    []string{"DTEND:20260620T190000Z", "DTSTART:20260620T170000Z", "TRIGGER:-PT15M", "CALSCALE:GREGORIAN"},
			notWant: []string{"VTIMEZONE", "TZID", "X-WR"},
		},
		{
			name: "history with UNTIL, before and after 2007",
			in: "BEGIN:VCALENDAR\nMETHOD:PUBLISH\n" + historyZone +
				"BEGIN:VEVENT\nUID:a\nDTSTART;TZID=America/New_York:20061020T100000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:b\nDTSTART;TZID=America/New_York:20061030T100000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:c\nDTSTART;TZID=America/New_York:20260310T100000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:d\nDTSTART;TZID=America/New_York:20060401T100000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:e\nDTSTART;TZID=America/New_York:19600101T100000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:f\nDTSTART;TZID=America/New_York:20261028T100000\nEND:VEVENT\n" +
				"END:VCALENDAR\n",
			want: []string{"DTSTART:20061020T140000Z", "DTSTART:20061030T150000Z", "DTSTART:20260310T140000Z", "DTSTART:20060401T150000Z",
				// Before the first onset: the offset the first changes from.
				"DTSTART:19600101T140000Z",
				// The rule of before 2007 ended with its UNTIL.
				"DTSTART:20261028T140000Z"},
			notWant: []string{"VTIMEZONE", "TZID"},
		},
		{
			name: "weekly meeting keeps its zone",
			in: event("REQUEST", germanZone,
				"DTSTART;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien\":20261119T140000\n"+
					"DTEND;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien\":20261119T150000\n"+
					"RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=10\n"+
					"EXDATE;TZID=\"(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien\":20261126T140000,20261203T140000\n", ""),
			want: []string{
				"BEGIN:VTIMEZONE", "TZID:UTC+01:00/+02:00",
				"DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
				"DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
				`DTSTART;TZID="UTC+01:00/+02:00":20261119T140000`,
				`DTEND;TZID="UTC+01:00/+02:00":20261119T150000`,
				"RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=10",
				`EXDATE;TZID="UTC+01:00/+02:00":20261126T140000,20261203T140000`,
			},
		},
		{
			name: "override of a recurring event",
			in: "BEGIN:VCALENDAR\nMETHOD:REQUEST\n" +
				"BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Europe/Warsaw:20261105T100000\nRRULE:FREQ=WEEKLY\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:m\nRECURRENCE-ID;TZID=Europe/Warsaw:20261112T100000\nDTSTART;TZID=Europe/Warsaw:20261112T120000\nEND:VEVENT\n" +
				googleZone + "END:VCALENDAR\n",
			want: []string{"TZID:UTC+01:00/+02:00",
				`DTSTART;TZID="UTC+01:00/+02:00":20261105T100000`,
				`RECURRENCE-ID;TZID="UTC+01:00/+02:00":20261112T100000`,
				`DTSTART;TZID="UTC+01:00/+02:00":20261112T120000`},
		},
		{
			// An update of one occurrence, sent without its series.
			name: "override alone",
			in: event("REQUEST", outlookZone,
				"RECURRENCE-ID;TZID=W. Europe Standard Time:20261112T100000\nDTSTART;TZID=W. Europe Standard Time:20261112T120000\n", ""),
			want: []string{"TZID:UTC+01:00/+02:00", `RECURRENCE-ID;TZID="UTC+01:00/+02:00":20261112T100000`},
		},
		{
			name: "same UID as a recurring one",
			in: "BEGIN:VCALENDAR\n" + googleZone +
				"BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Europe/Warsaw:20261112T120000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Europe/Warsaw:20261105T100000\nRDATE;TZID=Europe/Warsaw:20261201T100000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:other\nDTSTART;TZID=Europe/Warsaw:20261112T120000\nEND:VEVENT\nEND:VCALENDAR\n",
			want: []string{`DTSTART;TZID="UTC+01:00/+02:00":20261112T120000`, `RDATE;TZID="UTC+01:00/+02:00":20261201T100000`,
				"DTSTART:20261112T110000Z"},
		},
		{
			name:    "IANA name without a VTIMEZONE, once",
			in:      event("REQUEST", "", "DTSTART;TZID=Europe/Warsaw:20260715T100000\nDUE;TZID=Asia/Kolkata:20260715T100000\n", ""),
			want:    []string{"DTSTART:20260715T080000Z", "DUE:20260715T043000Z"},
			notWant: []string{"VTIMEZONE", "TZID", "Kolkata"},
		},
		{
			name: "IANA name without a VTIMEZONE, weekly",
			in:   event("REQUEST", "", "DTSTART;TZID=Europe/Warsaw:20260715T100000\nRRULE:FREQ=WEEKLY\n", ""),
			want: []string{"BEGIN:VTIMEZONE", "TZID:UTC+01:00/+02:00",
				"BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
				"BEGIN:STANDARD", "DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
				`DTSTART;TZID="UTC+01:00/+02:00":20260715T100000`},
		},
		{
			name: "IANA names without a VTIMEZONE, no daylight saving and the American rule",
			in: "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART;TZID=Asia/Kolkata:20260715T100000\nRRULE:FREQ=DAILY\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:2\nDTSTART;TZID=America/New_York:20260715T100000\nRRULE:FREQ=DAILY\nEND:VEVENT\nEND:VCALENDAR\n",
			want: []string{"TZID:UTC+05:30", "TZOFFSETTO:+0530", `DTSTART;TZID="UTC+05:30":20260715T100000`,
				"TZID:UTC-05:00/-04:00", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
				`DTSTART;TZID="UTC-05:00/-04:00":20260715T100000`},
			notWant: []string{"Kolkata"},
		},
		{
			// The override comes first, a year after the series starts;
			// the zone is made from the earliest year, and written as
			// from 1970.
			name: "IANA zone made from the earliest year",
			in: "BEGIN:VCALENDAR\n" +
				"BEGIN:VEVENT\nUID:m\nRECURRENCE-ID;TZID=Europe/Warsaw:20270107T100000\nDTSTART;TZID=Europe/Warsaw:20270107T120000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:m\nDTSTART;TZID=Europe/Warsaw:20261105T100000\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nEND:VCALENDAR\n",
			want: []string{"TZID:UTC+01:00/+02:00", "DTSTART:19700329T020000", "DTSTART:19701025T030000",
				`RECURRENCE-ID;TZID="UTC+01:00/+02:00":20270107T100000`},
		},
		{
			name: "a second TZID parameter",
			in: event("REQUEST", googleZone, "DTSTART;VALUE=DATE-TIME;TZID=Europe/Warsaw;TZID=Mitteleuropa:20261210T100000\nRRULE:FREQ=DAILY\n"+
				"DTEND;TZID=Europe/Warsaw;TZID=Mitteleuropa;VALUE=DATE-TIME:20261210T110000\n", ""),
			want: []string{`DTSTART;VALUE=DATE-TIME;TZID="UTC+01:00/+02:00":20261210T100000`, `DTEND;VALUE=DATE-TIME;TZID="UTC+01:00/+02:00":20261210T110000`},
		},
		{
			name:    "undefined zone",
			in:      event("REQUEST", "", "DTSTART;TZID=W. Europe Standard Time:20261210T100000\n", ""),
			refusal: refusal.Malformed,
		},
		{
			name:    "undefined zone, weekly",
			in:      event("REQUEST", googleZone, "DTSTART;TZID=Mitteleuropa:20261210T100000\nRRULE:FREQ=WEEKLY\n", ""),
			refusal: refusal.Malformed,
		},
		{
			// The relay's own zone is not the sender's.
			name:    "Local is no zone",
			in:      event("REQUEST", "", "DTSTART;TZID=Local:20261210T100000\n", ""),
			refusal: refusal.Malformed,
		},
		{
			// RFC 5545 section 3.3.5: 02:30 on the day the clocks go
			// forward does not exist and takes the offset before the
			// change; 02:30 on the day they go back happens twice and is
			// the first.
			name: "gap and overlap",
			in: "BEGIN:VCALENDAR\n" + googleZone +
				"BEGIN:VEVENT\nUID:1\nDTSTART;TZID=Europe/Warsaw:20260329T023000\nDTEND;TZID=Europe/Warsaw:20261025T023000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:2\nDTSTART;TZID=Europe/Warsaw:20260329T030000\nDTEND;TZID=Europe/Warsaw:20261025T030000\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:3\nDTSTART;TZID=Europe/Warsaw:20260329T015959\nDTEND;TZID=Europe/Warsaw:20261025T015959\nEND:VEVENT\n" +
				"END:VCALENDAR\n",
			want: []string{"DTSTART:20260329T013000Z", "DTEND:20261025T003000Z",
				"DTSTART:20260329T010000Z", "DTEND:20261025T020000Z",
				"DTSTART:20260329T005959Z", "DTEND:20261024T235959Z"},
		},
		{
			// The examples of RFC 5545 section 3.3.5, from Go's data.
			name: "gap and overlap, IANA",
			in: "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART;TZID=America/New_York:20071104T013000\n" +
				"DTEND;TZID=America/New_York:20070311T023000\nEND:VEVENT\nEND:VCALENDAR\n",
			want: []string{"DTSTART:20071104T053000Z", "DTEND:20070311T073000Z"},
		},
		{
			name: "VTIMEZONE after the event",
			in: event("REQUEST", "", "DTSTART;TZID=W. Europe Standard Time:20261210T100000\n", outlookZone+
				"BEGIN:VTODO\nUID:t\nDUE;TZID=W. Europe Standard Time:20260801T170000\nRRULE:FREQ=MONTHLY\nEND:VTODO\n"),
			want: []string{"DTSTART:20261210T090000Z", `DUE;TZID="UTC+01:00/+02:00":20260801T170000`, "TZID:UTC+01:00/+02:00"},
		},
		{
			name: "EXDATE and RDATE lists",
			in: event("PUBLISH", appleZone,
				"DTSTART;TZID=Europe/Berlin:20260620T190000\nEXDATE;TZID=Europe/Berlin:20260621T190000,20261221T190000,20260622T170000Z\n"+
					"X-MS-OLK-ORIGINALSTART;TZID=Europe/Berlin:20260620T190000\n", ""),
			want:    []string{"DTSTART:20260620T170000Z", "EXDATE:20260621T170000Z,20261221T180000Z,20260622T170000Z"},
			notWant: []string{"VTIMEZONE", "TZID", "X-MS"},
		},
		{
			name: "all-day event untouched",
			in: event("REQUEST", googleZone, "DTSTART;VALUE=DATE:20261224\nDTEND;VALUE=DATE:20261225\n"+
				"EXDATE;TZID=Europe/Warsaw;VALUE=DATE:20261231\nDUE;TZID=Europe/Warsaw:20261230\nCOMPLETED:20261229T100000\n", ""),
			want:    []string{"DTSTART;VALUE=DATE:20261224", "DTEND;VALUE=DATE:20261225", "EXDATE;VALUE=DATE:20261231", "DUE:20261230", "COMPLETED:20261229T100000"},
			notWant: []string{"VTIMEZONE", "TZID"},
		},
		{
			// BYSETPOS is no rule a zone uses: the event cannot be moved
			// to UTC, so it keeps its zone.
			name: "observance rule not evaluated",
			in: event("REQUEST", strings.Replace(googleZone, "BYDAY=-1SU\nEND:DAYLIGHT", "BYDAY=SU;BYSETPOS=-1\nEND:DAYLIGHT", 1),
				"DTSTART;TZID=Europe/Warsaw:20261210T100000\n", ""),
			want: []string{"TZID:UTC+01:00/+02:00", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=SU;BYSETPOS=-1", `DTSTART;TZID="UTC+01:00/+02:00":20261210T100000`},
		},
		{
			name: "two zones with the same offsets",
			in: "BEGIN:VCALENDAR\n" + googleZone + appleZone +
				"BEGIN:VEVENT\nUID:1\nDTSTART;TZID=Europe/Berlin:20261210T100000\nRRULE:FREQ=DAILY\nEND:VEVENT\n" +
				"BEGIN:VEVENT\nUID:2\nDTSTART;TZID=Europe/Warsaw:20261210T100000\nRRULE:FREQ=DAILY\nEND:VEVENT\n" +
				"END:VCALENDAR\n",
			want: []string{"TZID:UTC+01:00/+02:00", "TZID:UTC+01:00/+02:00 2",
				`DTSTART;TZID="UTC+01:00/+02:00 2":20261210T100000`, `DTSTART;TZID="UTC+01:00/+02:00":20261210T100000`},
		},
		{
			name: "unused zone and a second of the same name go",
			in: "BEGIN:VCALENDAR\n" + outlookZone + strings.Replace(outlookZone, "+0100", "+0300", 2) +
				"BEGIN:VEVENT\nUID:1\nDTSTART;TZID=W. Europe Standard Time:20261210T100000\nRRULE:FREQ=DAILY\nEND:VEVENT\n" +
				googleZone + "END:VCALENDAR\n",
			want:    []string{"TZID:UTC+01:00/+02:00", "BEGIN:VEVENT"},
			notWant: []string{"+0300", "+03:00"},
		},
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
			checkLines(t, out)
			checkZones(t, out)
			got := "\n" + unfold([]byte(out))
			for _, w := range tt.want {
				if !strings.Contains(got, "\n"+w+"\n") {
					t.Errorf("output lacks line %q:\n%s", w, got)
				}
			}
			for _, w := range append(tt.notWant, tzSecrets...) {
				if strings.Contains(got, w) {
					t.Errorf("output holds %q:\n%s", w, got)
				}
			}
			// A zone's observances keep nothing but their changes.
			if strings.Count(got, "BEGIN:VTIMEZONE") != strings.Count(got, "\nTZID:") {
				t.Errorf("VTIMEZONE without its one TZID:\n%s", got)
			}
			// Cleaning the output again changes nothing but DTSTAMP
			// and UIDs.
			again, err := run(t, strings.ReplaceAll(out, "\r\n", "\n"))
			if err != nil {
				t.Fatalf("output does not clean again: %v", err)
			}
			if a := withoutUIDs(unfold([]byte(again))); a != withoutUIDs(got[1:]) {
				t.Errorf("second pass differs:\n%s\nthen\n%s", got[1:], a)
			}
		})
	}
}

func withoutUIDs(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "UID:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// parseVTimezone reads one VTIMEZONE as Calendar does.
func parseVTimezone(t *testing.T, text string) *component {
	t.Helper()
	lr := newLineReader(strings.NewReader(crlf(text)))
	if _, _, err := lr.read(); err != nil {
		t.Fatal(err)
	}
	budget := maxObject
	comp, err := readComponent(lr, "VTIMEZONE", 2, &budget)
	if err != nil {
		t.Fatal(err)
	}
	return comp
}

// sameOffsets checks z against Go's data for loc, hour by hour, over the
// years [from, to).
func sameOffsets(t *testing.T, z *zone, loc *time.Location, from, to int) {
	t.Helper()
	end := time.Date(to, 1, 1, 0, 0, 0, 0, time.UTC)
	bad := 0
	for at := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC); at.Before(end); at = at.Add(time.Hour) {
		_, off := at.In(loc).Zone()
		if got := z.offsetAt(at); got != time.Duration(off)*time.Second {
			t.Errorf("%s at %s: offset %v, Go says %ds", loc, at, got, off)
			if bad++; bad > 5 {
				return
			}
		}
	}
}

// The VTIMEZONEs clients write give the offsets Go's data gives, since
// the rules they carry began.
func TestZoneAgainstGo(t *testing.T) {
	for _, tc := range []struct {
		iana, vtz string
		from, to  int
	}{
		{"Europe/Berlin", outlookZone, 2025, 2029},
		{"Europe/Berlin", germanZone, 2025, 2029},
		{"Europe/Warsaw", googleZone, 1997, 1999},
		{"Europe/Warsaw", googleZone, 2025, 2029},
		{"Europe/Berlin", appleZone, 2025, 2029},
		{"America/New_York", historyZone, 1988, 1990},
		{"America/New_York", historyZone, 2005, 2009}, // the change of rules
		{"America/New_York", historyZone, 2025, 2029},
	} {
		z, ok := parseZone(parseVTimezone(t, tc.vtz))
		if !ok {
			t.Errorf("%s: not evaluated", tc.iana)
			continue
		}
		loc, err := time.LoadLocation(tc.iana)
		if err != nil {
			t.Fatal(err)
		}
		sameOffsets(t, z, loc, tc.from, tc.to)
	}
}

// A VTIMEZONE made from Go's data, written and read back, gives Go's
// offsets: with yearly rules where the zone has them, else for the years
// its changes are listed.
func TestGenerateZone(t *testing.T) {
	for _, tc := range []struct {
		iana  string
		rules bool // yearly RRULEs, not RDATEs
	}{
		{"Europe/Berlin", true},
		{"America/New_York", true},
		{"Australia/Sydney", true},  // daylight saving across New Year
		{"Pacific/Chatham", true},   // +12:45/+13:45
		{"Europe/Dublin", true},     // summer time as the standard
		{"America/Santiago", false}, // the first Sunday on or after April 2
		{"Asia/Kolkata", false},
		{"America/Sao_Paulo", false}, // dropped daylight saving in 2019
		{"Africa/Casablanca", false}, // changes around Ramadan
		{"UTC", false},
	} {
		loc, err := time.LoadLocation(tc.iana)
		if err != nil {
			t.Fatal(err)
		}
		gen := generateZone(loc, 2026)
		var b bytes.Buffer
		c, _ := newCleaner(testID)
		c.out = bufio.NewWriter(&b)
		if err := c.write(gen); err != nil {
			t.Fatal(err)
		}
		c.out.Flush()
		text := unfold(b.Bytes())
		if strings.Contains(text, "RRULE") != tc.rules {
			t.Errorf("%s: RRULE %v, want %v:\n%s", tc.iana, !tc.rules, tc.rules, text)
		}
		z, ok := parseZone(parseVTimezone(t, text))
		if !ok {
			t.Errorf("%s: generated zone not evaluated:\n%s", tc.iana, text)
			continue
		}
		years := 2026 + 5
		if !tc.rules {
			years = 2026 + generatedYears
		}
		sameOffsets(t, z, loc, 2026, years)
	}
}

// A calendar of many dates in a zone of many observances is refused
// rather than evaluated at length; a good part of them in a zone of two is
// not.
func TestZoneWork(t *testing.T) {
	var vals []string
	for i := 0; i < 20000; i++ {
		vals = append(vals, fmt.Sprintf("%04d0601T100000", 1900+i%200))
	}
	dates := "DTSTART;TZID=Europe/Warsaw:20260101T100000\nEXDATE;TZID=Europe/Warsaw:" + strings.Join(vals, ",") + "\n"
	few := "DTSTART;TZID=Europe/Warsaw:20260101T100000\nEXDATE;TZID=Europe/Warsaw:" + strings.Join(vals[:5000], ",") + "\n"
	if _, err := run(t, event("PUBLISH", googleZone, few, "")); err != nil {
		t.Errorf("two observances: %v", err)
	}
	daylight := googleZone[strings.Index(googleZone, "BEGIN:DAYLIGHT"):strings.Index(googleZone, "BEGIN:STANDARD")]
	many := strings.Replace(googleZone, "BEGIN:DAYLIGHT", strings.Repeat(daylight, maxObservances-2)+"BEGIN:DAYLIGHT", 1)
	_, err := run(t, event("PUBLISH", many, dates, ""))
	if r, ok := refusal.As(err); !ok || r.Kind != refusal.Malformed {
		t.Errorf("%d observances: %v", maxObservances, err)
	}
}

// An object is held whole, within maxObject.
func TestObjectTooLarge(t *testing.T) {
	in := event("PUBLISH", "", strings.Repeat("A:b\n", maxObject/lineCost), "")
	_, err := run(t, in)
	if r, ok := refusal.As(err); !ok || r != errTooLarge {
		t.Errorf("err = %v", err)
	}
}

// checkZones checks that every TZID parameter of a cleaned calendar names
// one of its VTIMEZONEs, and that these have neutral names.
func checkZones(t *testing.T, out string) {
	t.Helper()
	defined, named := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(unfold([]byte(out)), "\n") {
		p, err := parseLine(l)
		if err != nil {
			continue
		}
		if p.Name == "TZID" {
			defined[p.Value] = true
			if base, _, _ := strings.Cut(p.Value, " "); !strings.HasPrefix(base, "UTC") && base != "Zone" {
				t.Errorf("zone named %q", p.Value)
			}
		}
		if q := p.param("TZID"); q != nil {
			named[strings.Join(q.Values, ",")] = true
		}
	}
	for n := range named {
		if !defined[n] {
			t.Errorf("TZID %q names no VTIMEZONE:\n%s", n, out)
		}
	}
}

// vtimezone returns the one VTIMEZONE of a cleaned calendar, unfolded.
func vtimezone(t *testing.T, out string) string {
	t.Helper()
	got := unfold([]byte(out))
	i, j := strings.Index(got, "BEGIN:VTIMEZONE\n"), strings.Index(got, "END:VTIMEZONE\n")
	if i < 0 || j < i || strings.Count(got, "BEGIN:VTIMEZONE") != 1 {
		t.Fatalf("not one VTIMEZONE:\n%s", got)
	}
	return got[i : j+len("END:VTIMEZONE\n")]
}

// The zone of a recurring event is written in one form, whichever client
// wrote it: Outlook's 1601 and INTERVAL=1, Apple's 1981 and 1996, and the
// order of RRULE parts tell the client. The instants stay Go's.
func TestCanonicalZones(t *testing.T) {
	weekly := func(zone, id string) string {
		return event("REQUEST", zone, "DTSTART;TZID="+id+":20261119T140000\nRRULE:FREQ=WEEKLY\nEXDATE;TZID="+id+":20270311T140000,20260326T140000\n", "")
	}
	const (
		berlin = "BEGIN:VTIMEZONE\nTZID:UTC+01:00/+02:00\nBEGIN:DAYLIGHT\nDTSTART:19700329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n" +
			"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\nBEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n" +
			"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nEND:STANDARD\nEND:VTIMEZONE\n"
		newYork = "BEGIN:VTIMEZONE\nTZID:UTC-05:00/-04:00\nBEGIN:DAYLIGHT\nDTSTART:19700308T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\n" +
			"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\nEND:DAYLIGHT\nBEGIN:STANDARD\nDTSTART:19701101T020000\nTZOFFSETFROM:-0400\nTZOFFSETTO:-0500\n" +
			"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\nEND:STANDARD\nEND:VTIMEZONE\n"
		kolkata = "BEGIN:VTIMEZONE\nTZID:UTC+05:30\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0530\nTZOFFSETTO:+0530\nEND:STANDARD\nEND:VTIMEZONE\n"
	)
	// Older writers give the second Sunday as seven days of the month.
	oldStyle := strings.NewReplacer("BYMONTH=3;BYDAY=2SU", "BYMONTH=3;BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU;WKST=MO",
		"BYMONTH=11;BYDAY=1SU", "BYDAY=SU;BYMONTHDAY=1,2,3,4,5,6,7;BYMONTH=11;INTERVAL=1").Replace(historyZone)
	india := "BEGIN:VTIMEZONE\nTZID:India Standard Time\nBEGIN:STANDARD\nDTSTART:16010101T000000\nTZOFFSETFROM:+0530\nTZOFFSETTO:+0530\nEND:STANDARD\nEND:VTIMEZONE\n"
	tests := []struct {
		name, in, want, iana string
	}{
		{"outlook", weekly(outlookZone, "W. Europe Standard Time"), berlin, "Europe/Berlin"},
		{"german outlook", weekly(germanZone, `"(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien"`), berlin, "Europe/Berlin"},
		{"google", weekly(googleZone, "Europe/Warsaw"), berlin, "Europe/Warsaw"},
		{"apple", weekly(appleZone, "Europe/Berlin"), berlin, "Europe/Berlin"},
		{"Go's data", weekly("", "Europe/Berlin"), berlin, "Europe/Berlin"},
		{"history, its last rules", weekly(historyZone, "America/New_York"), newYork, "America/New_York"},
		{"BYMONTHDAY and BYDAY", weekly(oldStyle, "America/New_York"), newYork, "America/New_York"},
		{"Go's data, New York", weekly("", "America/New_York"), newYork, "America/New_York"},
		{"no daylight saving", weekly(india, "India Standard Time"), kolkata, "Asia/Kolkata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := vtimezone(t, out)
			if got != tt.want {
				t.Errorf("zone\n%s\nwant\n%s", got, tt.want)
			}
			z, ok := parseZone(parseVTimezone(t, got))
			if !ok {
				t.Fatal("the zone written is not evaluated")
			}
			loc, err := time.LoadLocation(tt.iana)
			if err != nil {
				t.Fatal(err)
			}
			sameOffsets(t, z, loc, 2026, 2031)
		})
	}
}

// A zone whose rules change after the earliest time that names it has no
// canonical form and keeps its own; so does one that is not evaluated.
func TestCanonicalZoneKept(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     []string
	}{
		{"rules change after the event", event("REQUEST", historyZone, "DTSTART;TZID=America/New_York:20050601T100000\nRRULE:FREQ=WEEKLY\n", ""),
			[]string{"DTSTART:19870405T020000", "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z", "DTSTART:20070311T020000"}},
		{"not evaluated", event("REQUEST", strings.Replace(outlookZone, "BYDAY=-1SU;BYMONTH=3", "BYDAY=SU;BYSETPOS=-1;BYMONTH=3", 1),
			"DTSTART;TZID=W. Europe Standard Time:20261119T140000\nRRULE:FREQ=WEEKLY\n", ""),
			[]string{"DTSTART:16010101T030000", "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=SU;BYSETPOS=-1;BYMONTH=3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := vtimezone(t, out)
			for _, w := range tt.want {
				if !strings.Contains(got, "\n"+w+"\n") {
					t.Errorf("zone lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

// Past 2037 Go computes a zone's changes from its rule a year at a time,
// and ZoneBounds at such a year's end can answer the bound it was asked
// from: generating a zone for a year there must end (FuzzCalendar hung on
// one in 2072), and still give Go's offsets.
func TestGenerateZoneFarFuture(t *testing.T) {
	for _, iana := range []string{"Europe/Berlin", "Australia/Sydney", "America/New_York"} {
		loc, err := time.LoadLocation(iana)
		if err != nil {
			t.Fatal(err)
		}
		gen := generateZone(loc, 2072)
		var b bytes.Buffer
		c, _ := newCleaner(testID)
		c.out = bufio.NewWriter(&b)
		if err := c.write(gen); err != nil {
			t.Fatal(err)
		}
		c.out.Flush()
		z, ok := parseZone(parseVTimezone(t, unfold(b.Bytes())))
		if !ok {
			t.Errorf("%s: generated zone not evaluated:\n%s", iana, b.String())
			continue
		}
		sameOffsets(t, z, loc, 2072, 2077)
	}
}
