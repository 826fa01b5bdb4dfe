package calendar

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"leak/relay/content/refusal"
)

func FuzzCalendar(f *testing.F) {
	f.Add("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACCEPTED;CN=\"a;b:c\":mailto:tomasz@mail.example\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	f.Add("BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nORGANIZER;SENT-BY=\"mailto:x@y\":mailto:o@kowalczyk-arch.example\nDESCRIPTION:a\n  b\nBEGIN:VALARM\nACTION:EMAIL\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n")
	f.Add("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY;LANGUAGE=en:x\nDESCRIPTION:<https://teams.microsoft.com/l/meetup-join/0?context=%7b%22Oid%22%3a%22f%22%7d&a=1>\\n\nEND:VEVENT\nEND:VCALENDAR\n")
	f.Add(crlf(event("REQUEST", outlookZone, "DTSTART;TZID=W. Europe Standard Time:20261210T100000\nEXDATE;TZID=W. Europe Standard Time:20261210T100000,20261211\n", "")))
	f.Add(event("REQUEST", historyZone, "DTSTART;TZID=Europe/Warsaw:20260329T023000\nRRULE:FREQ=WEEKLY\nBEGIN:VALARM\nTRIGGER;TZID=America/New_York:20261210T100000\nEND:VALARM\n", googleZone))
	f.Add(event("PUBLISH", strings.Replace(appleZone, "BYMONTH=3;", "BYMONTH=3;COUNT=40;", 1), "DTSTART;TZID=Europe/Berlin;VALUE=DATE:20261210\nDUE;TZID=Europe/Berlin:20270101T000000\n", ""))
	f.Add("BEGIN:VCALENDAR\nBEGIN:VEVENT\nORGANIZER;CN=\"Kowalczyk, Tomasz\":mailto:tk@gmail.example\nATTENDEE;CUTYPE=RESOURCE;CN=Room 4:mailto:kowalczyk-arch.example_31@resource.calendar.google.com\nLOCATION:Main St 1\\, Room 4\nDESCRIPTION:Tomasz Kowalczyk: https://x.zoom.us/my/tomasz <https://dialin.teams.microsoft.com/8551f4c1?id=1> <https://aka.ms/x?omkt=pl-PL&a=1>\nIMAGE;VALUE=URI:https://t.example/p.png\nBEGIN:PARTICIPANT\nCALENDAR-ADDRESS:mailto:ewa@eu.kowalczyk-arch.example\nEND:PARTICIPANT\nBEGIN:VALARM\nACKNOWLEDGED:20261209T085012Z\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n")
	f.Add(event("REQUEST", strings.Replace(historyZone, "BYDAY=2SU", "BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU", 1), "DTSTART;TZID=America/New_York:20261210T100000\nRRULE:FREQ=WEEKLY\n", ""))
	f.Add("BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nATTENDEE;CUTYPE=RESOURCE;CN=Bld-3-Kasztan (8) [TV]:mailto:c_18@resource.calendar.google.com\nLOCATION:Bld\\, Złota 59-3-KASZTAN (8) [TV]\\; x\nURL:https://u@cal.kowalczyk-arch.example:8443/fb\nLINK;VALUE=URI:sip:t@kowalczyk-arch.example;x\nSUMMARY;ALTREP=\"http://[::1]:80/\":s\nEND:VEVENT\nEND:VCALENDAR\n")
	id := testID
	id.Names = []string{"Tomasz Kowalczyk", "Jörg Müller"}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		err := Calendar(&out, strings.NewReader(in), id)
		if err != nil {
			if _, ok := refusal.As(err); !ok {
				t.Fatalf("non-refusal error from a bytes reader: %v", err)
			}
			return
		}
		checkLines(t, out.String())
		checkZones(t, out.String())
		// The output is itself a calendar that cleans to the same lines,
		// but for the fresh UIDs.
		var again bytes.Buffer
		if err := Calendar(&again, bytes.NewReader(out.Bytes()), id); err != nil {
			t.Fatalf("output does not parse again: %v\n%q", err, out.String())
		}
		if strings.Count(out.String(), "\r\n") != strings.Count(again.String(), "\r\n") {
			t.Fatalf("second pass changed the line count:\n%q\n%q", out.String(), again.String())
		}
		lower := strings.ToLower(out.String())
		unfolded := strings.ReplaceAll(lower, "\r\n ", "")
		for _, a := range testID.Sender {
			if strings.Contains(unfolded, a) {
				t.Fatalf("sender address survived:\n%q", out.String())
			}
		}
	})
}

func FuzzVCard(f *testing.F) {
	f.Add("BEGIN:VCARD\r\nEMAIL:tomasz@mail.example\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n")
	f.Add("BEGIN:VCARD\nitem1.EMAIL;type=pref:T.Kowalczyk@kowalczyk-arch.example\nAGENT:\nBEGIN:VCARD\nEND:VCARD\nEND:VCARD\n")
	f.Add("BEGIN:VCARD\nX-A;QUOTED-PRINTABLE:a=\nb=\nc\nPHOTO:data:image/gif;base64,R0lGODlhAQABAAAAACwAAAAAAQABAAACAA==\nPHOTO;ENCODING=b:/9j/\n 2Q\nEND:VCARD\n")
	f.Add("BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=Windows-1252:J\xf6rg M\xfcller\nEND:VCARD\nBEGIN:VCARD\nNOTE;CHARSET=UTF-8;QUOTED-PRINTABLE:J=C3=B6rg =\nM=C3=BCller=0D=0A\nTITLE;CHARSET=latin1:to J\xf6rg M\xfcller\nEND:VCARD\n")
	f.Add("BEGIN:VCARD\nFN:Ewa\nFBURL:https://cal.kowalczyk-arch.example/fb/ewa\nCALADRURI:mailto:ewa@kowalczyk-arch.example\nitem2.URL;VALUE=uri:xmpp:ewa@eu.kowalczyk-arch.example\nEND:VCARD\n")
	id := testID
	id.Names = []string{"Tomasz Kowalczyk", "Jörg Müller"}
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		kept, err := VCard(&out, strings.NewReader(in), id)
		if err != nil {
			if _, ok := refusal.As(err); !ok {
				t.Fatalf("non-refusal error from a bytes reader: %v", err)
			}
			return
		}
		if kept == 0 && out.Len() != 0 {
			t.Fatalf("kept nothing but wrote %q", out.String())
		}
		if kept > 0 {
			again, err := VCard(io.Discard, bytes.NewReader(out.Bytes()), id)
			if err != nil || again != kept {
				t.Fatalf("output does not parse again: %d, %v\n%q", again, err, out.String())
			}
		}
	})
}
