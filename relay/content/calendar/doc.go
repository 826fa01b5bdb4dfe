// Package calendar cleans the calendar and contact parts of a message:
// iCalendar objects (RFC 5545) carrying iTIP methods (RFC 5546), and vCards
// (RFC 6350, RFC 2426, vCard 2.1).
//
// A calendar names its sender more often than its text does: the organizer
// of an invitation or the attendee of a reply is the sender, with a CN
// parameter holding their full name, and clients add vendor properties
// (X-MS-*, X-APPLE-*, X-WR-CALNAME) that carry ids, calendar names and
// directory links, a LANGUAGE parameter with the client's locale, and
// Teams join links with the organizer's directory id. Calendar rewrites the sender's own properties to Leak's
// anonymous identity and drops the rest of what identifies them, while the
// event itself (summary, location, description, recurrence, alarms, and
// the instant of each of its times) reaches the recipient intact, so their
// calendar client can still act on it. Time zones, which tell where the
// sender is and, by their names, their client and language, go where an
// event happens once, its times moved to UTC, and are renamed by their
// offsets and written in one form, whichever client wrote them, where it
// recurs.
//
// VCard drops the sender's own card, which clients such as Thunderbird
// attach to every message, and keeps the cards the sender meant to share,
// less their client's ids, with their photos cleaned and the sender's
// name in their text replaced.
//
// Both refuse content they cannot parse with a refusal.Error of kind
// Malformed; any other error is an I/O error of the reader or writer.
package calendar
