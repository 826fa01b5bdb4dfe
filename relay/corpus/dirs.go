package corpus

import (
	"os"
	"path/filepath"
	"runtime"
	"sort"
)

//go:generate go run ./internal/hostile/gen -out ../anonymize/testdata/hostile

// Kinds of corpus. Clients are client and provider shapes, content is what
// clients put inside a message (pictures, documents, calendars), hostile
// is malformed or malicious input with the SMTP reply to expect.
const (
	Clients = "clients"
	Content = "content"
	Hostile = "hostile"
)

// testdata is relay/anonymize/testdata, found from this file's place in
// the source tree so that tests in any package, run from any directory, get
// the same absolute paths.
func testdata() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "anonymize", "testdata")
}

// Dirs returns the project's own corpus directories of the given kinds (all
// kinds when none is given), absolute: testdata/corpus for clients, every
// testdata/content/*/ holding a manifest, and testdata/hostile. A content
// directory added later is picked up without a code change.
func Dirs(kinds ...string) []string {
	if len(kinds) == 0 {
		kinds = []string{Clients, Content, Hostile}
	}
	root := testdata()
	var dirs []string
	for _, k := range kinds {
		switch k {
		case Clients:
			dirs = append(dirs, filepath.Join(root, "corpus"))
		case Content:
			found, _ := filepath.Glob(filepath.Join(root, "content", "*", "manifest.json"))
			sort.Strings(found)
			for _, m := range found {
				dirs = append(dirs, filepath.Dir(m))
			}
		case Hostile:
			dirs = append(dirs, filepath.Join(root, "hostile"))
		}
	}
	return dirs
}

// Shared returns a directory of the shared sample corpus, which lives
// outside the repository: $LEAK_CORPUS/<kind> (LEAK_CORPUS=/path/to/corpus).
// ok is false when LEAK_CORPUS is unset or the directory is missing.
func Shared(kind string) (dir string, ok bool) {
	root := os.Getenv("LEAK_CORPUS")
	if root == "" {
		return "", false
	}
	dir = filepath.Join(root, kind)
	if st, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil || st.IsDir() {
		return dir, false
	}
	return dir, true
}

// Tool returns the path of the shared corpus's own checker,
// $LEAK_CORPUS/tools/leakcheck.py, for cross-checks; ok is false without it.
func Tool() (path string, ok bool) {
	root := os.Getenv("LEAK_CORPUS")
	if root == "" {
		return "", false
	}
	path = filepath.Join(root, "tools", "leakcheck.py")
	_, err := os.Stat(path)
	return path, err == nil
}
