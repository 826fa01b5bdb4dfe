package calendar

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"leak/relay/content/refusal"
)

// maxDepth bounds component nesting. RFC 5545 nests two levels below
// VCALENDAR (VEVENT > VALARM, VTIMEZONE > STANDARD); RFC 7953 adds one.
const maxDepth = 6

// maxObject bounds what one VCALENDAR object holds, which is read whole
// because a VTIMEZONE may follow the events that use it: its octets, and
// lineCost for each line. An invitation is a few kilobytes and a year's
// exported calendar a few megabytes.
const (
	maxObject = 8 << 20
	lineCost  = 128
)

// now is the clock DTSTAMP is set from when Identity.Stamp is zero; tests
// replace it.
var now = time.Now

// stampOf is the DTSTAMP of a copy for id.
func stampOf(id Identity) time.Time {
	if !id.Stamp.IsZero() {
		return id.Stamp.UTC()
	}
	return now().UTC().Truncate(time.Minute)
}

var (
	errNoCalendar = refusal.New(refusal.Malformed, "a calendar part does not hold a calendar; send the event from another client")
	errUnbalanced = refusal.New(refusal.Malformed, "a calendar part has unbalanced BEGIN and END lines; send the event from another client")
	errReplier    = refusal.New(refusal.Identifying, "a calendar reply does not show which attendee is replying; reply from the address that was invited")
	errTooLarge   = refusal.New(refusal.Malformed, "a calendar part is too large to clean; send fewer events at a time, without attachments in them")
)

// component is one BEGIN:X ... END:X block with its subcomponents.
type component struct {
	Name  string
	Props []property
	Subs  []*component
}

// Calendar rewrites a text/calendar object (content lines, any method).
//
// The sender's ORGANIZER, or their ATTENDEE in a reply, becomes Leak's
// anonymous identity; attendees and participants (RFC 9073) who are the
// sender or work at the sender's domain are dropped, and so are the
// rooms the sender booked (all but the organizer's in a reply, see rooms),
// from LOCATION too with the building's address Google writes before
// them. The sender is known by their address
// or, in a CN, by one of id.Names; their names in text become id.Name.
// Vendor properties, directory links, LANGUAGE parameters, creation
// dates, attachments, pictures and alarm acknowledgements are dropped,
// and so is what Teams links say about the organizer (see teams) and links
// to their personal meeting rooms; UIDs the sender made are replaced.
//
// A time zone tells where the sender is, and its name and TZNAMEs which
// client and language they use. The times of an event that happens once
// move to UTC and its zone goes; an event that recurs keeps its zone,
// since in UTC it would move by an hour when the clocks change, but under
// a name made of its offsets ("UTC+01:00/+02:00") and with only its
// changes of offset, in one form whichever client wrote it (see zones and
// canonicalZone). A zone the calendar names but does not
// define, other than an IANA name, is refused as malformed.
//
// The output is folded at 75 octets with CRLF line ends.
func Calendar(w io.Writer, r io.Reader, id Identity) error {
	c, err := newCleaner(id)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	if err := c.run(newLineReader(r), bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("calendar: write: %w", err)
	}
	return nil
}

// cleaner holds what one Calendar call needs across components.
type cleaner struct {
	id       Identity
	name     string // id.Name, safe as a parameter value
	textName string // id.Name escaped as a TEXT value
	m        *match
	key      []byte
	method   string
	stamp    string
	out      *bufio.Writer
	names    []string                  // the sender's names found so far, for SenderNames
	places   []string                  // rooms dropped and the LOCATION text cut with them, for Places
	idNames  []string                  // nameForms of id.Names
	iana     map[string]*time.Location // Go's zones by name, nil if none
}

func newCleaner(id Identity) (*cleaner, error) {
	key := id.UIDKey
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("calendar: uid key: %w", err)
		}
	}
	return &cleaner{
		id:       id,
		name:     paramSafe(id.Name),
		textName: escapeText(id.Name),
		idNames:  allForms(id.Names, minDisplayName),
		m:        newMatch(id),
		key:      key,
		stamp:    stampOf(id).Format("20060102T150405Z"),
	}, nil
}

