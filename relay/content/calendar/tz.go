package calendar

import (
	"strconv"
	"strings"
	"time"

	"leak/relay/content/refusal"
)

// A time zone tells where the sender is, and the name their client gives
// it tells their language and client: German Outlook writes "(UTC+01:00)
// Amsterdam, Berlin, Bern, Rom, Stockholm, Wien", Google "Europe/Warsaw",
// and each writes TZNAME values of its own ("Mitteleuropäische
// Sommerzeit"). zones moves the times of an event that happens once to
// UTC, which needs no zone at all, and keeps the zone of an event that
// recurs, since a weekly 10:00 meeting moved to UTC would move by an hour
// when the clocks change; such a zone is written under a name made of its
// offsets ("UTC+01:00/+02:00"), with its changes of offset and nothing else,
// written in one form whichever client wrote them (see canonicalZone).

var errNoZone = refusal.New(refusal.Malformed, "a calendar event names a time zone the calendar does not define; send the event from another client")

// maxZoneWork bounds the work of placing one object's times, counted in
// observances and years of their rules looked at, so that a calendar of
// many dates in zones of many observances does not hold the relay. Eight
// million is 300,000 dates in a zone of two observances, or 40,000 in one
// with twenty: far beyond an invitation, or a year's calendar.
const maxZoneWork = 8 << 20

// zoneSet is what zones knows of one calendar object.
type zoneSet struct {
	c         *cleaner
	defs      map[string]*zoneDef // by TZID
	order     []*zoneDef          // the order to write them in
	recurring map[string]bool     // UIDs of components with RRULE or RDATE
	spent     int                 // work of placing times, see maxZoneWork
}

// zoneDef is a VTIMEZONE of the object, or one made from Go's data.
type zoneDef struct {
	comp   *component     // nil until made from loc
	loc    *time.Location // Go's zone, for an IANA name without a VTIMEZONE
	zone   *zone          // nil if it cannot be evaluated
	parsed bool
	refs   []*property // properties whose TZID names it in the output
}

// zones handles the time zones of one object's cleaned components and
// returns the components to write: the VTIMEZONEs still named, then the
// others in their order. A VTIMEZONE may come after the components that
// name it, so it runs on the whole object.
func (c *cleaner) zones(comps []*component) ([]*component, error) {
	s := &zoneSet{c: c, defs: map[string]*zoneDef{}, recurring: map[string]bool{}}
	var rest []*component
	for _, comp := range comps {
		if comp.Name != "VTIMEZONE" {
			rest = append(rest, comp)
			continue
		}
		// One without a TZID, or a second one with the same, defines
		// nothing: it goes.
		id, ok := zoneID(comp)
		if !ok || s.defs[id] != nil {
			continue
		}
		d := &zoneDef{comp: comp}
		s.defs[id] = d
		s.order = append(s.order, d)
	}
	for _, comp := range rest {
		if uid := comp.value("UID"); uid != "" && (comp.has("RRULE") || comp.has("RDATE")) {
			s.recurring[uid] = true
		}
	}
	for _, comp := range rest {
		if err := s.component(comp, s.recurring[comp.value("UID")]); err != nil {
			return nil, err
		}
	}
	var out []*component
	used := map[string]bool{}
	for _, d := range s.order {
		if len(d.refs) == 0 {
			continue
		}
		if d.comp == nil {
			d.comp = generateZone(d.loc, s.firstYear(d.refs))
			d.parsed = false
		}
		if first, ok := firstTime(d.refs); ok {
			if z := d.evaluate(); z != nil {
				// Offsets are within a day: two days before the
				// earliest wall clock time is before its instant.
				if canon := canonicalZone(z, first.Add(-48*time.Hour)); canon != nil {
					d.comp = canon
				}
			}
		}
		strip(d.comp)
		base := zoneName(d.comp)
		name := base
		for k := 2; used[name]; k++ {
			name = base + " " + strconv.Itoa(k)
		}
		used[name] = true
		d.comp.Props = append([]property{{Name: "TZID", Value: name}}, d.comp.Props...)
		for _, p := range d.refs {
			p.param("TZID").Values = []string{name}
		}
		out = append(out, d.comp)
	}
	return append(out, rest...), nil
}

