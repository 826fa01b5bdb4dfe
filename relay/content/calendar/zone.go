package calendar

import (
	"sort"
	"time"
)

// zone is a time zone an event's times are given in: the calendar's own
// VTIMEZONE (obs), or Go's data for an IANA name the calendar names but
// does not define (loc).
type zone struct {
	obs   []observance
	loc   *time.Location
	spent *int // work done, shared by the zones of one object; see maxZoneWork
}

// observance is one STANDARD or DAYLIGHT of a VTIMEZONE (RFC 5545 section
// 3.6.5): from each of its onsets on, the offset is to, until the onset of
// another observance. Onsets are instants; the calendar gives them as wall
// clock times in the offset from.
type observance struct {
	start    time.Time     // the first onset, DTSTART
	from, to time.Duration // east of UTC
	rule     *yearly       // an RRULE without COUNT; nil if none
	dates    []time.Time   // RDATEs and a COUNT rule's onsets, sorted
	daylight bool          // a DAYLIGHT, not a STANDARD
}

// yearly is the part of RRULE (RFC 5545 section 3.3.10) that time zones
// use: FREQ=YEARLY with BYMONTH and a BYDAY such as -1SU or 2SU, or
// BYMONTHDAY, up to UNTIL or COUNT times. It recurs at DTSTART's time of
// day.
type yearly struct {
	months    []time.Month
	days      []weekdayNum
	monthDays []int
	until     time.Time // an instant; zero if none
	count     int       // 0 if none
}

// weekdayNum is one BYDAY entry: the n-th weekday of the month, counted
// from its end if n is negative, or every such weekday if n is 0.
type weekdayNum struct {
	n   int
	day time.Weekday
}

// maxCount bounds an observance's COUNT; zones recur once a year, so a
// thousand onsets are a thousand years. maxObservances and maxList bound
// what a VTIMEZONE makes each look-up do: real ones have two observances,
// or a few dozen with their history, and one month and one day in a rule.
const (
	maxCount       = 1000
	maxObservances = 64
	maxList        = 31
)

// offsetAt returns the offset from UTC in force at instant t.
func (z *zone) offsetAt(t time.Time) time.Duration {
	if z.spent != nil {
		// A look-up in a rule reckons up to three years.
		*z.spent++
		for i := range z.obs {
			if *z.spent++; z.obs[i].rule != nil {
				*z.spent += 3
			}
		}
	}
	if z.loc != nil {
		_, off := t.In(z.loc).Zone()
		return time.Duration(off) * time.Second
	}
	var best *observance
	var bestOnset time.Time
	for i := range z.obs {
		o := &z.obs[i]
		if on, ok := o.latest(t); ok && (best == nil || on.After(bestOnset)) {
			best, bestOnset = o, on
		}
	}
	if best != nil {
		return best.to
	}
	// Before the first onset of all, the offset is the one the earliest
	// observance changes from.
	first := &z.obs[0]
	for i := range z.obs {
		if z.obs[i].start.Before(first.start) {
			first = &z.obs[i]
		}
	}
	return first.from
}

// utc returns the instant of a wall clock time in z (given as a UTC
// time.Time). RFC 5545 section 3.3.5: a time that occurs twice, when the
// clocks go back, is the first of the two; a time that does not occur,
// when they go forward, is read with the offset before the change. Offsets
// stay within a day, so two days either side of the wall clock are
// outside any change near it.
func (z *zone) utc(wall time.Time) time.Time {
	before := z.offsetAt(wall.Add(-48 * time.Hour))
	if z.offsetAt(wall.Add(-before)) == before {
		return wall.Add(-before)
	}
	after := z.offsetAt(wall.Add(48 * time.Hour))
	if z.offsetAt(wall.Add(-after)) == after {
		return wall.Add(-after)
	}
	return wall.Add(-before)
}

// latest returns the latest onset of o at or before t.
func (o *observance) latest(t time.Time) (time.Time, bool) {
	var on time.Time
	found := !o.start.After(t)
	if found {
		on = o.start
	}
	if i := sort.Search(len(o.dates), func(i int) bool { return o.dates[i].After(t) }); i > 0 && (!found || o.dates[i-1].After(on)) {
		on, found = o.dates[i-1], true
	}
	if o.rule == nil || t.Before(o.start) {
		return on, found
	}
	limit := t
	if !o.rule.until.IsZero() && o.rule.until.Before(limit) {
		limit = o.rule.until
	}
	// The rule has an onset every year (parseObservance checks), so the
	// latest is in the wall clock year of limit or the one before; the
	// year after is looked at for offsets that cross New Year.
	y := limit.Add(o.from).Year()
	for year := y + 1; year >= y-1; year-- {
		var inYear bool
		for _, w := range o.rule.walls(year, o.start.Add(o.from)) {
			if at := w.Add(-o.from); !at.After(limit) && at.After(on) {
				on, inYear = at, true
			}
		}
		if inYear {
			break
		}
	}
	return on, found
}

// walls returns the wall clock onsets of r in year, at start's time of day.
func (r *yearly) walls(year int, start time.Time) []time.Time {
	months := r.months
	if len(months) == 0 {
		months = []time.Month{start.Month()}
	}
	h, m, s := start.Clock()
	var out []time.Time
	for _, month := range months {
		last := daysIn(year, month)
		at := func(day int) time.Time { return time.Date(year, month, day, h, m, s, 0, time.UTC) }
		switch {
		case len(r.monthDays) > 0:
			for _, d := range r.monthDays {
				if d < 0 {
					d += last + 1
				}
				if d < 1 || d > last || len(r.days) > 0 && !r.hasWeekday(at(d).Weekday()) {
					continue
				}
				out = append(out, at(d))
			}
		case len(r.days) > 0:
			first := at(1).Weekday()
			for _, wd := range r.days {
				// The first such weekday of the month, then every week.
				d := 1 + (int(wd.day)-int(first)+7)%7
				var all []int
				for ; d <= last; d += 7 {
					all = append(all, d)
				}
				switch {
				case wd.n == 0:
					for _, d := range all {
						out = append(out, at(d))
					}
				case wd.n > 0 && wd.n <= len(all):
					out = append(out, at(all[wd.n-1]))
				case wd.n < 0 && -wd.n <= len(all):
					out = append(out, at(all[len(all)+wd.n]))
				}
			}
		default:
			if start.Day() <= last {
				out = append(out, at(start.Day()))
			}
		}
	}
	return out
}

func (r *yearly) hasWeekday(d time.Weekday) bool {
	for _, wd := range r.days {
		if wd.day == d {
			return true
		}
	}
	return false
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
