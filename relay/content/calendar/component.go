package calendar

import (
	"slices"
	"strings"

	"leak/relay/content/text"
)

// component cleans one component and returns what of it is written, or
// nil if it goes whole. top is true for the components directly inside
// VCALENDAR (VEVENT, VTODO, VJOURNAL, VFREEBUSY, VTIMEZONE), the ones an
// iTIP method speaks about. names are the forms of the sender's names
// known outside comp (nameForms): the From display names, and those its
// parent component gave.
func (c *cleaner) component(comp *component, top bool, names []string) (*component, error) {
	if dropComponent(comp, top) || comp.Name == "PARTICIPANT" && c.colleague(comp) {
		return nil, nil
	}
	replier := -1
	if top && c.replying() {
		var err error
		if replier, err = c.findReplier(comp); err != nil {
			return nil, err
		}
	}
	cns := c.senderNames(comp, replier)
	c.names = append(c.names, cns...)
	names = append(slices.Clip(names), allForms(cns, minName)...)
	dropRooms, rooms := c.rooms(comp, replier)
	c.places = append(c.places, rooms...)
	out := &component{Name: comp.Name}
	inZone := comp.Name == "VTIMEZONE" || comp.Name == "STANDARD" || comp.Name == "DAYLIGHT"
	for i := range comp.Props {
		if !inZone && zoneProperty(comp.Props[i].Name) || slices.Contains(dropRooms, i) {
			continue
		}
		if p, keep := c.prop(comp.Props[i], i == replier, names, rooms); keep {
			out.Props = append(out.Props, p)
		}
	}
	for _, sub := range comp.Subs {
		s, err := c.component(sub, false, names)
		if err != nil {
			return nil, err
		}
		if s != nil {
			out.Subs = append(out.Subs, s)
		}
	}
	return out, nil
}

// colleague reports a PARTICIPANT (RFC 9073 section 7.1) that is the
// sender or works at their domain, by its CALENDAR-ADDRESS, as prop drops
// such an ATTENDEE. The sender's own goes too rather than becoming Leak's:
// what it adds to their ORGANIZER or ATTENDEE (a SUMMARY with their title,
// a DESCRIPTION, a LOCATION) is about them.
func (c *cleaner) colleague(comp *component) bool {
	for _, p := range comp.Props {
		if p.Name == "CALENDAR-ADDRESS" {
			a := calAddress(p.Value)
			if c.m.isSender(a) || c.m.atSenderDomain(a) {
				return true
			}
		}
	}
	return false
}

// dropComponent reports the components that go whole. An alarm that sends
// e-mail writes to the sender's own address (RFC 5545 section 3.6.6); it
// is no use to the recipient. A VTIMEZONE means something only directly
// inside VCALENDAR (RFC 5545 section 3.6), where zones handles it.
func dropComponent(comp *component, top bool) bool {
	switch {
	case strings.HasPrefix(comp.Name, "X-"):
		return true
	case comp.Name == "VALARM" && isEmailAlarm(comp):
		return true
	case comp.Name == "VTIMEZONE" && !top:
		return true
	}
	return false
}

// write writes a cleaned component.
func (c *cleaner) write(comp *component) error {
	if err := c.emit(property{Name: "BEGIN", Value: comp.Name}); err != nil {
		return err
	}
	for _, p := range comp.Props {
		if err := c.emit(p); err != nil {
			return err
		}
	}
	for _, sub := range comp.Subs {
		if err := c.write(sub); err != nil {
			return err
		}
	}
	return c.emit(property{Name: "END", Value: comp.Name})
}

func isEmailAlarm(comp *component) bool {
	for _, p := range comp.Props {
		if p.Name == "ACTION" && strings.EqualFold(strings.TrimSpace(p.Value), "EMAIL") {
			return true
		}
	}
	return false
}