// component handles the TZID parameters of comp and its subcomponents. A
// component recurs if it has RRULE, RDATE or RECURRENCE-ID (an override
// of one recurrence), shares its UID with one that does, or belongs to
// one that does (the alarm of a weekly meeting).
func (s *zoneSet) component(comp *component, recurs bool) error {
	recurs = recurs || comp.has("RRULE") || comp.has("RDATE") || comp.has("RECURRENCE-ID")
	for i := range comp.Props {
		if err := s.prop(&comp.Props[i], recurs); err != nil {
			return err
		}
	}
	for _, sub := range comp.Subs {
		if err := s.component(sub, recurs); err != nil {
			return err
		}
	}
	return nil
}

// prop moves a date-time value with a TZID to UTC if its component does
// not recur and its zone can be evaluated, and otherwise records it as
// naming a zone to keep.
func (s *zoneSet) prop(p *property, recurs bool) error {
	q := p.param("TZID")
	if q == nil {
		return nil
	}
	id := strings.Join(q.Values, ",")
	// A second TZID would be written as it came.
	if tzids := len(p.Params) - len(withoutParam(p.Params, "TZID")); tzids > 1 {
		p.Params = append(withoutParam(p.Params, "TZID"), *q)
	}
	vals := strings.Split(p.Value, ",")
	// A DATE has no time of day to place in a zone (RFC 5545 section
	// 3.2.19: TZID "MUST NOT be applied to DATE properties").
	if isDate(p, vals) {
		dropParam(p, "TZID")
		return nil
	}
	d := s.defs[id]
	if !recurs {
		var z *zone
		switch {
		case d != nil && d.loc == nil:
			z = d.evaluate()
		case s.c.ianaZone(id) != nil:
			z = &zone{loc: s.c.ianaZone(id)}
		}
		if z != nil {
			z.spent = &s.spent
			v, ok := toUTC(z, vals)
			if s.spent > maxZoneWork {
				return errTooLarge
			}
			if ok {
				p.Value = v
				dropParam(p, "TZID")
				return nil
			}
		}
	}
	if d == nil {
		loc := s.c.ianaZone(id)
		if loc == nil {
			return errNoZone
		}
		// Its VTIMEZONE is made once all that name it are known.
		d = &zoneDef{loc: loc}
		s.defs[id] = d
		s.order = append(s.order, d)
	}
	d.refs = append(d.refs, p)
	return nil
}

// evaluate returns the zone d defines, or nil if it cannot be evaluated.
func (d *zoneDef) evaluate() *zone {
	if !d.parsed {
		// parseZone returns an empty zone, not nil, for a VTIMEZONE
		// without observances: it has no offset to evaluate.
		if z, ok := parseZone(d.comp); ok {
			d.zone = z
		}
		d.parsed = true
	}
	return d.zone
}

// toUTC returns a DATE-TIME list in UTC (RFC 5545 section 3.3.5, form #2).
func toUTC(z *zone, vals []string) (string, bool) {
	out := make([]string, len(vals))
	for i, v := range vals {
		if _, ok := parseUTC(v); ok {
			out[i] = v
			continue
		}
		w, ok := parseWall(v)
		if !ok || z.spent != nil && *z.spent > maxZoneWork {
			return "", false
		}
		t := z.utc(w)
		if t.Year() < 0 || t.Year() > 9999 {
			return "", false
		}
		out[i] = t.Format("20060102T150405Z")
	}
	return strings.Join(out, ","), true
}

// firstTime returns the earliest of the times of refs, read as UTC.
func firstTime(refs []*property) (time.Time, bool) {
	var first time.Time
	found := false
	for _, p := range refs {
		for _, v := range strings.Split(p.Value, ",") {
			w, ok := parseWall(v)
			if !ok {
				w, ok = parseUTC(v)
			}
			if ok && (!found || w.Before(first)) {
				first, found = w, true
			}
		}
	}
	return first, found
}

