package calendar

import (
	"strconv"
	"strings"
	"time"

	// Google and Apple name zones by IANA name ("Europe/Warsaw"), and web
	// tools send such names without a VTIMEZONE; the relay's container has
	// no /usr/share/zoneinfo to look them up in.
	_ "time/tzdata"
)

// ianaZone returns Go's zone of an IANA name, or nil. "Local" would be the
// relay's own zone, which is no zone the sender meant.
func (c *cleaner) ianaZone(name string) *time.Location {
	if loc, ok := c.iana[name]; ok {
		return loc
	}
	var loc *time.Location
	if name != "" && name != "Local" && !strings.ContainsAny(name, "\\\x00") {
		loc, _ = time.LoadLocation(name)
	}
	if c.iana == nil {
		c.iana = map[string]*time.Location{}
	}
	c.iana[name] = loc
	return loc
}

// generatedYears is how far ahead a zone whose changes follow no yearly
// rule is written out.
const generatedYears = 10

// generateZone writes a VTIMEZONE for loc as Go's data has it from year
// on, for a recurring event that names an IANA zone the calendar does not
// define. Most zones change on the same weekday of the same month each
// year ("the last Sunday of March"), which a yearly RRULE carries forever;
// the changes of the others (Morocco's, and zones about to drop or adopt
// daylight saving) are listed for generatedYears years. A zone without
// changes gets one STANDARD.
func generateZone(loc *time.Location, year int) *component {
	tz := &component{Name: "VTIMEZONE"}
	changes := transitions(loc, year, year+1)
	if len(changes) == 0 {
		_, off := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).In(loc).Zone()
		o := time.Duration(off) * time.Second
		tz.Subs = append(tz.Subs, observanceComponent("STANDARD", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), o, o, "", nil))
		return tz
	}
	if yearlyRules(loc, changes) {
		for _, ch := range changes {
			wall := ch.at.Add(ch.from)
			rule := "FREQ=YEARLY;BYMONTH=" + strconv.Itoa(int(wall.Month())) + ";BYDAY=" + strconv.Itoa(ordinalNum(wall)) + weekdayName(wall.Weekday())
			tz.Subs = append(tz.Subs, observanceComponent(ch.kind(), wall, ch.from, ch.to, rule, nil))
		}
		return tz
	}
	// One observance per kind of change, its later changes as RDATEs.
	type kind struct {
		from, to time.Duration
		dst      bool
	}
	var kinds []kind
	firsts := map[kind]transition{}
	rdates := map[kind][]string{}
	for _, ch := range transitions(loc, year, year+generatedYears) {
		k := kind{ch.from, ch.to, ch.dst}
		if _, ok := firsts[k]; !ok {
			kinds = append(kinds, k)
			firsts[k] = ch
			continue
		}
		rdates[k] = append(rdates[k], ch.at.Add(ch.from).Format(wallLayout))
	}
	for _, k := range kinds {
		ch := firsts[k]
		tz.Subs = append(tz.Subs, observanceComponent(ch.kind(), ch.at.Add(ch.from), ch.from, ch.to, "", rdates[k]))
	}
	return tz
}

// transition is a change of loc's offset at instant at.
type transition struct {
	at       time.Time
	from, to time.Duration
	dst      bool
}

func (t transition) kind() string {
	if t.dst {
		return "DAYLIGHT"
	}
	return "STANDARD"
}

// transitions returns loc's changes in the years [from, to).
func transitions(loc *time.Location, from, to int) []transition {
	var out []transition
	end := time.Date(to, 1, 1, 0, 0, 0, 0, time.UTC)
	t := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC)
	// Zones change at most a few times a year. Past the last change its
	// table lists (2037), Go computes the changes from the zone's rule one
	// year at a time, and at the end of such a year ZoneBounds can return
	// the bound it was asked from: the search then steps on an hour, and
	// the number of steps is bounded whatever Go answers.
	for steps := 0; len(out) < 8*(to-from) && steps < 64*(to-from); steps++ {
		_, next := t.In(loc).ZoneBounds()
		if next.IsZero() || !next.Before(end) {
			break
		}
		if !next.After(t) {
			t = t.Add(time.Hour)
			continue
		}
		_, before := next.Add(-time.Second).In(loc).Zone()
		_, after := next.In(loc).Zone()
		// Some changes are of the abbreviation alone.
		if before != after {
			out = append(out, transition{at: next.UTC(), from: time.Duration(before) * time.Second, to: time.Duration(after) * time.Second, dst: next.In(loc).IsDST()})
		}
		t = next
	}
	return out
}

// yearlyRules reports whether each of one year's changes recurs, in the
// five years after, on the weekday of the month it falls on that year.
func yearlyRules(loc *time.Location, changes []transition) bool {
	y := changes[0].at.Add(changes[0].from).Year()
	for k := 1; k <= 5; k++ {
		later := transitions(loc, y+k, y+k+1)
		if len(later) != len(changes) {
			return false
		}
		for i, ch := range changes {
			wall := ch.at.Add(ch.from)
			r := yearly{months: []time.Month{wall.Month()}, days: []weekdayNum{{n: ordinalNum(wall), day: wall.Weekday()}}}
			ws := r.walls(y+k, wall)
			l := later[i]
			if len(ws) != 1 || !ws[0].Add(-ch.from).Equal(l.at) || l.from != ch.from || l.to != ch.to {
				return false
			}
		}
	}
	return true
}

// ordinalNum is which weekday of its month t is: -1 for the last seven
// days, so that "the last Sunday" stays the last in a month of five.
func ordinalNum(t time.Time) int {
	if t.Day()+7 > daysIn(t.Year(), t.Month()) {
		return -1
	}
	return (t.Day()-1)/7 + 1
}

func weekdayName(d time.Weekday) string {
	return [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}[d]
}

// wallLayout formats a wall clock DATE-TIME.
const wallLayout = "20060102T150405"

// observanceComponent builds a STANDARD or DAYLIGHT with the properties a
// VTIMEZONE keeps.
func observanceComponent(kind string, start time.Time, from, to time.Duration, rule string, rdates []string) *component {
	o := &component{Name: kind, Props: []property{
		{Name: "DTSTART", Value: start.Format(wallLayout)},
		{Name: "TZOFFSETFROM", Value: formatOffset(from)},
		{Name: "TZOFFSETTO", Value: formatOffset(to)},
	}}
	if rule != "" {
		o.Props = append(o.Props, property{Name: "RRULE", Value: rule})
	}
	if len(rdates) > 0 {
		o.Props = append(o.Props, property{Name: "RDATE", Value: strings.Join(rdates, ",")})
	}
	return o
}