// findReplier returns the index of the property of comp that is the
// replying attendee: the ATTENDEE with a sender address (or Leak's, in a
// reply already cleaned), else the only ATTENDEE, else the only one whose
// CN is the sender's name (namedSender), else the only ATTENDEE with a
// PARTSTAT (RFC 5546 sections 3.2.3 and 3.2.6: a REPLY or REFRESH carries
// the replying attendee alone). It returns -1 if there is no ATTENDEE, and
// refuses a component whose replier cannot be told apart, since another of
// the sender's addresses would then go out under their name.
func (c *cleaner) findReplier(comp *component) (int, error) {
	var all, withStat, named []int
	for i := range comp.Props {
		p := &comp.Props[i]
		if p.Name != "ATTENDEE" {
			continue
		}
		// Leak's own address is the sender's, already cleaned.
		if c.m.propSender(p) || c.id.Address != "" && calAddress(p.Value) == strings.ToLower(c.id.Address) {
			return i, nil
		}
		all = append(all, i)
		if p.param("PARTSTAT") != nil {
			withStat = append(withStat, i)
		}
		if c.namedSender(p) {
			named = append(named, i)
		}
	}
	switch {
	case len(all) == 0:
		return -1, nil
	case len(all) == 1:
		return all[0], nil
	case len(named) == 1:
		return named[0], nil
	case c.method == "REPLY" && len(withStat) == 1:
		return withStat[0], nil
	}
	return -1, errReplier
}

// namedSender reports an ORGANIZER or ATTENDEE whose CN gives one of the
// sender's display names (nameIn): the sender under another address, their
// private one invited from their work one, or an export from an account
// the relay does not know.
func (c *cleaner) namedSender(p *property) bool {
	if q := p.param("CN"); q != nil {
		for _, v := range q.Values {
			if nameIn(v, c.id.Names) {
				return true
			}
		}
	}
	return false
}

// isSender reports an ORGANIZER or ATTENDEE that is the sender, by its
// address or its name; but the ORGANIZER of a reply is the recipient,
// whatever name it gives.
func (c *cleaner) isSender(p *property) bool {
	if c.m.propSender(p) {
		return true
	}
	return !(p.Name == "ORGANIZER" && c.replying()) && c.namedSender(p)
}

// senderNames collects the full names the component gives the sender, in
// the CN of their ORGANIZER or ATTENDEE, so that text repeating them
// ("Tomasz Kowalczyk has accepted this invitation") can be rewritten too.
func (c *cleaner) senderNames(comp *component, replier int) []string {
	var names []string
	for i := range comp.Props {
		p := &comp.Props[i]
		if p.Name != "ORGANIZER" && p.Name != "ATTENDEE" {
			continue
		}
		sender := c.isSender(p) || i == replier || p.Name == "ORGANIZER" && c.publishing()
		if !sender {
			continue
		}
		names = append(names, cnNames(p)...)
	}
	return names
}

// cnNames returns the names a calendar user property's CN gives, those
// long enough to look for in text.
func cnNames(p *property) []string {
	var names []string
	if q := p.param("CN"); q != nil {
		for _, v := range q.Values {
			if v = strings.TrimSpace(v); len(v) >= minName {
				names = append(names, v)
			}
		}
	}
	return names
}

// rooms returns the indexes in comp of the rooms and resources (ATTENDEE
// with CUTYPE=ROOM or RESOURCE) that go, and their names (CN). A room
// tells where the meeting is, and a room the sender booked is their
// employer's office: Google Workspace names it after the organisation's
// primary domain (<domain>_<id>@resource.calendar.google.com, which need
// not be the domain the sender writes from) or not at all
// (c_<id>@resource.calendar.google.com), and Exchange puts it at any
// domain the organisation owns. So every room goes unless the method is
// a reply, whose organizer, and so its rooms, are the recipient's; then
// only rooms at the sender's domain go.
func (c *cleaner) rooms(comp *component, replier int) (drop []int, names []string) {
	for i := range comp.Props {
		p := &comp.Props[i]
		if p.Name != "ATTENDEE" || i == replier || !isRoom(p) {
			continue
		}
		if c.replying() && !c.m.propAtDomain(p) {
			continue
		}
		drop = append(drop, i)
		names = append(names, cnNames(p)...)
	}
	return drop, names
}

