package office

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// Zip cleans a plain zip archive: it rebuilds it without the files
// operating systems leave behind (__MACOSX/ AppleDouble files with
// where-from and quarantine attributes, .DS_Store, Thumbs.db,
// desktop.ini), without extra fields, comments or times, and passes every
// other file to member, which cleans it by type and may recurse. Names
// stay as written; absolute names and ".." are refused.
func Zip(data []byte, max int64, member Member) ([]byte, error) {
	if !bytes.HasPrefix(data, []byte("PK")) {
		return nil, fmt.Errorf("office: zip: no local header: %w", malformed())
	}
	remaining := budget(max)
	entries, err := readArchive(data, &remaining)
	if err != nil {
		return nil, fmt.Errorf("office: zip: %w", err)
	}
	w := newWriter()
	for _, e := range entries {
		if litter(e.name) {
			continue
		}
		if e.dir {
			if err := w.dir(e.name); err != nil {
				return nil, fmt.Errorf("office: zip: %w", err)
			}
			continue
		}
		out, keep, err := member(e.name, e.data)
		if err != nil {
			return nil, fmt.Errorf("office: zip: member: %w", err)
		}
		if !keep {
			continue
		}
		if err := w.add(e.name, out, false); err != nil {
			return nil, fmt.Errorf("office: zip: %w", err)
		}
	}
	return w.bytes()
}

// litter tells the files an operating system adds to an archive on its
// own: macOS's __MACOSX/ tree and .DS_Store, Windows's Thumbs.db and
// desktop.ini.
func litter(name string) bool {
	lower := strings.ToLower(name)
	if lower == "__macosx/" || strings.HasPrefix(lower, "__macosx/") {
		return true
	}
	switch path.Base(strings.TrimSuffix(lower, "/")) {
	case ".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db":
		return true
	}
	return strings.HasPrefix(path.Base(lower), "._")
}
