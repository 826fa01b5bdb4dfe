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

//
// The time goes with the author: a quoted message's local time, set
// against the time it was sent, tells the recipient the sender's time
// zone (or the quoted author's, often the sender's colleague).

// lang is one language's attribution forms.
type lang struct {
	re *regexp.Regexp
	// mixed is true when group 1 holds date and author run
	// together ("On <date>, <author> wrote:") and are told apart by the
	// shape of the date; otherwise group 1 is the date alone.
	mixed bool
	// dated is true for the forms that start at the date or have no
	// verb: only a date tells them from prose.
	dated              bool
	datedForm, undated string // neutral forms, %s is the date
}

var langs = []lang{
	{regexp.MustCompile(`^On (.+?) wrote ?:$`), true, false, "On %s, someone wrote:", "Someone wrote:"},
	{regexp.MustCompile(`^Am (.+?) schrieb .+:$`), false, false, "Am %s schrieb jemand:", "Jemand schrieb:"},
	{regexp.MustCompile(`^.+ schrieb am (.+?) ?:$`), false, false, "Am %s schrieb jemand:", "Jemand schrieb:"},
	{regexp.MustCompile(`^Le (.+?) a écrit ?:$`), true, false, "Le %s, quelqu'un a écrit :", "Quelqu'un a écrit :"},
	{regexp.MustCompile(`^El (.+?) escribió ?:$`), true, false, "El %s, alguien escribió:", "Alguien escribió:"},
	{regexp.MustCompile(`^Em (.+?) escreveu ?:$`), true, false, "Em %s, alguém escreveu:", "Alguém escreveu:"},
	{regexp.MustCompile(`^Il giorno (.+?) ha scritto ?:$`), true, false, "Il giorno %s qualcuno ha scritto:", "Qualcuno ha scritto:"},
	{regexp.MustCompile(`^Op (.+?) schreef .+:$`), false, false, "Op %s schreef iemand:", "Iemand schreef:"},
	// Swedish and Danish "Den <date> skrev <author>:"; Gmail's Danish
	// and Norwegian start at the date.
	{regexp.MustCompile(`^Den (.+?) skrev .+:$`), false, false, "Den %s skrev någon:", "Någon skrev:"},
	{regexp.MustCompile(`^(.+?) skrev .+:$`), false, true, "%s skrev nogen:", "Nogen skrev:"},
	// Polish "<date> <author> napisał(a):", Czech "Dne <date> <author>
	// napsal(a):", Finnish "<date> <author> kirjoitti:".
	{regexp.MustCompile(`^(.+?) napisał(?:\(a\))? ?:$`), true, true, "%s ktoś napisał(a):", "Ktoś napisał(a):"},
	{regexp.MustCompile(`^Dne (.+?) napsal(?:\(a\))? ?:$`), true, false, "Dne %s někdo napsal(a):", "Někdo napsal(a):"},
	{regexp.MustCompile(`^(.+?) napsal(?:\(a\))? ?:$`), true, true, "%s někdo napsal(a):", "Někdo napsal(a):"},
	{regexp.MustCompile(`^(.+?) kirjoitti ?:$`), true, true, "%s joku kirjoitti:", "Joku kirjoitti:"},
	// Russian "<day>, <date> г. в <time>, <author>:" has no verb.
	{regexp.MustCompile(`^((?:пн|вт|ср|чт|пт|сб|вс), .+?) ?:$`), true, true, "%s, кто-то написал:", "Кто-то написал:"},
	// Turkish "<author>, <date> tarihinde şunu yazdı:".
	{regexp.MustCompile(`^.+?, (\d{1,2} .+?) tarihinde şunu yazdı ?:$`), false, true, "%s tarihinde biri şunu yazdı:", "Biri şunu yazdı:"},
}