func isRoom(p *property) bool {
	t := p.param("CUTYPE")
	return t != nil && len(t.Values) == 1 && (strings.EqualFold(t.Values[0], "RESOURCE") || strings.EqualFold(t.Values[0], "ROOM"))
}

// withoutRooms removes from a LOCATION value the rooms named and what is
// written before them, and the separators left at its ends. Google
// Calendar writes a room into LOCATION after its building's address
// ("Profound Technologies\, 125 Little Conestoga Rd\, …\, ICDPF PA
// Office-2-PA Huddle Room (4)"), or splits the room's generated name
// (building-floor-room) to put the address after the building's name
// ("Warsaw Office\, Złota 59\, 00-120 Warszawa\, Poland-3-Kasztan (8)
// [TV]" for the room Warsaw Office-3-Kasztan (8) [TV]): in both, the
// room ends the text Google wrote for it, and that text is the sender's
// workplace. What follows the last room (another client's "; "-separated
// list, text typed after it) stays.
func withoutRooms(v string, rooms []string) string {
	cut := 0
	for _, r := range rooms {
		cut = max(cut, roomEnd(v, r))
	}
	v = v[cut:]
	for {
		t := strings.TrimSpace(v)
		for _, sep := range []string{"\\,", "\\;", ",", ";"} {
			t = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, sep), sep))
		}
		if t == v {
			return v
		}
		v = t
	}
}

// cutPart returns, unescaped, what withoutRooms cut from the LOCATION
// value old to leave kept: the building's address and the rooms.
func cutPart(old, kept string) string {
	cut := old
	if kept != "" {
		i := strings.Index(old, kept)
		if i < 0 {
			return ""
		}
		cut = old[:i]
	}
	return strings.Trim(unescapeText(cut), " \t,;")
}

// minRoomTail is the shortest part of a room's name after a hyphen that
// roomEnd looks for alone: shorter ones ("-2") are parts of any address.
const minRoomTail = 4

// roomEnd returns where the last mention of the room named r ends in the
// TEXT value v, or 0 if v does not name it. Without the whole name, the
// longest part of it that follows a hyphen (the floor and the room, as
// Google writes them after an address) counts.
func roomEnd(v, r string) int {
	for i := 0; i < len(r); i++ {
		if i > 0 && (r[i] != '-' || len(r)-i-1 < minRoomTail) {
			continue
		}
		end := 0
		for _, form := range []string{r[i:], escapeText(r[i:])} {
			end = max(end, lastFoldEnd(v, form))
		}
		if end > 0 {
			return end
		}
	}
	return 0
}

// lastFoldEnd returns the end of the last occurrence of sub in s under
// case folding, or 0.
func lastFoldEnd(s, sub string) int {
	end := 0
	for i := 0; i < len(s); i++ {
		if n := text.FoldPrefix(s[i:], sub); n > 0 {
			end = i + n
		}
	}
	return end
}

