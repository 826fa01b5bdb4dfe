package calendar

import (
	"sort"
	"strings"
	"time"
)

// parseZone reads the observances of a VTIMEZONE. It reports false for one
// it cannot evaluate: no observance, a value that does not parse, or a
// rule outside yearly.
func parseZone(tz *component) (*zone, bool) {
	z := &zone{}
	for _, sub := range tz.Subs {
		if sub.Name != "STANDARD" && sub.Name != "DAYLIGHT" {
			continue
		}
		o, ok := parseObservance(sub)
		if !ok || len(z.obs) == maxObservances {
			return nil, false
		}
		o.daylight = sub.Name == "DAYLIGHT"
		z.obs = append(z.obs, o)
	}
	return z, len(z.obs) > 0
}

// parseObservance reads a STANDARD or DAYLIGHT: one DTSTART, TZOFFSETFROM
// and TZOFFSETTO each, at most one RRULE, any RDATEs. Which of the two it
// is does not matter to the offsets.
func parseObservance(sub *component) (observance, bool) {
	var o observance
	var start, from, to, rule int // how many of each
	var rrule string
	var rdates []string
	for _, p := range sub.Props {
		var ok bool
		switch p.Name {
		case "DTSTART":
			o.start, ok = parseWall(p.Value)
			start++
		case "TZOFFSETFROM":
			o.from, ok = parseOffset(p.Value)
			from++
		case "TZOFFSETTO":
			o.to, ok = parseOffset(p.Value)
			to++
		case "RRULE":
			rrule, ok = p.Value, true
			rule++
		case "RDATE":
			if q := p.param("VALUE"); q != nil && !(len(q.Values) == 1 && strings.EqualFold(q.Values[0], "DATE-TIME")) {
				return o, false
			}
			rdates, ok = append(rdates, strings.Split(p.Value, ",")...), true
		default:
			ok = true
		}
		if !ok {
			return o, false
		}
	}
	if start != 1 || from != 1 || to != 1 || rule > 1 {
		return o, false
	}
	// Onsets are given in the offset before them.
	o.start = o.start.Add(-o.from)
	for _, v := range rdates {
		w, ok := parseWall(v)
		if !ok {
			return o, false
		}
		o.dates = append(o.dates, w.Add(-o.from))
	}
	if rule == 1 {
		r, ok := parseYearly(rrule, o.from)
		if !ok || !r.everyYear(o.start.Add(o.from)) {
			return o, false
		}
		if r.count > 0 {
			o.dates = append(o.dates, r.expand(o.start, o.from)...)
		} else {
			o.rule = r
		}
	}
	sort.Slice(o.dates, func(i, j int) bool { return o.dates[i].Before(o.dates[j]) })
	return o, true
}

// everyYear reports whether r has an onset in every year, which latest
// relies on. Which days a rule picks depends only on whether the year is
// a leap year and on the weekday it starts with, and 2001 to 2028 hold
// all fourteen kinds of year.
func (r *yearly) everyYear(start time.Time) bool {
	for y := 2001; y <= 2028; y++ {
		if len(r.walls(y, start)) == 0 {
			return false
		}
	}
	return true
}

// expand returns the onsets of a COUNT rule: DTSTART is the first (RFC
// 5545 section 3.8.5.3), then the rule's, in order.
func (r *yearly) expand(start time.Time, from time.Duration) []time.Time {
	out := []time.Time{start}
	wall := start.Add(from)
	for year := wall.Year(); len(out) < r.count && year <= 9999; year++ {
		ws := r.walls(year, wall)
		sort.Slice(ws, func(i, j int) bool { return ws[i].Before(ws[j]) })
		for _, w := range ws {
			if w.After(wall) && len(out) < r.count {
				out = append(out, w.Add(-from))
			}
		}
	}
	return out
}

// parseYearly reads an observance's RRULE; from is the offset its wall
// clock times are in, for a local UNTIL.
func parseYearly(v string, from time.Duration) (*yearly, bool) {
	r := &yearly{}
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ";") {
		key, val, ok := strings.Cut(part, "=")
		key = strings.ToUpper(key)
		if !ok || seen[key] {
			return nil, false
		}
		seen[key] = true
		switch key {
		case "FREQ":
			ok = strings.EqualFold(val, "YEARLY")
		case "INTERVAL":
			ok = val == "1"
		case "WKST":
			// Weeks do not matter within a month.
		case "COUNT":
			r.count, ok = number(val, 1, maxCount)
		case "UNTIL":
			r.until, ok = parseUntil(val, from)
		case "BYMONTH":
			for _, s := range strings.Split(val, ",") {
				var n int
				if n, ok = number(s, 1, 12); !ok {
					break
				}
				r.months = append(r.months, time.Month(n))
			}
		case "BYMONTHDAY":
			for _, s := range strings.Split(val, ",") {
				var n int
				if n, ok = signedNumber(s, 1, 31); !ok {
					break
				}
				r.monthDays = append(r.monthDays, n)
			}
		case "BYDAY":
			for _, s := range strings.Split(val, ",") {
				var wd weekdayNum
				if wd, ok = parseWeekdayNum(s); !ok {
					break
				}
				r.days = append(r.days, wd)
			}
		default:
			// BYHOUR, BYSETPOS, BYWEEKNO and the like: no zone uses them.
			ok = false
		}
		if !ok || len(r.months) > maxList || len(r.monthDays) > maxList || len(r.days) > maxList {
			return nil, false
		}
	}
	if !seen["FREQ"] || seen["COUNT"] && seen["UNTIL"] {
		return nil, false
	}
	// Without BYMONTH, BYDAY and BYMONTHDAY of a yearly rule pick days of
	// every month or of the year; with BYMONTHDAY, a BYDAY only filters.
	if (len(r.days) > 0 || len(r.monthDays) > 0) && len(r.months) == 0 {
		return nil, false
	}
	if len(r.monthDays) > 0 {
		for _, wd := range r.days {
			if wd.n != 0 {
				return nil, false
			}
		}
	}
	return r, true
}

var weekdays = map[string]time.Weekday{"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday, "TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday}

func parseWeekdayNum(s string) (weekdayNum, bool) {
	if len(s) < 2 {
		return weekdayNum{}, false
	}
	d, ok := weekdays[strings.ToUpper(s[len(s)-2:])]
	if !ok {
		return weekdayNum{}, false
	}
	wd := weekdayNum{day: d}
	if n := s[:len(s)-2]; n != "" {
		// Within a month there are at most five of a weekday.
		if wd.n, ok = signedNumber(n, 1, 5); !ok {
			return weekdayNum{}, false
		}
	}
	return wd, true
}

// parseUntil reads UNTIL: UTC as RFC 5545 requires in a VTIMEZONE, or a
// wall clock time or a date, which writers also use.
func parseUntil(v string, from time.Duration) (time.Time, bool) {
	if t, ok := parseUTC(v); ok {
		return t, true
	}
	if w, ok := parseWall(v); ok {
		return w.Add(-from), true
	}
	if d, ok := parseDate(v); ok {
		return d.Add(24*time.Hour - time.Second - from), true
	}
	return time.Time{}, false
}
