package text

import (
	"regexp"
	"strings"
)

// An attribution is the line a client writes above a quoted message: "On
// <date>, <name> <address> wrote:". The client generates it from the quoted
// message's From field, so it names the quoted author, often a colleague at
// the sender's own domain. NeutralAttribution keeps the date, which gives
// the quote its place in the thread and names nobody, and replaces the
// author by "someone" in the attribution's language.

// lang is one language's attribution forms.
type lang struct {
	re *regexp.Regexp
	// mixed is true when group 1 holds date and author run
	// together ("On <date>, <author> wrote:") and are told apart by the
	// shape of the date; otherwise group 1 is the date alone.
	mixed          bool
	dated, undated string // neutral forms, %s is the date
}

var langs = []lang{
	{regexp.MustCompile(`^On (.+?) wrote ?:$`), true, "On %s, someone wrote:", "Someone wrote:"},
	{regexp.MustCompile(`^Am (.+?) schrieb .+:$`), false, "Am %s schrieb jemand:", "Jemand schrieb:"},
	{regexp.MustCompile(`^.+ schrieb am (.+?) ?:$`), false, "Am %s schrieb jemand:", "Jemand schrieb:"},
	{regexp.MustCompile(`^Le (.+?) a écrit ?:$`), true, "Le %s, quelqu'un a écrit :", "Quelqu'un a écrit :"},
	{regexp.MustCompile(`^El (.+?) escribió ?:$`), true, "El %s, alguien escribió:", "Alguien escribió:"},
	{regexp.MustCompile(`^Em (.+?) escreveu ?:$`), true, "Em %s, alguém escreveu:", "Alguém escreveu:"},
	{regexp.MustCompile(`^Il giorno (.+?) ha scritto ?:$`), true, "Il giorno %s qualcuno ha scritto:", "Qualcuno ha scritto:"},
	{regexp.MustCompile(`^Op (.+?) schreef .+:$`), false, "Op %s schreef iemand:", "Iemand schreef:"},
}

// bareRe matches an attribution without a date, "<name> <address> wrote:";
// it must hold an address so that typed prose ending in "wrote:" is left.
var bareRe = regexp.MustCompile(`^.{0,200}@.{0,200} (?:wrote|writes|schrieb|a écrit|escribió|escreveu|ha scritto|schreef) ?:$`)

// NeutralAttribution reports whether s, one line without its quote prefix
// (or a wrapped attribution joined with spaces), is an attribution line, and
// returns its neutral replacement.
func NeutralAttribution(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 8 || len(s) > 600 || s[len(s)-1] != ':' {
		return "", false
	}
	for _, l := range langs {
		m := l.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		date, ok := m[1], true
		if l.mixed {
			date, ok = splitDate(date)
		} else if !isDate(date) {
			date = ""
		}
		if !ok {
			continue
		}
		if date == "" {
			return l.undated, true
		}
		return strings.Replace(l.dated, "%s", date, 1), true
	}
	if bareRe.MatchString(s) {
		return "Someone wrote:", true
	}
	return "", false
}

// splitDate splits "<date>, <author>" into the date, which must hold a
// digit so that prose such as "On the other hand, Bob wrote:" is not taken
// for an attribution unless the author part holds an address.
func splitDate(s string) (string, bool) {
	toks := strings.Fields(s)
	n, time, months := 0, false, 0
	for _, t := range toks {
		w := strings.ToLower(strings.Trim(t, ",.()"))
		if time && !afterTime[w] {
			break
		}
		switch {
		case isTime(w):
			time = true
		case time && afterTime[w]:
		case isNumeric(w):
		case dayWords[w] || linkWords[w]:
		case months < 1 && monthWords[w]:
			months++
		default:
			goto done
		}
		n++
	}
done:
	date := strings.TrimRight(strings.Join(toks[:n], " "), ", ")
	rest := strings.Join(toks[n:], " ")
	if !strings.ContainsAny(date, "0123456789") {
		return "", strings.Contains(rest, "@")
	}
	// The date alone, with no author after it, is an incomplete match.
	if rest == "" {
		return "", false
	}
	return date, true
}

