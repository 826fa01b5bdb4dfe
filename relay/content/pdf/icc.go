package pdf

import "encoding/binary"

// blankICC blanks, in place, what in the ICC profile p can name a person or
// a machine, and reports whether p is an ICC profile (ICC.1:2010 7.2).
// The profile ID (an MD5 of the profile) is zeroed, which means "not
// computed" (7.2.18). Every tag of a text type (textType,
// textDescriptionType of version 2, multiLocalizedUnicodeType of version
// 4) has its characters replaced by spaces: the description of a display
// profile is the display's name ("Jane's iMac27"), and the copyright,
// device manufacturer and model descriptions are free text. Lengths and
// offsets stay, so the profile still parses and converts colours as before.
func blankICC(p []byte) bool {
	if len(p) < 132 || string(p[36:40]) != "acsp" {
		return false
	}
	clear(p[84:100])
	n := int(binary.BigEndian.Uint32(p[128:]))
	for i := 0; i < n && 132+12*(i+1) <= len(p); i++ {
		e := p[132+12*i:]
		off, size := uint64(binary.BigEndian.Uint32(e[4:])), uint64(binary.BigEndian.Uint32(e[8:]))
		if size < 8 || off+size > uint64(len(p)) {
			continue
		}
		blankText(p[off : off+size])
	}
	return true
}

// blankText blanks the characters of the tag data t if it is of a text type.
func blankText(t []byte) {
	be32 := func(b []byte) int { return int(binary.BigEndian.Uint32(b)) }
	switch string(t[:4]) {
	case "text": // 10.24: ASCII, NUL-terminated
		spaces(t[8:])
	case "desc": // ICC.1:2001-04 6.5.17
		if len(t) < 12 {
			return
		}
		n := be32(t[8:])
		if n < 0 || 12+n > len(t) {
			spaces(t[12:])
			return
		}
		spaces(t[12 : 12+n])
		u := t[12+n:]
		if len(u) < 8 {
			return
		}
		if m := be32(u[4:]); m >= 0 && 8+2*m <= len(u) {
			spaces16(u[8 : 8+2*m])
			u = u[8+2*m:]
		} else {
			spaces16(u[8:])
			return
		}
		if len(u) >= 3 { // ScriptCode code, count and 67 bytes
			spaces(u[3:min(len(u), 3+67)])
		}
	case "mluc": // 10.15: records of language, country, length, offset
		if len(t) < 16 {
			return
		}
		n, size := be32(t[8:]), be32(t[12:])
		if size < 12 {
			return
		}
		for i := 0; i < n && 16+size*(i+1) <= len(t); i++ {
			r := t[16+size*i:]
			l, off := uint64(binary.BigEndian.Uint32(r[4:])), uint64(binary.BigEndian.Uint32(r[8:]))
			if off+l <= uint64(len(t)) {
				spaces16(t[off : off+l])
			}
		}
	}
}

// spaces overwrites b with ASCII spaces, keeping the NULs that end a
// string.
func spaces(b []byte) {
	for i := range b {
		if b[i] != 0 {
			b[i] = ' '
		}
	}
}

// spaces16 overwrites b with UTF-16BE spaces.
func spaces16(b []byte) {
	for i := 0; i+1 < len(b); i += 2 {
		b[i], b[i+1] = 0, ' '
	}
}