// prop cleans one component property and reports whether to keep it.
func (c *cleaner) prop(p property, replier bool, names, rooms []string) (property, bool) {
	if dropName(p.Name) {
		return p, false
	}
	switch p.Name {
	case "ORGANIZER":
		if c.publishing() || c.isSender(&p) {
			return c.anonymous("ORGANIZER", nil), true
		}
		// In a replying method the organizer is the recipient. Without a
		// method (a plain .ics file) it may be a colleague: drop them.
		if !c.replying() && c.m.propAtDomain(&p) {
			return p, false
		}
	case "ATTENDEE":
		if replier {
			return c.anonymous("ATTENDEE", p.param("PARTSTAT")), true
		}
		// The sender under another address (their private one, invited
		// from their work one) goes like a colleague.
		if c.isSender(&p) || c.m.propAtDomain(&p) {
			return p, false
		}
	case "UID", "RELATED-TO":
		// In a reply the UID is the organizer's, which the recipient
		// made; it must stay for their client to match the reply. One
		// that holds the sender's address the recipient did not make
		// alone (a forwarded invitation the sender organized, or a
		// crafted one): it is replaced, and the reply then matches
		// nothing, which is the lesser harm.
		if !c.replying() || c.m.scrub(p.Value, "", "", nil) != p.Value {
			p.Value = c.uid(p.Value)
		}
		c.cleanParams(&p)
		return p, true
	case "DTSTAMP":
		// Required in iTIP (RFC 5546 section 3.1); the original is the
		// minute the sender's client sent it.
		return property{Name: "DTSTAMP", Value: c.stamp}, true
	case "CREATED", "LAST-MODIFIED":
		return p, false
	case "ATTACH", "IMAGE", "STRUCTURED-DATA":
		// A URL points into the sender's cloud drive (OneDrive, Google
		// Drive, iCloud), and an inline binary is a second copy of a file
		// that would bypass the document cleaners; files go as MIME parts.
		// IMAGE (RFC 7986 section 5.10) is a picture with its EXIF, or a
		// remote one that tells when the event is looked at;
		// STRUCTURED-DATA (RFC 9073 section 6.6) a whole file, or JSON-LD
		// with links and names of its own, which no text cleaner reads.
		return p, false
	case "ACKNOWLEDGED":
		// RFC 9074 section 6: when the sender dismissed the alarm.
		return p, false
	case "LOCATION":
		if len(rooms) > 0 {
			old := p.Value
			p.Value = withoutRooms(old, rooms)
			if cut := cutPart(old, p.Value); cut != "" {
				c.places = append(c.places, cut)
			}
			if p.Value == "" {
				return p, false
			}
		}
	case "CONTACT":
		// Contact details that are the sender's (their address or the
		// name their ORGANIZER gives) hold a phone number or a postal
		// address as well: drop them rather than rewrite the name alone.
		if c.m.containsAddr(p.Value) || containsAnyFold(p.Value, names) {
			return p, false
		}
	case "DESCRIPTION":
		p.Value = withoutTeamsBlock(cutSignature(p.Value, c.id.Signatures))
	case "COMMENT":
		if c.m.containsAddr(p.Value) {
			return p, false
		}
	case "URL", "CONFERENCE":
		// A URL that holds the sender's address, even encoded (Google's
		// event links), or names their personal meeting room, cannot be
		// rewritten and still work.
		if v := c.m.scrub(p.Value, c.id.Address, c.textName, names); v != p.Value {
			return p, false
		}
	}
	if uriValued(&p) && c.m.uriAtDomain(p.Value) {
		return p, false
	}
	c.cleanParams(&p)
	p.Value = teams(c.m.scrub(p.Value, c.id.Address, c.textName, names))
	return p, true
}

// uriValued reports a property whose value is a URI: by its VALUE
// parameter, or by its name where the URI is its default type (URL and
// TZURL, RFC 5545 sections 3.8.4.6 and 3.8.3.5; SOURCE and CONFERENCE,
// RFC 7986 sections 5.8 and 5.11; LINK and CONCEPT, RFC 9253). Such a
// value at the sender's domain goes (uriAtDomain); an ORGANIZER or
// ATTENDEE there is judged by prop.
func uriValued(p *property) bool {
	switch p.Name {
	case "URL", "TZURL", "SOURCE", "CONFERENCE", "LINK", "CONCEPT":
		return true
	case "ORGANIZER", "ATTENDEE":
		return false
	}
	q := p.param("VALUE")
	return q != nil && len(q.Values) == 1 && (strings.EqualFold(q.Values[0], "URI") || strings.EqualFold(q.Values[0], "CAL-ADDRESS"))
}

