package spool

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The manifest lists the segments that exist, and for each one closed to
// appends how long it was and how many records it had when it was closed.
// It is how recovery tells damage from history: a segment in the manifest
// but not in seg/, or shorter than its header, or shorter than it was when
// closed, lost entries; one not in the manifest was deleted or never
// written to. It is small and rewritten whole (write, fsync, rename, fsync
// the directory) when a segment is created, closed or deleted: about once
// per SegmentMax of mail, never per entry.
//
//	leak-spool-manifest 1
//	<seq> open
//	<seq> closed <size> <records> <lost>
//	crc32c <CRC-32C of the lines above, hex>
//
// lost is the number of records in damaged spans that a recovery already
// counted, so that the next one does not count them again.
const (
	manifestName   = "manifest"
	manifestHeader = "leak-spool-manifest 1"
)

// segState is one segment as the manifest knows it.
type segState struct {
	closed bool
	size   int64 // closed: bytes written and synced
	nrec   int64 // closed: records written
	lost   int64
}

// records is the number of records the segment is known to have had: its
// count when closed, or 1 for one that was open (at least one, unless it
// was empty; the count is not known).
func (st segState) records() int64 {
	if st.closed {
		return st.nrec
	}
	return 1
}

// writeManifest rewrites the manifest from the segments now in s.segs. A
// failure is logged and returned: the spool goes on, with damage to
// segments less well detected. Writes are serialised, each with a fresh
// snapshot, so the last one written holds the last change.
func (s *Spool) writeManifest() error {
	s.manMu.Lock()
	defer s.manMu.Unlock()
	type line struct {
		seq uint64
		st  segState
	}
	s.mu.Lock()
	lines := make([]line, 0, len(s.segs))
	for seq, seg := range s.segs {
		st := segState{closed: !seg.active, lost: seg.lost}
		if st.closed {
			st.size, st.nrec = seg.closedSize, seg.closedRecs
		}
		lines = append(lines, line{seq, st})
	}
	s.mu.Unlock()
	slices.SortFunc(lines, func(a, b line) int { return cmp.Compare(a.seq, b.seq) })

	var b bytes.Buffer
	b.WriteString(manifestHeader + "\n")
	for _, l := range lines {
		if l.st.closed {
			fmt.Fprintf(&b, "%016x closed %d %d %d\n", l.seq, l.st.size, l.st.nrec, l.st.lost)
		} else {
			fmt.Fprintf(&b, "%016x open\n", l.seq)
		}
	}
	fmt.Fprintf(&b, "crc32c %08x\n", crc32.Checksum(b.Bytes(), castagnoli))

	err := writeFileSync(filepath.Join(s.dir, manifestName), b.Bytes(), s.dir)
	if err != nil {
		s.log.Error("spool: cannot write the segment manifest; damage to segments may go unnoticed", "err", err.Error())
	}
	return err
}

// writeFileSync replaces path with data durably: a temporary file beside
// it is written and fsync'd, renamed over path, and dir is fsync'd.
func writeFileSync(path string, data []byte, dir string) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// readManifest reads the manifest. It returns nil and no error if there is
// none (a new spool, or one written by an earlier version).
func (s *Spool) readManifest() (map[uint64]segState, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: read manifest: %w", err)
	}
	return parseManifest(data)
}

// errManifest is wrapped by every reason a manifest is not believed.
var errManifest = errors.New("spool: manifest damaged")

// parseManifest decodes a manifest, whole or not at all.
func parseManifest(data []byte) (map[uint64]segState, error) {
	body, sumLine, ok := cutLastLine(data)
	if !ok {
		return nil, fmt.Errorf("%w: no checksum line", errManifest)
	}
	hex, ok := strings.CutPrefix(sumLine, "crc32c ")
	sum, err := strconv.ParseUint(hex, 16, 32)
	if !ok || err != nil || len(hex) != 8 {
		return nil, fmt.Errorf("%w: bad checksum line", errManifest)
	}
	if uint32(sum) != crc32.Checksum(body, castagnoli) {
		return nil, fmt.Errorf("%w: checksum mismatch", errManifest)
	}
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if lines[0] != manifestHeader {
		return nil, fmt.Errorf("%w: unknown header", errManifest)
	}
	segs := make(map[uint64]segState, len(lines)-1)
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == 0 {
			return nil, fmt.Errorf("%w: line %d", errManifest, i+2)
		}
		seq, ok := parseSegName(f[0] + segExt)
		var st segState
		switch {
		case !ok:
		case len(f) == 2 && f[1] == "open":
		case len(f) == 5 && f[1] == "closed":
			st.closed = true
			var errs [3]error
			st.size, errs[0] = strconv.ParseInt(f[2], 10, 64)
			st.nrec, errs[1] = strconv.ParseInt(f[3], 10, 64)
			st.lost, errs[2] = strconv.ParseInt(f[4], 10, 64)
			ok = errors.Join(errs[:]...) == nil && st.size >= 0 && st.nrec >= 0 && st.lost >= 0
		default:
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("%w: line %d", errManifest, i+2)
		}
		segs[seq] = st
	}
	return segs, nil
}

// cutLastLine splits data, which must end in a newline, before its last
// line, and returns that line without its newline.
func cutLastLine(data []byte) (before []byte, last string, ok bool) {
	if len(data) == 0 || data[len(data)-1] != '\n' {
		return nil, "", false
	}
	i := bytes.LastIndexByte(data[:len(data)-1], '\n')
	if i < 0 {
		return nil, "", false
	}
	return data[:i+1], string(data[i+1 : len(data)-1]), true
}
