package calendar

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Each client writes a zone's observances its own way, and so names
// itself: Outlook starts them in 1601 with INTERVAL=1 and BYDAY before
// BYMONTH, Google and Thunderbird in 1970, Apple in 1981 or 1996. A kept
// zone is written in one form whoever wrote it: its rules as they stand
// from the earliest time that names it, each starting in canonicalYear at
// the wall clock time of its change, RRULE parts in a fixed order.

// canonicalYear is the year canonical observances start in, that of
// Google's and Thunderbird's zones.
const canonicalYear = 1970

// canonical limits what canonicalZone compares: the years after the
// earliest time that it looks at, and the changes of offset in them.
const (
	canonicalSpan    = 50
	canonicalChanges = 1024
)

// canonicalZone returns z's observances in canonical form, for times from
// first on, or nil if z has no such form: if a change of rules is to come
// after first (an RRULE with UNTIL, an RDATE, a rule that starts later),
// or if the rewritten zone places any instant from first on differently.
// A zone that stops changing before first becomes one STANDARD.
func canonicalZone(z *zone, first time.Time) *component {
	var rules []*observance
	var latestStart, lastOther time.Time
	for i := range z.obs {
		o := &z.obs[i]
		if o.rule != nil && o.rule.until.IsZero() {
			if len(o.rule.months)*max(1, len(o.rule.days))*max(1, len(o.rule.monthDays)) > maxList {
				return nil
			}
			rules = append(rules, o)
			latestStart = later(latestStart, o.start)
			continue
		}
		lastOther = later(lastOther, o.start)
		if len(o.dates) > 0 {
			lastOther = later(lastOther, o.dates[len(o.dates)-1])
		}
		if o.rule != nil {
			lastOther = later(lastOther, o.rule.until)
		}
	}
	year := min(canonicalYear, first.Year()-1)
	// After end only the rules change the offset, each once a year at
	// least (parseObservance checks), so the two zones agree after it
	// if they agree up to it.
	end := later(later(first, latestStart), lastOther).AddDate(3, 0, 0)
	if year < 1 || end.Sub(first) > canonicalSpan*365*24*time.Hour {
		return nil
	}
	tz := &component{Name: "VTIMEZONE"}
	if len(rules) == 0 {
		off := z.offsetAt(first)
		tz.Subs = append(tz.Subs, observanceComponent("STANDARD", time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), off, off, "", nil))
	}
	for _, o := range rules {
		wall := o.start.Add(o.from)
		walls := o.rule.walls(year, wall)
		if len(walls) == 0 {
			return nil
		}
		slices.SortFunc(walls, func(a, b time.Time) int { return a.Compare(b) })
		kind := "STANDARD"
		if o.daylight {
			kind = "DAYLIGHT"
		}
		tz.Subs = append(tz.Subs, observanceComponent(kind, walls[0], o.from, o.to, canonicalRule(o.rule, wall), nil))
	}
	slices.SortStableFunc(tz.Subs, func(a, b *component) int {
		return strings.Compare(a.value("DTSTART")+a.Name, b.value("DTSTART")+b.Name)
	})
	canon, ok := parseZone(tz)
	if !ok || !sameFrom(z, canon, first, end) {
		return nil
	}
	return tz
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// canonicalRule writes r as FREQ=YEARLY;BYMONTH;BYDAY, with BYMONTHDAY
// between them where it has one, and without the INTERVAL=1 and WKST that
// change nothing. A rule that picks the same days as one weekday of one
// month ("BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU", the second Sunday) is
// written as that weekday ("BYDAY=2SU"), the last seven days as -1. wall
// is the rule's first onset, for its time of day.
func canonicalRule(r *yearly, wall time.Time) string {
	if ws := r.walls(2001, wall); len(ws) == 1 && !(len(r.months) == 1 && len(r.monthDays) == 0 && len(r.days) == 1) {
		w := ws[0]
		for _, n := range []int{ordinalNum(w), (w.Day()-1)/7 + 1} {
			simple := &yearly{months: []time.Month{w.Month()}, days: []weekdayNum{{n: n, day: w.Weekday()}}}
			if sameDays(r, simple, wall) {
				r = simple
				break
			}
		}
	}
	var b strings.Builder
	b.WriteString("FREQ=YEARLY")
	if len(r.months) > 0 {
		b.WriteString(";BYMONTH=")
		for i, m := range r.months {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(m)))
		}
	}
	if len(r.monthDays) > 0 {
		b.WriteString(";BYMONTHDAY=")
		for i, d := range r.monthDays {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
	}
	if len(r.days) > 0 {
		b.WriteString(";BYDAY=")
		for i, d := range r.days {
			if i > 0 {
				b.WriteByte(',')
			}
			if d.n != 0 {
				b.WriteString(strconv.Itoa(d.n))
			}
			b.WriteString(weekdayName(d.day))
		}
	}
	return b.String()
}

// sameDays reports whether a and b pick the same days every year: in
// 2001 to 2028, which hold all fourteen kinds of year (see everyYear).
func sameDays(a, b *yearly, wall time.Time) bool {
	for y := 2001; y <= 2028; y++ {
		wa, wb := a.walls(y, wall), b.walls(y, wall)
		slices.SortFunc(wa, func(x, y time.Time) int { return x.Compare(y) })
		if !slices.EqualFunc(wa, wb, time.Time.Equal) {
			return false
		}
	}
	return true
}

// sameFrom reports whether a and b give the same offset at every instant
// from first to end: at first, and at each onset of either in between.
func sameFrom(a, b *zone, first, end time.Time) bool {
	a, b = &zone{obs: a.obs, loc: a.loc}, &zone{obs: b.obs, loc: b.loc}
	points := []time.Time{first}
	for _, z := range []*zone{a, b} {
		for i := range z.obs {
			points = z.obs[i].onsets(points, first, end)
			if len(points) > canonicalChanges {
				return false
			}
		}
	}
	for _, t := range points {
		if a.offsetAt(t) != b.offsetAt(t) {
			return false
		}
	}
	return true
}

// onsets appends to out the onsets of o after first and up to end.
func (o *observance) onsets(out []time.Time, first, end time.Time) []time.Time {
	in := func(t time.Time) bool { return t.After(first) && !t.After(end) }
	if in(o.start) {
		out = append(out, o.start)
	}
	for _, d := range o.dates {
		if in(d) {
			out = append(out, d)
		}
	}
	if o.rule == nil {
		return out
	}
	wall := o.start.Add(o.from)
	for y := max(first.Year()-1, wall.Year()); y <= end.Year()+1 && len(out) <= canonicalChanges; y++ {
		for _, w := range o.rule.walls(y, wall) {
			at := w.Add(-o.from)
			if in(at) && at.After(o.start) && (o.rule.until.IsZero() || !at.After(o.rule.until)) {
				out = append(out, at)
			}
		}
	}
	return out
}
