package text

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A device line is the default text a mail client appends to every message
// it sends ("Sent from my iPhone"). The sender did not type it; it tells the
// recipient which phone and client the sender uses, which narrows who they
// are. The patterns cover the defaults of the common clients in the
// languages they ship, with the device named generically where clients
// substitute the model.
var deviceRe = regexp.MustCompile(`^(?:` + strings.Join([]string{
	`sent from my (?:` + carrier + `,? )?` + device + `(?: (?:phone|smartphone|device|tablet))?`,
	`sent from my ` + carrier + `(?: 4g lte| 5g)?(?: (?:phone|smartphone|device|tablet))?`,
	`sent from (?:mail|outlook) for (?:windows(?: 1[01])?|ios|android|mac)`,
	`sent with spark`,
	`sent from (?:bluemail|blue mail|aol mobile mail|aol app)`,
	`sent from outlook(?: for (?:ios|android|mac))?`,
	`get outlook for (?:ios|android|mac)`,
	`sent from yahoo mail (?:for (?:iphone|ipad|android)|on android)`,
	`sent with proton ?mail secure email`,
	`sent from proton ?mail (?:mobile|for (?:ios|android))`,
	`sent via superhuman(?: (?:ios|for ios|android))?`,
	`sent from (?:gmail mobile|my mobile device|samsung mobile|the mail app)`,
	`envoyé de mon ` + device,
	`von meinem ` + device + ` gesendet`,
	`gesendet von meinem ` + device,
	`enviado desde mi ` + device,
	`enviado do meu ` + device,
	`inviato da(?:l mio)? ` + device,
	`(?:verzonden|verstuurd) (?:vanaf|met) mijn ` + device,
	`wysłane z (?:mojego )?` + device + `(?:'a|’a|a)?`,
	`skickat från min ` + device,
	`sendt fra min ` + device,
	`lähetetty ` + device + `(?:sta|stä)`,
	`отправлено с (?:моего )?` + device,
	device + `から送信`,
	`[發发]自我的 ?` + device,
	`(?:telefonumdan|` + device + `(?:'?(?:umdan|dan|den)))(?: gönderildi)`,
}, "|") + `)$`)

// device names the devices clients put in their default lines.
const device = `(?:iphone(?: \d{1,2}(?: pro max| pro| plus| mini| max| e)?| se| x[rs]?(?: max)?)?|ipad|ipod|apple watch|android|blackberry(?: \w+)?|windows phone|huawei|xiaomi|oneplus|pixel(?: \w+)?|` +
	`htc(?: \w+)?|(?:sony )?xperia™?(?: \w+)?|motorola(?: \w+)?|lg(?: \w+)?|nokia(?: \w+)?|` +
	`samsung(?: galaxy)?(?: [\w+]+)?|galaxy(?: [\w+]+)?|mobile|handy|smartphone(?: samsung(?: galaxy)?)?|` +
	`téléphone|móvil|celular|telefone|telefono|cellulare|telefoon|telefon|телефона|iphone'a)`

// carrier names the US carriers whose phones write their name into the
// device line ("Sent from my Verizon, Samsung Galaxy smartphone").
const carrier = `(?:verizon(?: wireless)?|t-mobile|sprint|at&t|boost mobile|cricket|u\.s\. cellular|metropcs|metro by t-mobile)`

// linkSuffix is the link a client appends to its device line in the
// plain-text form of its HTML one: "Get Outlook for iOS<https://aka.ms/o0ukef>".
var linkSuffix = regexp.MustCompile(`\s*<https?://[^<>\s]{1,100}>$`)

// IsDeviceLine reports whether s, a line without its quote prefix, is a
// mail client's default device line. Case, surrounding white space and
// trailing punctuation are ignored.
func IsDeviceLine(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 8 || len(s) > 200 {
		return false
	}
	if strings.HasSuffix(s, ">") {
		s = linkSuffix.ReplaceAllString(s, "")
	}
	if len(s) > 80 {
		return false
	}
	// A body asks once a line, and nearly every line stops at the words:
	// it is lowered on the stack.
	var buf [3 * 80]byte
	low := appendLower(buf[:0], s)
	if !hasDeviceWord(low) {
		return false
	}
	t := strings.TrimRight(string(low), ".!。 \u00a0")
	return deviceRe.MatchString(strings.Join(strings.Fields(t), " "))
}

// deviceWords holds a word of every pattern, to skip the expression for
// the lines that hold none, which is nearly all of them.
var deviceWords = []string{"sent", "outlook", "envoy", "gesendet", "enviado", "inviato", "verzonden", "verstuurd",
	"wysłane", "skickat", "sendt", "lähetetty", "отправлено", "送信", "自我的", "gönderildi"}

// deviceFirst indexes deviceWords by their first byte.
var deviceFirst = func() (t [256][]string) {
	for _, w := range deviceWords {
		t[w[0]] = append(t[w[0]], w)
	}
	return t
}()

// hasDeviceWord reports whether low, a lowered line, holds one of
// deviceWords.
func hasDeviceWord(low []byte) bool {
	for i, c := range low {
		for _, w := range deviceFirst[c] {
			if len(low)-i >= len(w) && string(low[i:i+len(w)]) == w {
				return true
			}
		}
	}
	return false
}

// ASCIILower lower-cases the ASCII letters of s and keeps every other
// byte, so that an offset into the result is one into s (strings.ToLower
// turns an invalid byte into a three-byte U+FFFD).
func ASCIILower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// appendLower appends s lowered as strings.ToLower lowers it (an invalid
// byte becomes U+FFFD) to dst, which a caller may keep on its stack.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += n
	}
	return dst
}
