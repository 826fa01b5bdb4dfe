package office

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// maxMembers bounds the entries of one archive: a zip bomb can also be
// millions of empty members, each costing a header and a map entry.
const maxMembers = 10000

// entry is one archive member, decompressed.
type entry struct {
	name string
	data []byte
	dir  bool
}

// budget is what decompression may still produce: 4× the caller's limit
// across the document and everything nested in it that this package reads.
func budget(max int64) int64 {
	if max <= 0 {
		max = DefaultMax
	}
	return 4 * max
}

// olePrefix starts every OLE compound file (MS-CFB 2.2): legacy .doc, .xls,
// .ppt, and the wrapper Office puts around an encrypted OOXML package.
var olePrefix = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// oleRefusal tells an encrypted OOXML package (MS-OFFCRYPTO 2.3.4: streams
// EncryptionInfo and EncryptedPackage, names stored in UTF-16LE in the
// directory) from a legacy binary document.
func oleRefusal(data []byte) error {
	for _, name := range []string{"EncryptionInfo", "EncryptedPackage"} {
		if bytes.Contains(data, utf16le(name)) {
			return fmt.Errorf("office: compound file with %s stream: %w", name, encrypted())
		}
	}
	return fmt.Errorf("office: compound file: %w", legacy())
}

func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

// readArchive decompresses every member of a zip archive, refusing
// encrypted members (APPNOTE 4.4.4 bit 0), unsafe names, duplicates, and
// archives past the member count or the decompression budget.
func readArchive(data []byte, remaining *int64) ([]entry, error) {
	r, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("office: open archive: %v: %w", err, malformed())
	}
	if len(r.File) > maxMembers {
		return nil, fmt.Errorf("office: %d members: %w", len(r.File), tooLarge())
	}
	var declared uint64
	for _, f := range r.File {
		if f.Flags&1 != 0 {
			return nil, fmt.Errorf("office: encrypted member: %w", encrypted())
		}
		declared += f.UncompressedSize64
	}
	if declared > uint64(*remaining) {
		return nil, fmt.Errorf("office: members declare %d bytes: %w", declared, tooLarge())
	}
	seen := make(map[string]bool, len(r.File))
	out := make([]entry, 0, len(r.File))
	for _, f := range r.File {
		if !safeName(f.Name) {
			return nil, fmt.Errorf("office: unsafe member name: %w", malformed())
		}
		key := strings.ToLower(f.Name)
		if seen[key] {
			return nil, fmt.Errorf("office: duplicate member name: %w", malformed())
		}
		seen[key] = true
		if strings.HasSuffix(f.Name, "/") {
			out = append(out, entry{name: f.Name, dir: true})
			continue
		}
		b, err := readMember(f, remaining)
		if err != nil {
			return nil, err
		}
		out = append(out, entry{name: f.Name, data: b})
	}
	return out, nil
}

// readMember reads one member without trusting its declared size.
func readMember(f *zip.File, remaining *int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("office: open member: %v: %w", err, malformed())
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, *remaining+1))
	if err != nil {
		return nil, fmt.Errorf("office: read member: %v: %w", err, malformed())
	}
	if int64(len(b)) > *remaining {
		return nil, fmt.Errorf("office: decompression budget spent: %w", tooLarge())
	}
	*remaining -= int64(len(b))
	return b, nil
}

// safeName refuses names that would escape the directory they are
// unpacked into: absolute paths, drive letters, backslashes, "..", NUL.
func safeName(name string) bool {
	if name == "" || !utf8.ValidString(name) || strings.ContainsAny(name, "\\\x00") {
		return false
	}
	if strings.HasPrefix(name, "/") || (len(name) >= 2 && name[1] == ':') {
		return false
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return false
		}
	}
	return path.Clean(name) != ".."
}

// writer builds an archive with nothing in it but names and contents:
// every time is 1980-01-01 00:00 (the MS-DOS epoch, APPNOTE 4.4.6), there
// are no extra fields (uid/gid, extended timestamps, APPNOTE 4.5), no
// comments, no Unix modes, and no data descriptors (sizes and CRC are
// known before each header is written). Members are compressed anew, never
// copied raw: a deflate stream may carry bytes after its final block that
// no reader sees.
type writer struct {
	buf bytes.Buffer
	zw  *zip.Writer
	fl  *flate.Writer
	tmp bytes.Buffer
}

func newWriter() *writer {
	w := &writer{}
	w.zw = zip.NewWriter(&w.buf)
	return w
}

// msdosDate is 1980-01-01: year 0 from 1980, month 1, day 1.
const msdosDate = 0<<9 | 1<<5 | 1

func (w *writer) header(name string, method uint16) *zip.FileHeader {
	// The DOS date field, not Modified: Modified would add an extended
	// timestamp extra field, which is what this rebuild removes.
	//lint:ignore SA1019 see above
	fh := &zip.FileHeader{Name: name, Method: method, ModifiedDate: msdosDate, CreatorVersion: 20, ReaderVersion: 20}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			fh.Flags |= 0x800 // APPNOTE 4.4.4 bit 11: the name is UTF-8
			break
		}
	}
	return fh
}

// add writes one member, deflated unless store is set.
func (w *writer) add(name string, data []byte, store bool) error {
	fh := w.header(name, zip.Deflate)
	fh.CRC32 = crc32.ChecksumIEEE(data)
	fh.UncompressedSize64 = uint64(len(data))
	body := data
	if store {
		fh.Method = zip.Store
	} else {
		w.tmp.Reset()
		if w.fl == nil {
			fl, err := flate.NewWriter(&w.tmp, flate.DefaultCompression)
			if err != nil {
				return fmt.Errorf("office: deflate: %w", err)
			}
			w.fl = fl
		} else {
			w.fl.Reset(&w.tmp)
		}
		if _, err := w.fl.Write(data); err != nil {
			return fmt.Errorf("office: deflate: %w", err)
		}
		if err := w.fl.Close(); err != nil {
			return fmt.Errorf("office: deflate: %w", err)
		}
		body = w.tmp.Bytes()
	}
	fh.CompressedSize64 = uint64(len(body))
	zw, err := w.zw.CreateRaw(fh)
	if err != nil {
		return fmt.Errorf("office: write member: %w", err)
	}
	if _, err := zw.Write(body); err != nil {
		return fmt.Errorf("office: write member: %w", err)
	}
	return nil
}

// dir writes a directory entry.
func (w *writer) dir(name string) error {
	if _, err := w.zw.CreateRaw(w.header(name, zip.Store)); err != nil {
		return fmt.Errorf("office: write directory: %w", err)
	}
	return nil
}

func (w *writer) bytes() ([]byte, error) {
	if err := w.zw.Close(); err != nil {
		return nil, fmt.Errorf("office: finish archive: %w", err)
	}
	return w.buf.Bytes(), nil
}
