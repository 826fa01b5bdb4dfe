package tnef

import (
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

type codepage struct {
	name string // IANA charset name
	enc  encoding.Encoding
}

// codepages maps the Windows code page numbers Outlook writes
// (attOemCodepage, PidTagMessageCodepage, PidTagInternetCodepage) to
// character sets.
var codepages = map[uint32]codepage{
	437:   {"ibm437", charmap.CodePage437},
	850:   {"ibm850", charmap.CodePage850},
	852:   {"ibm852", charmap.CodePage852},
	866:   {"ibm866", charmap.CodePage866},
	874:   {"windows-874", charmap.Windows874},
	932:   {"shift_jis", japanese.ShiftJIS},
	936:   {"gbk", simplifiedchinese.GBK},
	949:   {"euc-kr", korean.EUCKR},
	950:   {"big5", traditionalchinese.Big5},
	1200:  {"utf-16le", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
	1250:  {"windows-1250", charmap.Windows1250},
	1251:  {"windows-1251", charmap.Windows1251},
	1252:  {"windows-1252", charmap.Windows1252},
	1253:  {"windows-1253", charmap.Windows1253},
	1254:  {"windows-1254", charmap.Windows1254},
	1255:  {"windows-1255", charmap.Windows1255},
	1256:  {"windows-1256", charmap.Windows1256},
	1257:  {"windows-1257", charmap.Windows1257},
	1258:  {"windows-1258", charmap.Windows1258},
	10000: {"macintosh", charmap.Macintosh},
	20127: {"us-ascii", charmap.Windows1252},
	20866: {"koi8-r", charmap.KOI8R},
	21866: {"koi8-u", charmap.KOI8U},
	28591: {"iso-8859-1", charmap.ISO8859_1},
	28592: {"iso-8859-2", charmap.ISO8859_2},
	28593: {"iso-8859-3", charmap.ISO8859_3},
	28594: {"iso-8859-4", charmap.ISO8859_4},
	28595: {"iso-8859-5", charmap.ISO8859_5},
	28596: {"iso-8859-6", charmap.ISO8859_6},
	28597: {"iso-8859-7", charmap.ISO8859_7},
	28598: {"iso-8859-8", charmap.ISO8859_8},
	28599: {"iso-8859-9", charmap.ISO8859_9},
	28603: {"iso-8859-13", charmap.ISO8859_13},
	28605: {"iso-8859-15", charmap.ISO8859_15},
	50220: {"iso-2022-jp", japanese.ISO2022JP},
	51932: {"euc-jp", japanese.EUCJP},
	54936: {"gb18030", simplifiedchinese.GB18030},
	65001: {"utf-8", nil},
}

func charsetName(cp uint32) (string, bool) {
	c, ok := codepages[cp]
	return c.name, ok
}

// decodeCodepage converts 8-bit text to UTF-8. Code page 0 means the
// stream did not say; Outlook then wrote the system's ANSI code page,
// Windows-1252 in the West, and 8-bit ASCII reads the same in any.
func decodeCodepage(cp uint32, b []byte) (string, error) {
	if cp == 0 {
		if utf8.Valid(b) && isASCII(b) {
			return string(b), nil
		}
		cp = 1252
	}
	c, ok := codepages[cp]
	if !ok {
		return "", errCharset
	}
	if c.enc == nil {
		if !utf8.Valid(b) {
			return "", errMalformed
		}
		return string(b), nil
	}
	out, err := c.enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", errMalformed
	}
	return string(out), nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