// run reads one or more VCALENDAR objects (RFC 5545 section 3.4: an
// iCalendar stream is one or more objects) and writes each cleaned.
func (c *cleaner) run(lr *lineReader, out *bufio.Writer) error {
	c.out = out
	objects := 0
	inside := false          // between BEGIN:VCALENDAR and END:VCALENDAR
	components := false      // a component was seen in this object
	var cleaned []*component // this object's components, cleaned
	budget := 0              // what this object may still hold, in octets
	for {
		line, _, err := lr.read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return wrapRead(err)
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		p, err := parseCalendarLine(line)
		if err != nil {
			return err
		}
		switch {
		case !inside:
			if p.Name != "BEGIN" || !isValue(p.Value, "VCALENDAR") {
				return errNoCalendar
			}
			inside, components, c.method = true, false, ""
			cleaned, budget = nil, maxObject
			if err := c.emit(property{Name: "BEGIN", Value: "VCALENDAR"}); err != nil {
				return err
			}
		case p.Name == "BEGIN":
			if isValue(p.Value, "VCALENDAR") {
				return errUnbalanced
			}
			comp, err := readComponent(lr, strings.ToUpper(strings.TrimSpace(p.Value)), 2, &budget)
			if err != nil {
				return err
			}
			components = true
			comp, err = c.component(comp, true, c.idNames)
			if err != nil {
				return err
			}
			if comp != nil {
				cleaned = append(cleaned, comp)
			}
		case p.Name == "END":
			if !isValue(p.Value, "VCALENDAR") {
				return errUnbalanced
			}
			comps, err := c.zones(cleaned)
			if err != nil {
				return err
			}
			for _, comp := range comps {
				if err := c.write(comp); err != nil {
					return err
				}
			}
			if err := c.emit(property{Name: "END", Value: "VCALENDAR"}); err != nil {
				return err
			}
			inside = false
			objects++
		default:
			// Calendar properties precede components (RFC 5545 section
			// 3.4), so each component is cleaned knowing the method.
			if p.Name == "METHOD" && (components || c.method != "") {
				return errUnbalanced
			}
			if err := c.calendarProp(p); err != nil {
				return err
			}
		}
	}
	if inside {
		return errUnbalanced
	}
	if objects == 0 {
		return errNoCalendar
	}
	return nil
}

// parseCalendarLine parses a content line of a calendar. iCalendar has no
// groups (RFC 5545 section 3.1, unlike RFC 6350 section 3.3): what comes
// before a dot in the name ("alice@mail.example:x") is not written back.
func parseCalendarLine(line string) (property, error) {
	p, err := parseLine(line)
	p.Group = ""
	return p, err
}

func wrapRead(err error) error {
	if _, ok := refusal.As(err); ok {
		return err
	}
	return fmt.Errorf("calendar: read: %w", err)
}

