package corpus

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/binary"
	"encoding/hex"
	"html"
	"io"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDeep bounds the octets deep decoding may produce from one payload,
// and maxInflate one decompressed stream.
const (
	maxDeep    = 64 << 20
	maxInflate = 16 << 20
	maxDepth   = 4
)

// deepView looks inside decoded leaf payloads, where compressed or UTF-16
// metadata is invisible to a plain search: zip members (OOXML, ODF), PDF
// Flate streams and UTF-16 strings, PNG zTXt/iTXt chunks, uuencoded blocks
// and UTF-16 runs (TNEF, MAPI). It returns the text (as UTF-8, HTML
// unescaped and Latin-1) and the octets it found.
func deepView(payloads [][]byte) (string, []byte) {
	var extra [][]byte
	for _, p := range payloads {
		budget := maxDeep
		extra = append(extra, deepPayloads(p, 0, &budget)...)
	}
	var texts []string
	for _, b := range extra {
		t := strings.ToValidUTF8(string(b), "\uFFFD")
		texts = append(texts, t, html.UnescapeString(t), latin1(b))
	}
	return strings.Join(texts, "\n"), bytes.Join(extra, []byte("\n"))
}

var (
	pdfStream = regexp.MustCompile(`stream\r?\n`)
	pdfUTF16  = regexp.MustCompile(`<FEFF([0-9A-Fa-f\s]+)>`)
	uuBlock   = regexp.MustCompile(`(?ms)^begin [0-7]{3,4} ([^\r\n]*)\r?\n(.*?)^end\s*$`)
)

func deepPayloads(data []byte, depth int, budget *int) [][]byte {
	var out [][]byte
	if depth > maxDepth || *budget <= 0 {
		return out
	}
	add := func(b []byte) {
		if *budget <= 0 {
			return // a bomb: what was found so far is kept
		}
		*budget -= len(b)
		out = append(out, b)
		out = append(out, deepPayloads(b, depth+1, budget)...)
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		if z, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
			for i, f := range z.File {
				if i == 500 {
					break
				}
				out = append(out, []byte(f.Name))
				if b, err := readMember(f); err == nil {
					add(b)
				}
			}
		}
	}
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		for _, m := range pdfStream.FindAllIndex(data, -1) {
			end := bytes.Index(data[m[1]:], []byte("endstream"))
			if end < 0 {
				continue
			}
			chunk := bytes.TrimSpace(data[m[1] : m[1]+end])
			if bytes.HasSuffix(chunk, []byte("~>")) {
				chunk = decodeA85(chunk)
			}
			if b, ok := inflate(chunk, true); ok {
				add(b)
			}
		}
		for _, m := range pdfUTF16.FindAllSubmatch(data, -1) {
			h := strings.Join(strings.Fields(string(m[1])), "")
			if b, err := hex.DecodeString(h); err == nil && len(b)%2 == 0 {
				if s, ok := utf16Strict(b, binary.BigEndian); ok {
					out = append(out, []byte(s))
				}
			}
		}
	}
	if bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		for pos := 8; pos+12 <= len(data); {
			n := int(binary.BigEndian.Uint32(data[pos:]))
			typ := string(data[pos+4 : pos+8])
			body := data[min(pos+8, len(data)):min(pos+8+n, len(data))]
			switch typ {
			case "zTXt":
				k, rest, _ := bytes.Cut(body, []byte{0})
				if len(rest) > 0 {
					if b, ok := inflate(rest[1:], false); ok {
						add(append(append(append([]byte{}, k...), ": "...), b...))
					}
				}
			case "iTXt":
				k, rest, _ := bytes.Cut(body, []byte{0})
				flag := rest[:min(1, len(rest))]
				parts := bytes.SplitN(rest[min(2, len(rest)):], []byte{0}, 3)
				txt := parts[len(parts)-1]
				if string(flag) == "\x01" {
					b, ok := inflate(txt, false)
					if !ok {
						break
					}
					txt = b
				}
				add(append(append(append([]byte{}, k...), ": "...), txt...))
			}
			pos += 12 + n
		}
	}
	for _, m := range uuBlock.FindAllSubmatch(data, -1) {
		buf := append(append([]byte{}, m[1]...), '\n')
		for _, line := range splitLines(m[2]) {
			if d, ok := uuLine(line); ok {
				buf = append(buf, d...)
			}
		}
		add(buf)
	}
	if len(data) >= 8 && depth < 3 {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			for off := 0; off <= 1; off++ {
				runs := printableRuns(utf16Lenient(data[off:], order))
				if len(runs) > 0 {
					out = append(out, []byte(strings.Join(runs, "\n")))
				}
			}
		}
	}
	return out
}

// printableRuns returns the runs of four or more printable Latin
// characters (U+0020–U+007E, U+00A0–U+024F) in s.
func printableRuns(s string) []string {
	var runs []string
	start, n := -1, 0
	end := func(i int) {
		if n >= 4 {
			runs = append(runs, s[start:i])
		}
		start, n = -1, 0
	}
	for i, r := range s {
		if r >= 0x20 && r <= 0x7e || r >= 0xa0 && r <= 0x24f {
			if start < 0 {
				start = i
			}
			n++
			continue
		}
		end(i)
	}
	end(len(s))
	return runs
}

func readMember(f *zip.File) ([]byte, error) {
	r, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, maxInflate))
}

// inflate decompresses a zlib stream. A PDF stream cut short still yields
// what was decompressed (as Python's decompressobj does); a PNG text chunk
// must be whole (as zlib.decompress requires).
func inflate(b []byte, partial bool) ([]byte, bool) {
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, false
	}
	out, err := io.ReadAll(io.LimitReader(r, maxInflate))
	if err != nil && (!partial || len(out) == 0) {
		return nil, false
	}
	return out, true
}

func decodeA85(chunk []byte) []byte {
	body := bytes.TrimPrefix(chunk[:len(chunk)-2], []byte("<~"))
	body = bytes.ReplaceAll(body, []byte("<~"), nil)
	dst := make([]byte, 4*len(body))
	n, _, err := ascii85.Decode(dst, body, true)
	if err != nil {
		return chunk
	}
	return dst[:n]
}

// splitLines splits at CRLF, LF or CR, as Python's bytes.splitlines does.
func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i])
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	return out
}

// utf16Lenient decodes UTF-16, dropping unpaired surrogates and an odd
// last octet (Python's errors="ignore").
func utf16Lenient(b []byte, order binary.ByteOrder) string {
	var sb strings.Builder
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, order.Uint16(b[i:]))
	}
	for i := 0; i < len(u); i++ {
		c := rune(u[i])
		switch {
		case utf16.IsSurrogate(c):
			if c < 0xdc00 && i+1 < len(u) {
				if r := utf16.DecodeRune(c, rune(u[i+1])); r != utf8.RuneError {
					sb.WriteRune(r)
					i++
				}
			}
		default:
			sb.WriteRune(c)
		}
	}
	return sb.String()
}

// utf16Strict decodes UTF-16 with a byte order mark, failing on unpaired
// surrogates (Python's "utf-16-be" codec keeps the BOM as U+FEFF).
func utf16Strict(b []byte, order binary.ByteOrder) (string, bool) {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, order.Uint16(b[i:]))
	}
	for i := 0; i < len(u); i++ {
		if c := rune(u[i]); utf16.IsSurrogate(c) {
			if c >= 0xdc00 || i+1 >= len(u) || u[i+1] < 0xdc00 || u[i+1] > 0xdfff {
				return "", false
			}
			i++
		}
	}
	return string(utf16.Decode(u)), true
}