// firstYear is the year a zone made for refs starts in: that of their
// earliest time, else that of the copy's DTSTAMP.
func (s *zoneSet) firstYear(refs []*property) int {
	first, found := 0, false
	for _, p := range refs {
		for _, v := range strings.Split(p.Value, ",") {
			w, ok := parseWall(v)
			if !ok {
				w, ok = parseUTC(v)
			}
			if ok && (!found || w.Year() < first) {
				first, found = w.Year(), true
			}
		}
	}
	if !found {
		first, _ = strconv.Atoi(s.c.stamp[:4])
	}
	return first
}

func isDate(p *property, vals []string) bool {
	if q := p.param("VALUE"); q != nil && len(q.Values) == 1 && strings.EqualFold(q.Values[0], "DATE") {
		return true
	}
	for _, v := range vals {
		if _, ok := parseDate(v); !ok {
			return false
		}
	}
	return true
}

// strip keeps of a VTIMEZONE what places times in it: the onsets and
// offsets of its observances. TZNAME ("CEST", "Mitteleuropäische
// Sommerzeit"), COMMENT, TZURL, LAST-MODIFIED and X-LIC-LOCATION go, and
// the TZID is written anew.
func strip(tz *component) {
	tz.Props = nil
	var subs []*component
	for _, sub := range tz.Subs {
		if sub.Name != "STANDARD" && sub.Name != "DAYLIGHT" {
			continue
		}
		var props []property
		for _, p := range sub.Props {
			switch p.Name {
			case "DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "RRULE", "RDATE":
				var params []param
				if q := p.param("VALUE"); q != nil {
					params = []param{*q}
				}
				props = append(props, property{Name: p.Name, Params: params, Value: p.Value})
			}
		}
		subs = append(subs, &component{Name: sub.Name, Props: props})
	}
	tz.Subs = subs
}

// zoneName names a VTIMEZONE by the offsets of its latest STANDARD and
// DAYLIGHT observances: "UTC+01:00/+02:00", or "UTC+05:30" for a zone
// with one kind.
func zoneName(tz *component) string {
	var offsets [2]string // STANDARD, DAYLIGHT
	var starts [2]time.Time
	for _, sub := range tz.Subs {
		k := 0
		if sub.Name == "DAYLIGHT" {
			k = 1
		}
		start, ok1 := parseWall(sub.value("DTSTART"))
		to, ok2 := parseOffset(sub.value("TZOFFSETTO"))
		if ok1 && ok2 && (offsets[k] == "" || !start.Before(starts[k])) {
			offsets[k], starts[k] = nameOffset(to), start
		}
	}
	switch {
	case offsets[0] != "" && offsets[1] != "":
		return "UTC" + offsets[0] + "/" + offsets[1]
	case offsets[0] != "" || offsets[1] != "":
		return "UTC" + offsets[0] + offsets[1]
	}
	return "Zone"
}

// nameOffset writes an offset as in ISO 8601, "+01:00".
func nameOffset(d time.Duration) string {
	s := formatOffset(d)
	out := s[:3] + ":" + s[3:5]
	if len(s) > 5 {
		out += ":" + s[5:]
	}
	return out
}

// zoneID returns a VTIMEZONE's TZID. It is TEXT (RFC 5545 section
// 3.8.3.1), so the commas of Outlook's "(UTC+01:00) Amsterdam, Berlin"
// may be escaped; a TZID parameter, split at its commas, is joined again.
func zoneID(tz *component) (string, bool) {
	for _, p := range tz.Props {
		if p.Name == "TZID" {
			return unescapeText(p.Value), true
		}
	}
	return "", false
}

func unescapeText(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	return strings.NewReplacer("\\\\", "\\", "\\,", ",", "\\;", ";", "\\n", "\n", "\\N", "\n").Replace(s)
}

func dropParam(p *property, name string) { p.Params = withoutParam(p.Params, name) }

// withoutParam returns a copy of params without those called name.
func withoutParam(params []param, name string) []param {
	var out []param
	for _, q := range params {
		if q.Name != name {
			out = append(out, q)
		}
	}
	return out
}

// has reports whether comp has a property called name.
func (comp *component) has(name string) bool {
	for _, p := range comp.Props {
		if p.Name == name {
			return true
		}
	}
	return false
}

// value returns the value of comp's first property called name, or "".
func (comp *component) value(name string) string {
	for _, p := range comp.Props {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}
