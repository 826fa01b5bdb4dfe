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
// other file to member, which cleans it by type and may recurse. A
// member's path becomes what rename returns, its file name made unique
// within its folder ("photo.jpg", "photo-2.jpg"); a folder's entry is
// written once under its new path, or left out when rename leaves nothing
// of it. A nil rename keeps paths as written. Absolute names and ".." are
// refused.
func Zip(data []byte, max int64, member Member, rename func(string) string) ([]byte, error) {
	if !bytes.HasPrefix(data, []byte("PK")) {
		return nil, fmt.Errorf("office: zip: no local header: %w", malformed())
	}
	remaining := budget(max)
	entries, err := readArchive(data, &remaining)
	if err != nil {
		return nil, fmt.Errorf("office: zip: %w", err)
	}
	w := newWriter()
	names := uniqueNames{rename: rename, used: map[string]bool{}}
	for _, e := range entries {
		if litter(e.name) {
			continue
		}
		if e.dir {
			name := names.folder(e.name)
			if name == "" {
				continue
			}
			if err := w.dir(name); err != nil {
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
		if err := w.add(names.name(e.name), out, false); err != nil {
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

// uniqueNames renames an archive's files and keeps the new names apart.
type uniqueNames struct {
	rename func(string) string
	used   map[string]bool // lower case: Windows and macOS fold case
}

func (u uniqueNames) name(full string) string {
	if u.rename == nil {
		return full
	}
	dir, base := path.Split(u.rename(full))
	stem, ext := base, path.Ext(base)
	stem = strings.TrimSuffix(stem, ext)
	name := dir + base
	for n := 2; u.used[strings.ToLower(name)]; n++ {
		name = fmt.Sprintf("%s%s-%d%s", dir, stem, n, ext)
	}
	u.used[strings.ToLower(name)] = true
	return name
}

// folder returns a folder entry's new path, or "" when rename leaves
// nothing of it or another entry already has it.
func (u uniqueNames) folder(full string) string {
	if u.rename == nil {
		return full
	}
	name := u.rename(full)
	if name == "" || u.used[strings.ToLower(name)] {
		return ""
	}
	u.used[strings.ToLower(name)] = true
	return name
}