// readComponent reads the lines of a component up to its END, whose BEGIN
// has been read, taking what they hold from budget.
func readComponent(lr *lineReader, name string, depth int, budget *int) (*component, error) {
	if depth > maxDepth {
		return nil, errUnbalanced
	}
	comp := &component{Name: name}
	for {
		line, _, err := lr.read()
		if errors.Is(err, io.EOF) {
			return nil, errUnbalanced
		}
		if err != nil {
			return nil, wrapRead(err)
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if *budget -= len(line) + lineCost; *budget < 0 {
			return nil, errTooLarge
		}
		p, err := parseCalendarLine(line)
		if err != nil {
			return nil, err
		}
		switch p.Name {
		case "BEGIN":
			sub, err := readComponent(lr, strings.ToUpper(strings.TrimSpace(p.Value)), depth+1, budget)
			if err != nil {
				return nil, err
			}
			comp.Subs = append(comp.Subs, sub)
		case "END":
			if !isValue(p.Value, name) {
				return nil, errUnbalanced
			}
			return comp, nil
		default:
			comp.Props = append(comp.Props, p)
		}
	}
}

func (c *cleaner) emit(p property) error {
	if err := writeFolded(c.out, p.String()); err != nil {
		return fmt.Errorf("calendar: write: %w", err)
	}
	return nil
}

// calendarProp cleans a property of the VCALENDAR object itself.
func (c *cleaner) calendarProp(p property) error {
	switch p.Name {
	case "METHOD":
		c.method = strings.ToUpper(strings.TrimSpace(p.Value))
	case "PRODID":
		// The product and its version narrow down who sent it.
		p = property{Name: "PRODID", Value: "-//Leak//Leak//EN"}
		return c.emit(p)
	case "NAME", "SOURCE", "URL", "IMAGE", "STRUCTURED-DATA":
		// RFC 7986 section 5: the name of the sender's calendar ("Tomasz's
		// calendar", like X-WR-CALNAME), links to its feed and its
		// picture; see prop for IMAGE and STRUCTURED-DATA.
		return nil
	}
	if dropName(p.Name) || zoneProperty(p.Name) || uriValued(&p) && c.m.uriAtDomain(p.Value) {
		return nil
	}
	c.cleanParams(&p)
	// No calendar property has a time in a zone; a TZID here names the
	// sender's zone and no VTIMEZONE zones would rename.
	dropParam(&p, "TZID")
	p.Value = teams(c.m.scrub(p.Value, c.id.Address, c.textName, c.idNames))
	return c.emit(p)
}

// zoneProperty reports the properties that describe a time zone
// (RFC 5545 section 3.8.3). In a VTIMEZONE and its observances zones
// rewrites them; anywhere else they are strays that name the sender's
// zone as they wrote it ("TZID:Europe/Warsaw"), and go.
func zoneProperty(name string) bool {
	switch name {
	case "TZID", "TZNAME", "TZOFFSETFROM", "TZOFFSETTO", "TZURL", "TZUNTIL", "TZID-ALIAS-OF":
		return true
	}
	return false
}

// dropName reports properties dropped wherever they are. Vendor
// extensions (X-MS-OLK-*, X-MICROSOFT-CDO-*, X-APPLE-*, X-GOOGLE-*,
// X-WR-CALNAME, X-LIC-LOCATION, X-MOZ-*) carry client ids, calendar names
// and conference ids, and nothing a recipient's client needs to act on the
// event, so all X- properties go (RFC 5545 section 3.8.8.2 lets a
// recipient ignore them).
//
// STYLED-DESCRIPTION (RFC 9073 section 6.5) goes too: it is the event's
// description as HTML, with what HTML carries (remote pictures that tell
// when the invitation is read, the client's markup, the signature), and
// the plain DESCRIPTION beside it says the same.
func dropName(name string) bool {
	return strings.HasPrefix(name, "X-") || name == "STYLED-DESCRIPTION"
}

// uid replaces a UID the sender's client made: Outlook's UIDs embed a
// creation time and Google's are keyed to the organizer's account. HMAC
// keeps the map one-to-one, so an override (RECURRENCE-ID) still matches
// its master event and RELATED-TO its parent.
func (c *cleaner) uid(v string) string {
	h := hmac.New(sha256.New, c.key)
	h.Write([]byte(v))
	s := hex.EncodeToString(h.Sum(nil)[:16])
	if at := strings.LastIndexByte(c.id.Address, '@'); at >= 0 {
		s += c.id.Address[at:]
	}
	return s
}

// publishing reports the methods an organizer sends (RFC 5546 section
// 1.4): the sender published the object, so its ORGANIZER is the sender
// whatever address it shows.
func (c *cleaner) publishing() bool {
	switch c.method {
	case "REQUEST", "PUBLISH", "CANCEL", "ADD", "DECLINECOUNTER":
		return true
	}
	return false
}

// replying reports the methods an attendee sends (RFC 5546 section 1.4):
// the sender is one ATTENDEE, and the ORGANIZER is the recipient.
func (c *cleaner) replying() bool {
	switch c.method {
	case "REPLY", "COUNTER", "REFRESH":
		return true
	}
	return false
}

// isValue compares a BEGIN or END value, which writers pad or lower-case.
func isValue(v, want string) bool { return strings.EqualFold(strings.TrimSpace(v), want) }

// escapeText escapes a TEXT value (RFC 5545 section 3.3.11): the relay's
// name, "A friend, anonymously", holds a comma.
func escapeText(s string) string {
	return strings.NewReplacer("\\", "\\\\", ";", "\\;", ",", "\\,", "\n", "\\n", "\r", "").Replace(s)
}