// isDate reports whether every word of s is part of a date.
func isDate(s string) bool {
	if !strings.ContainsAny(s, "0123456789") {
		return false
	}
	for _, t := range strings.Fields(s) {
		w := strings.ToLower(strings.Trim(t, ",.()"))
		if !(isTime(w) || isNumeric(w) || monthWords[w] || dayWords[w] || linkWords[w] || afterTime[w]) {
			return false
		}
	}
	return true
}

func isTime(w string) bool {
	return len(w) >= 3 && strings.ContainsAny(w, ":h") && strings.Trim(w, "0123456789:h") == "" && strings.ContainsAny(w, "0123456789")
}

// isNumeric accepts day, year and numeric dates: 3, 2026, 3.11.2026,
// 11/3/26, 2026-11-03.
func isNumeric(w string) bool {
	// Ordinals: "2nd", "3rd", "1er".
	for _, suf := range []string{"st", "nd", "rd", "th", "er"} {
		if t := strings.TrimSuffix(w, suf); t != w && t != "" && t[len(t)-1] >= '0' && t[len(t)-1] <= '9' {
			w = t
			break
		}
	}
	return w != "" && strings.Trim(w, "0123456789./-+") == "" && strings.ContainsAny(w, "0123456789")
}

var (
	monthWords = set("jan", "january", "feb", "february", "mar", "march", "apr", "april", "may", "jun", "june", "jul", "july",
		"aug", "august", "sep", "sept", "september", "oct", "october", "nov", "november", "dec", "december",
		"januar", "jänner", "februar", "märz", "mai", "juni", "juli", "okt", "oktober", "dez", "dezember",
		"janv", "janvier", "févr", "février", "mars", "avr", "avril", "juin", "juil", "juillet", "août", "aout", "déc", "décembre", "octobre", "novembre", "septembre",
		"ene", "enero", "febrero", "marzo", "abr", "abril", "mayo", "junio", "julio", "ago", "agosto", "septiembre", "setiembre", "octubre", "noviembre", "dic", "diciembre",
		"fev", "fevereiro", "março", "maio", "junho", "julho", "set", "setembro", "out", "outubro", "novembro", "dez", "dezembro",
		"gen", "gennaio", "febbraio", "mag", "maggio", "giu", "giugno", "lug", "luglio", "settembre", "ott", "ottobre", "dicembre",
		"januari", "februari", "maart", "mei", "augustus")
	dayWords = set("mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thurs", "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday",
		"mo", "di", "mi", "do", "fr", "sa", "so", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
		"lun", "lundi", "mar", "mardi", "mer", "mercredi", "jeu", "jeudi", "ven", "vendredi", "sam", "samedi", "dim", "dimanche",
		"lunes", "martes", "mié", "miércoles", "jue", "jueves", "vie", "viernes", "sáb", "sábado", "dom", "domingo",
		"seg", "segunda", "ter", "terça", "qua", "quarta", "qui", "quinta", "sex", "sexta", "feira", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
		"lunedì", "mart", "martedì", "merc", "mercoledì", "gio", "giovedì", "venerdì", "sab", "sabato", "domenica",
		"ma", "wo", "vr", "za", "zo", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
	linkWords = set("at", "um", "à", "a", "las", "la", "alle", "ore", "om", "de", "del", "às", "le", "den", "the", "of")
	afterTime = set("am", "pm", "a.m", "p.m", "uhr", "gmt", "utc", "cet", "cest", "est", "edt", "pst", "pdt", "bst", "ist", "h")
)

// attributionStart reports whether s may be the first line of an
// attribution wrapped over several lines, so that only such lines are
// joined with the next ones.
func attributionStart(s string) bool {
	s = strings.TrimSpace(s)
	for _, p := range []string{"On ", "Am ", "Le ", "El ", "Em ", "Il giorno ", "Op "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return strings.HasSuffix(s, "<") || strings.Contains(s, " schrieb am ")
}

// leadingAttribution splits a line that starts with an attribution
// followed, after a run of spaces, by the quoted text, and returns the
// neutral attribution and the rest.
func leadingAttribution(s string) (string, string, bool) {
	i := strings.Index(s, ":  ")
	if i < 0 || strings.TrimSpace(s[i+1:]) == "" {
		return "", "", false
	}
	n, ok := NeutralAttribution(s[:i+1])
	if !ok {
		return "", "", false
	}
	return n, strings.TrimSpace(s[i+1:]), true
}