// anonymous returns Leak's identity as a calendar user: CN and mailto only,
// so that SENT-BY, DIR, EMAIL and vendor parameters of the original go.
func (c *cleaner) anonymous(name string, partstat *param) property {
	p := property{Name: name}
	if partstat != nil && len(partstat.Values) == 1 {
		p.Params = append(p.Params, param{Name: "PARTSTAT", Values: []string{partstat.Values[0]}})
	}
	if c.name != "" {
		p.Params = append(p.Params, param{Name: "CN", Values: []string{c.name}})
	}
	p.Value = "mailto:" + c.id.Address
	return p
}

// cleanParams drops the parameters that point at the sender: SENT-BY (a
// delegate's address), DIR (an LDAP or web link into the sender's
// directory), EMAIL (RFC 7986), LANGUAGE (RFC 5545 section 3.2.10: the
// locale of the sender's client, "en-GB", as the HTML lang and
// Content-Language the relay also drops) and vendor X- parameters
// (Google's X-NUM-GUESTS, Outlook's X-MS-OLK-*). In DELEGATED-FROM, DELEGATED-TO and
// MEMBER the sender's addresses become Leak's and their colleagues go.
func (c *cleaner) cleanParams(p *property) {
	out := p.Params[:0]
	for _, q := range p.Params {
		switch {
		case q.Name == "SENT-BY", q.Name == "DIR", q.Name == "EMAIL", q.Name == "LANGUAGE", strings.HasPrefix(q.Name, "X-"):
			continue
		case q.Name == "DELEGATED-FROM", q.Name == "DELEGATED-TO", q.Name == "MEMBER":
			var vals []string
			for _, v := range q.Values {
				a := calAddress(v)
				switch {
				case c.m.isSender(a):
					vals = append(vals, "mailto:"+c.id.Address)
				case c.m.atSenderDomain(a):
				default:
					vals = append(vals, v)
				}
			}
			if len(vals) == 0 {
				continue
			}
			q.Values = vals
		case q.Name == "CN":
			// A third party's name stays; the sender's address in it goes.
			for k, v := range q.Values {
				q.Values[k] = c.m.scrub(v, c.id.Address, c.id.Name, nil)
			}
		case q.Name == "ALTREP":
			if c.m.scrub(strings.Join(q.Values, " "), "", "", nil) != strings.Join(q.Values, " ") || slices.ContainsFunc(q.Values, c.m.uriAtDomain) {
				continue
			}
		}
		out = append(out, q)
	}
	p.Params = out
}

func containsAnyFold(s string, subs []string) bool {
	l := strings.ToLower(s)
	for _, x := range subs {
		if strings.Contains(l, strings.ToLower(x)) {
			return true
		}
	}
	return false
}

// cutSignature removes the sender's stored signature from a TEXT value.
func cutSignature(v string, sigs text.Signatures) string {
	if sigs.Empty() || !strings.Contains(v, "\\") {
		return v
	}
	lines := textLines(v)
	kept := sigs.Cut(lines)
	if len(kept) == len(lines) {
		return v
	}
	return strings.Join(kept, "\\n")
}

// withoutTeamsBlock replaces the Teams block Outlook writes into an
// invitation's DESCRIPTION by its join link, as the text and HTML parts'
// cleaners do with the same block (text.TeamsBlock): its labels are in
// the organizer's Teams language.
func withoutTeamsBlock(v string) string {
	if !strings.Contains(v, "__________") || !strings.Contains(strings.ToLower(v), "teams.") {
		return v
	}
	lines := textLines(v)
	kept := text.TeamsBlock(lines)
	if len(kept) == len(lines) && slices.Equal(kept, lines) {
		return v
	}
	return strings.Join(kept, "\\n")
}

// textLines splits a TEXT value at its "\n" escapes (RFC 5545 section
// 3.3.11).
func textLines(v string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(v)-1; i++ {
		if v[i] != '\\' {
			continue
		}
		if v[i+1] == 'n' || v[i+1] == 'N' {
			lines = append(lines, v[start:i])
			start = i + 2
		}
		i++ // an escaped character, a backslash included
	}
	return append(lines, v[start:])
}
