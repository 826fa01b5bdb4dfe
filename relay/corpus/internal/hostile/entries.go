package hostile

import (
	"encoding/base64"
	"fmt"
	"strings"
)

const (
	lineReader = "DATA (the session's strict line reader, before the anonymizer)"
	anonymizer = "DATA (the anonymizer's MIME reader)"
	smuggled   = "MAIL FROM:<mallory@attacker.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n" +
		"Subject: Urgent wire transfer\r\n\r\nSMUGGLED-PAYLOAD-MARKER\r\n"
)

// Entries returns every sample, numbered in file-name order.
func Entries() []*Entry {
	var es []*Entry
	add := func(e *Entry, n int, keeps ...string) {
		if e.Transport == "" {
			e.Transport = "eml"
		}
		if e.LineEndings == "" {
			e.LineEndings = "crlf"
		}
		if e.Envelope.MailFrom == "" {
			e.Envelope = envelope
		}
		e.IfAccepted.Secrets = append([]string{sender(n)}, e.IfAccepted.Secrets...)
		e.IfAccepted.MustKeep = append(e.IfAccepted.MustKeep, keeps...)
		e.IfAccepted.MaxDeliveries = 1
		es = append(es, e)
	}

	add(&Entry{
		File: "h01_bare_lf.data", Title: "Whole message with bare LF line ends", Transport: "raw_data", LineEndings: "lf",
		Description: "Every line ends in LF alone (RFC 5322 2.3 forbids it); accepting bare LF is half of SMTP smuggling.",
		Expected:    reject("554 5.6.0", lineReader, "bare LF is refused, never repaired"),
		IfAccepted:  IfAccepted{ForbiddenOutputRegex: lineEnds},
		data:        []byte(head(1, "bare LF") + "\n" + keep(1, "body") + "\n"),
	}, 1, keep(1, "body"))

	add(&Entry{
		File: "h02_bare_cr.data", Title: "A bare CR inside the body", Transport: "raw_data", LineEndings: "mixed",
		Description: "One body line holds a CR not followed by LF; some MTAs treat a lone CR as a line end.",
		Expected:    reject("554 5.6.0", lineReader, "bare CR is refused"),
		IfAccepted:  IfAccepted{ForbiddenOutputRegex: lineEnds},
		data:        bytesOf(string(crlf(head(2, "bare CR")+"\n")), keep(2, "body")+" first\rsecond\r\n"),
	}, 2, keep(2, "body"))

	for i, v := range []struct{ name, seq string }{
		{"lf_dot_lf", "\n.\n"}, {"lf_dot_crlf", "\n.\r\n"}, {"cr_dot_cr", "\r.\r"},
	} {
		n := 3 + i
		add(&Entry{
			File:        fmt.Sprintf("h%02d_smtp_smuggling_%s.data", n, v.name),
			Title:       fmt.Sprintf("SMTP smuggling with the end-of-data variant %q", v.seq),
			Transport:   "raw_data",
			LineEndings: "mixed",
			Description: "A non-standard end of data followed by a whole second transaction for another recipient. " +
				"A receiver that ends DATA early runs the smuggled commands; a relay that forwards the bytes lets the next hop do it.",
			Expected: reject("554 5.6.0", lineReader, "the sequence holds a bare line end; the whole transaction is refused, with one reply"),
			IfAccepted: IfAccepted{ForbiddenOutputRegex: append([]string{`(?m)^Subject: Urgent wire transfer`}, lineEnds...),
				Secrets: []string{"victim@example.org"}},
			data: bytesOf(string(crlf(head(n, "smuggling "+v.name)+"\n"+keep(n, "first")+"\n")), v.seq, smuggled),
		}, n, keep(n, "first"))
	}

	add(&Entry{
		File: "h06_nul_in_body.eml", Title: "A NUL octet in the body",
		Description: "RFC 5322 2.3 does not allow NUL in a message; many programs truncate strings at it.",
		Expected:    reject("554 5.6.0", lineReader, "NUL is refused"),
		data:        crlf(head(6, "NUL") + "\n" + keep(6, "body") + " before\x00after\n"),
	}, 6, keep(6, "body"))

	add(&Entry{
		File: "h07_overlong_body_line.eml", Title: "A body line of 2,000 octets",
		Description: "RFC 5322 2.1.1 limits a line to 998 octets; a relay must not forward longer lines.",
		Expected:    reject("554 5.6.0", lineReader, "lines over 998 octets are refused"),
		IfAccepted:  IfAccepted{ForbiddenOutputRegex: []string{`[^\r\n]{999,}`}},
		data:        crlf(head(7, "long line") + "\n" + keep(7, "body") + "\n" + strings.Repeat("L", 2000) + "\n"),
	}, 7, keep(7, "body"))

	add(&Entry{
		File: "h08_one_megabyte_header.eml", Title: "A folded 1 MiB header field",
		Description: "X-Padding folds over 1 MiB of lines; identifying fields follow it, to catch a reader that truncates and mis-reads the rest.",
		Expected:    reject("552 5.3.4", anonymizer, "the header block is over its bound"),
		IfAccepted:  IfAccepted{ForbiddenHeaders: []string{"X-Padding"}, Secrets: []string{"hidden.h08.example"}},
		data: crlf(head(8, "big header") + megabyteHeader() + "X-Originating-Host: hidden.h08.example\n\n" +
			keep(8, "body") + "\n"),
	}, 8, keep(8, "body"))

	add(&Entry{
		File: "h09_nested_multipart_100.eml", Title: "multipart/mixed nested 100 levels deep",
		Description: "Each level wraps the next and a sibling text part; a recursive parser without a bound overflows its stack.",
		Expected:    reject("554 5.6.0", anonymizer, "MIME nesting over 20 levels is refused"),
		IfAccepted:  IfAccepted{MaxOutputMIMEDepth: depth(20)},
		data:        crlf(head(9, "deep") + "MIME-Version: 1.0\n" + nested(100)),
	}, 9, keep(9, "deepest"))

	b64 := base64.StdEncoding.EncodeToString
	add(&Entry{
		File: "h10_invalid_base64.eml", Title: "Parts with invalid base64",
		Description: "A valid base64 HTML part, a part with characters outside the alphabet and padding in the middle, and a text attachment cut mid-quantum.",
		Expected:    Expected{Outcome: "accept_sanitize", Reply: "250", SMTPStage: anonymizer, Why: "broken base64 is decoded leniently"},
		data: crlf(head(10, "invalid base64") + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b10\"\n\n" +
			"--b10\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" +
			b64([]byte("<p>"+keep(10, "html")+"</p>")) + "\n" +
			"--b10\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\nS0VF*UC1o!MT==Atd2Vp\n" +
			"--b10\nContent-Type: text/plain; name=\"cut.txt\"\nContent-Disposition: attachment; filename=\"cut.txt\"\n" +
			"Content-Transfer-Encoding: base64\n\nS0VFUC1IMTAtY3V0QUJDQUJDQ\n" +
			"--b10--\n"),
	}, 10, keep(10, "html"))

	add(&Entry{
		File: "h11_relay_to_self.eml", Title: "Relay addresses that point back at the relay", Transport: "envelope",
		Envelope: Envelope{MailFrom: "mallory@attacker.example", RcptTo: []string{
			"to+bob=example.com@leak.example", "to+bob=leak.example@leak.example", "to+bob=LEAK.EXAMPLE@leak.example",
			"to+bob=mx.leak.example@leak.example", "to+bob=[192.0.2.10]@leak.example", "to+bob=localhost@leak.example"}},
		RcptExpect: []RcptWant{
			{"to+bob=example.com@leak.example", "2xx"}, {"to+bob=leak.example@leak.example", "5xx"},
			{"to+bob=LEAK.EXAMPLE@leak.example", "5xx"}, {"to+bob=mx.leak.example@leak.example", "5xx"},
			{"to+bob=[192.0.2.10]@leak.example", "5xx"}, {"to+bob=localhost@leak.example", "5xx"}},
		Description: "RCPTs whose encoded destination is the relay itself, an IP literal or localhost; the message is sent to the one valid RCPT.",
		Expected:    Expected{Outcome: "reject_rcpt", SMTPStage: "RCPT", Why: "a relay address never points back into the relay"},
		data:        crlf(head(11, "self") + "\n" + keep(11, "body") + "\n"),
	}, 11, keep(11, "body"))

	add(&Entry{
		File: "h12_too_many_received.eml", Title: "51 Received fields",
		Description: "A message that has made 51 hops is looping (RFC 5321 6.3).",
		Expected:    reject("554 5.4.6", anonymizer, "more than 50 Received fields is a loop"),
		IfAccepted:  IfAccepted{Secrets: []string{"hop7.hops.example"}},
		data:        crlf(receivedLines(51) + head(12, "hops") + "\n" + keep(12, "body") + "\n"),
	}, 12, keep(12, "body"))

	add(&Entry{
		File: "h13_own_received.eml", Title: "Leak's own Received field",
		Description: "A copy Leak relayed comes back to it: its own Received line marks a loop.",
		Expected:    reject("554 5.4.6", anonymizer, "Leak's own Received line is a loop"),
		data: crlf("Received: by mx.leak.example (Leak) id 0123456789abcdef; Mon, 1 Dec 2025 10:00:00 +0000\n" +
			head(13, "loop") + "\n" + keep(13, "body") + "\n"),
	}, 13, keep(13, "body"))

	add(&Entry{
		File: "h14_duplicate_content_type.eml", Title: "A part with two Content-Type fields",
		Description: "Readers disagree on which Content-Type wins; a cleaner that reads one and a client that reads the other see different content.",
		Expected:    reject("554 5.6.0", anonymizer, "a part with two Content-Type fields is ambiguous and refused"),
		data: crlf(head(14, "duplicate") + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b14\"\n\n" +
			"--b14\nContent-Type: text/plain\n\n" + keep(14, "text") + "\n" +
			"--b14\nContent-Type: text/plain; charset=utf-8\nContent-Type: text/html; charset=utf-8\n\n" +
			"<p>" + keep(14, "second") + "</p>\n--b14--\n"),
	}, 14, keep(14, "text"))

	injected := "Hello\r\nBcc: victim@example.org\r\nX-Injected: yes"
	add(&Entry{
		File: "h15_encoded_word_crlf.eml", Title: "Header injection through an encoded word holding CRLF",
		Description: "The Subject's encoded word decodes to CRLF and new fields; a rewriter that decodes and re-emits it raw adds a Bcc.",
		Expected:    Expected{Outcome: "accept_sanitize", Reply: "250", SMTPStage: anonymizer, Why: "the decoded CRLF must never become a line break"},
		IfAccepted: IfAccepted{ForbiddenHeaders: []string{"Bcc", "X-Injected"},
			ForbiddenOutputRegex: []string{`(?mi)^Bcc:`, `(?mi)^X-Injected:`}},
		data: crlf(head(15, "=?utf-8?B?"+b64([]byte(injected))+"?=") +
			"\n" + keep(15, "body") + "\n"),
	}, 15, keep(15, "body"))

	long := strings.Repeat("b", 200)
	add(&Entry{
		File: "h16_overlong_boundary.eml", Title: "A 200-character multipart boundary",
		Description: "RFC 2046 5.1.1 limits a boundary to 70 characters; readers with a fixed buffer cut it and lose the structure.",
		Expected:    Expected{Outcome: "accept_sanitize", Reply: "250", SMTPStage: anonymizer, Why: "the boundary is read whole; the parts survive"},
		data: crlf(head(16, "long boundary") + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"" + long + "\"\n\n" +
			"--" + long + "\nContent-Type: text/plain\n\n" + keep(16, "first") + "\n" +
			"--" + long + "\nContent-Type: text/plain\n\n" + keep(16, "second") + "\n--" + long + "--\n"),
	}, 16, keep(16, "first"), keep(16, "second"))

	add(&Entry{
		File: "h17_missing_final_boundary.eml", Title: "A multipart without its close boundary",
		Description: "The last part runs to the end of the message; readers differ on whether it is a part.",
		Expected:    reject("554 5.6.0", anonymizer, "an unterminated multipart is refused"),
		data: crlf(head(17, "unterminated") + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b17\"\n\n" +
			"--b17\nContent-Type: text/plain\n\n" + keep(17, "text") + "\n"),
	}, 17, keep(17, "text"))

	add(&Entry{
		File: "h18_message_partial.eml", Title: "A message/partial fragment",
		Description: "RFC 2046 5.2.2 fragments carry the enclosing header of the whole message in the first part; Leak cannot clean a message it sees in pieces.",
		Expected:    reject("554 5.6.0", anonymizer, "fragmented messages are refused"),
		IfAccepted:  IfAccepted{Secrets: []string{"inner.h18.example"}},
		data: crlf(head(18, "partial") + "MIME-Version: 1.0\nContent-Type: message/partial; id=\"h18@inner.h18.example\"; number=1; total=2\n\n" +
			"From: someone@inner.h18.example\nSubject: " + keep(18, "subject") + "\n\nfirst half\n"),
	}, 18, keep(18, "subject"))

	add(&Entry{
		File: "h19_opaque_smime_signed.eml", Title: "Opaque S/MIME signed data",
		Description: "application/pkcs7-mime signed-data wraps the whole message, headers included, in DER that Leak cannot rewrite.",
		Expected:    reject("554 5.6.0", anonymizer, "opaque signed messages are refused; clear-signed ones pass"),
		data: crlf(head(19, "opaque") + "MIME-Version: 1.0\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\n" +
			"Content-Transfer-Encoding: base64\nX-Note: " + keep(19, "note") + "\n\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\n"),
	}, 19, keep(19, "note"))

	add(&Entry{
		File: "h20_ten_thousand_fields.eml", Title: "10,000 header fields",
		Description: "Many small fields instead of one large one; a header bound counted only in octets lets them through.",
		Expected:    reject("552 5.3.4", anonymizer, "more than 1,000 fields is over the header bound"),
		data:        crlf(head(20, "fields") + manyFields(10000) + "\n" + keep(20, "body") + "\n"),
	}, 20, keep(20, "body"))

	add(&Entry{
		File: "h21_header_line_without_colon.eml", Title: "A header line without a colon",
		Description: "A line that is neither a field nor a fold nor the blank line; readers differ on where the body starts.",
		Expected:    reject("554 5.6.0", anonymizer, "an unreadable header block is refused"),
		data:        crlf(head(21, "no colon") + "this line is not a field\n\n" + keep(21, "body") + "\n"),
	}, 21, keep(21, "body"))

	add(&Entry{
		File: "h22_multipart_without_boundary.eml", Title: "multipart/mixed without a boundary parameter",
		Description: "RFC 2046 5.1.1 requires the boundary; without it the parts cannot be found.",
		Expected:    reject("554 5.6.0", anonymizer, "a multipart without a boundary is refused"),
		data: crlf(head(22, "no boundary") + "MIME-Version: 1.0\nContent-Type: multipart/mixed\n\n--b22\nContent-Type: text/plain\n\n" +
			keep(22, "text") + "\n--b22--\n"),
	}, 22, keep(22, "text"))
	return es
}