// bareRe matches an attribution without a date, "<name> <address> wrote:";
// it must hold an address so that typed prose ending in "wrote:" is left.
var bareRe = regexp.MustCompile(`^.{0,200}@.{0,200} (?:wrote|writes|schrieb|a écrit|escribió|escreveu|ha scritto|schreef|skrev|napisał\(a\)|napsal\(a\)|kirjoitti|şunu yazdı) ?:$`)

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
		if !ok || (l.dated && date == "") {
			continue
		}
		if date = dropTime(date); date == "" {
			return l.undated, true
		}
		return strings.Replace(l.datedForm, "%s", date, 1), true
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

// dropTime removes the time of day from a date, with the words that lead
// to it ("at", "um", "klo") and those after it ("PM", "Uhr").
func dropTime(date string) string {
	toks := strings.Fields(date)
	out := toks[:0:0]
	for i := 0; i < len(toks); i++ {
		w := dateWord(toks[i])
		if !isTime(w) && !(isNumeric(w) && i > 0 && clockWords[dateWord(toks[i-1])]) {
			out = append(out, toks[i])
			continue
		}
		for len(out) > 0 && (linkWords[dateWord(out[len(out)-1])] || clockWords[dateWord(out[len(out)-1])]) {
			out = out[:len(out)-1]
		}
		for i+1 < len(toks) && afterTime[dateWord(toks[i+1])] {
			i++
		}
	}
	return strings.TrimRight(strings.Join(out, " "), ", ")
}

func dateWord(t string) string { return strings.ToLower(strings.Trim(t, ",.()")) }

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
		"januari", "februari", "maart", "mei", "augustus", "maj", "aug",
		"sty", "lut", "kwi", "cze", "lip", "sie", "wrz", "paź", "lis", "gru",
		"янв", "февр", "апр", "мая", "июн", "июл", "авг", "сент", "окт", "нояб", "дек",
		"oca", "şub", "nis", "haz", "tem", "ağu", "eyl", "eki", "kas", "ara")
	dayWords = set("mon", "monday", "tue", "tues", "tuesday", "wed", "wednesday", "thu", "thurs", "thursday", "fri", "friday", "sat", "saturday", "sun", "sunday",
		"mo", "di", "mi", "do", "fr", "sa", "so", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
		"lun", "lundi", "mar", "mardi", "mer", "mercredi", "jeu", "jeudi", "ven", "vendredi", "sam", "samedi", "dim", "dimanche",
		"lunes", "martes", "mié", "miércoles", "jue", "jueves", "vie", "viernes", "sáb", "sábado", "dom", "domingo",
		"seg", "segunda", "ter", "terça", "qua", "quarta", "qui", "quinta", "sex", "sexta", "feira", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
		"lunedì", "mart", "martedì", "merc", "mercoledì", "gio", "giovedì", "venerdì", "sab", "sabato", "domenica",
		"ma", "wo", "vr", "za", "zo", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
		"mån", "tis", "ons", "tors", "fre", "lör", "sön", "tir", "tor", "lør", "søn",
		"pon", "wt", "śr", "czw", "pt", "sob", "niedz", "ndz", "po", "út", "st", "čt", "pá", "ne",
		"ti", "ke", "to", "pe", "la", "su", "пн", "вт", "ср", "чт", "пт", "сб", "вс",
		"paz", "pzt", "sal", "çar", "per", "cum", "cmt")
	linkWords = set("at", "um", "à", "a", "las", "la", "alle", "ore", "om", "de", "del", "às", "le", "den", "the", "of",
		"o", "v", "в", "г", "kl", "klo")
	// clockWords lead to a time written with a full stop ("klo 22.07").
	clockWords = set("kl", "klo")
	afterTime  = set("am", "pm", "a.m", "p.m", "uhr", "gmt", "utc", "cet", "cest", "est", "edt", "pst", "pdt", "bst", "ist", "h")
)

// attributionStart reports whether s may be the first line of an
// attribution wrapped over several lines, so that only such lines are
// joined with the next ones.
func attributionStart(s string) bool {
	s = strings.TrimSpace(s)
	for _, p := range []string{"On ", "Am ", "Le ", "El ", "Em ", "Il giorno ", "Op ", "Den ", "Dne "} {
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
