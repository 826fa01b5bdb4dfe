package calendar

import (
	"strconv"
	"strings"
	"time"
)

// number reads a decimal of at most four digits, no sign, within [lo, hi].
func number(s string, lo, hi int) (int, bool) {
	if s == "" || len(s) > 4 || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, n >= lo && n <= hi
}

// signedNumber reads a number with an optional sign, its size within
// [lo, hi].
func signedNumber(s string, lo, hi int) (int, bool) {
	sign := 1
	switch {
	case strings.HasPrefix(s, "-"):
		sign, s = -1, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	n, ok := number(s, lo, hi)
	return sign * n, ok
}

// parseWall reads a DATE-TIME without "Z" (RFC 5545 section 3.3.5,
// "20261210T100000") as a wall clock time in a UTC time.Time.
func parseWall(v string) (time.Time, bool) {
	if len(v) != 15 || v[8] != 'T' {
		return time.Time{}, false
	}
	d, ok := parseDate(v[:8])
	if !ok {
		return time.Time{}, false
	}
	h, ok1 := number(v[9:11], 0, 23)
	m, ok2 := number(v[11:13], 0, 59)
	s, ok3 := number(v[13:15], 0, 59)
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, false
	}
	return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second), true
}

// parseUTC reads a DATE-TIME in UTC ("20261210T090000Z").
func parseUTC(v string) (time.Time, bool) {
	if len(v) != 16 || v[15] != 'Z' {
		return time.Time{}, false
	}
	return parseWall(v[:15])
}

// parseDate reads a DATE ("20261210").
func parseDate(v string) (time.Time, bool) {
	if len(v) != 8 {
		return time.Time{}, false
	}
	y, ok1 := number(v[:4], 0, 9999)
	m, ok2 := number(v[4:6], 1, 12)
	d, ok3 := number(v[6:8], 1, 31)
	if !ok1 || !ok2 || !ok3 || d > daysIn(y, time.Month(m)) {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), true
}

// parseOffset reads a UTC-OFFSET (RFC 5545 section 3.3.14): "+0100",
// "-0330", "+001932".
func parseOffset(v string) (time.Duration, bool) {
	if len(v) != 5 && len(v) != 7 || v[0] != '+' && v[0] != '-' {
		return 0, false
	}
	h, ok1 := number(v[1:3], 0, 23)
	m, ok2 := number(v[3:5], 0, 59)
	s, ok3 := 0, true
	if len(v) == 7 {
		s, ok3 = number(v[5:7], 0, 59)
	}
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
	if v[0] == '-' {
		d = -d
	}
	return d, true
}

// formatOffset writes an offset as a UTC-OFFSET value, "+0100".
func formatOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	s := int(d / time.Second)
	out := sign + twoDigits(s/3600) + twoDigits(s/60%60)
	if s%60 != 0 {
		out += twoDigits(s % 60)
	}
	return out
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
