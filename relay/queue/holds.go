package queue

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The hold file lists the ids of held entries, one a line. The spool's
// entries are written once and never changed, so a hold cannot be a flag in
// their meta; this file is small (ids only, nothing of a message) and is
// replaced whole, atomically, at each change. An id whose entry is gone is
// ignored, and dropped at the next write.

// ReadHolds returns the ids listed in the hold file at path. A missing
// file, or an empty path, holds nothing.
func ReadHolds(path string) (map[string]bool, error) {
	holds := map[string]bool{}
	if path == "" {
		return holds, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return holds, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: hold file: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if id := strings.TrimSpace(sc.Text()); id != "" {
			holds[id] = true
		}
	}
	return holds, nil
}

// WriteHolds replaces the hold file at path with ids: written to a
// temporary file, synced, renamed over it, and the directory synced, so a
// crash leaves the old list or the new one.
func WriteHolds(path string, ids []string) error {
	var b bytes.Buffer
	for _, id := range ids {
		b.WriteString(id)
		b.WriteByte('\n')
	}
	tmp := path + ".tmp"
	err := writeSynced(tmp, b.Bytes())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("queue: hold file: %w", err)
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
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
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// saveHolds writes the ids of the held entries to HoldFile, if set. Writes
// are serialised, and each takes the holds as they are when it starts, so
// the last write has every change before it.
func (q *Queue) saveHolds() error {
	if q.opts.HoldFile == "" {
		return nil
	}
	q.holdMu.Lock()
	defer q.holdMu.Unlock()
	q.mu.Lock()
	var ids []string
	for id, e := range q.entries {
		if e.held {
			ids = append(ids, id)
		}
	}
	q.mu.Unlock()
	slices.Sort(ids)
	return WriteHolds(q.opts.HoldFile, ids)
}
