package anonymize

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"image"
	"image/jpeg"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

// The files of a zip attachment are renamed alike, and kept apart.
func TestZipMemberNames(t *testing.T) {
	var zb bytes.Buffer
	z := zip.NewWriter(&zb)
	for _, name := range []string{"Scan_20261205_101422.txt", "Scan_20261205_101501.txt", "notes.txt"} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "some words\r\n")
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	names, _ := zipThrough(t, zb.Bytes())
	if want := []string{"scan.txt", "scan-2.txt", "notes.txt"}; !slices.Equal(names, want) {
		t.Errorf("zip members %q, want %q", names, want)
	}
}

// Info-ZIP, given an absolute path (zip -r pics.zip /home/mkowalczyk/…),
// stores it without its leading slash: the account's name is in every
// member's path, and a phone's picture folder names its maker. Both go.
func TestInfoZipPaths(t *testing.T) {
	zipTool, err := exec.LookPath("zip")
	if err != nil {
		if os.Getenv("LEAK_INTEROP") == "1" {
			t.Fatal("LEAK_INTEROP=1 but Info-ZIP's zip is not installed (Debian package zip)")
		}
		t.Skip("Info-ZIP's zip is not installed (Debian package zip; LEAK_INTEROP=1 requires it)")
	}
	root := t.TempDir()
	pics := filepath.Join(root, "home", "mkowalczyk", "Pictures")
	if err := os.MkdirAll(filepath.Join(pics, "DCIM", "100APPLE"), 0o755); err != nil {
		t.Fatal(err)
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		filepath.Join(pics, "DCIM", "100APPLE", "IMG_4032.JPG"): jpg.Bytes(),
		filepath.Join(pics, "notes.txt"):                        []byte("the view from the bridge\n"),
	} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Run from the root, as / is for an absolute path: the stored names
	// are the same.
	cmd := exec.Command(zipTool, "-q", "-r", "pics.zip", "home/mkowalczyk/Pictures")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zip: %v: %s", err, out)
	}
	in, err := os.ReadFile(filepath.Join(root, "pics.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(in, []byte("home/mkowalczyk/Pictures/DCIM/100APPLE/IMG_4032.JPG")) {
		t.Fatal("Info-ZIP did not store the path this test is about")
	}
	names, raw := zipThrough(t, in)
	slices.Sort(names)
	if want := []string{"Pictures/", "Pictures/notes.txt", "Pictures/photo.jpg"}; !slices.Equal(names, want) {
		t.Errorf("zip members %q, want %q", names, want)
	}
	for _, secret := range []string{"mkowalczyk", "100APPLE", "DCIM", "IMG_4032"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("%q is still in the archive", secret)
		}
	}
}

// zipThrough sends a zip attachment through the anonymizer and returns
// its members' names and the archive it came out as.
func zipThrough(t *testing.T, archive []byte) ([]string, []byte) {
	t.Helper()
	msg := crlfMsg("From: a@b.example\nTo: x@leak.example\nSubject: s\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\n" +
		"Content-Type: application/zip; name=\"files.zip\"\nContent-Transfer-Encoding: base64\n\n" +
		wrap76(base64.StdEncoding.EncodeToString(archive)) + "--b--\n")
	outs, err := rewrite(t, msg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := message.Read(bytes.NewReader(outs[0]))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var raw []byte
	e.Walk(func(_ []int, part *message.Entity, _ error) error {
		if t, _, _ := part.Header.ContentType(); t != "application/zip" {
			return nil
		}
		raw, _ = io.ReadAll(part.Body)
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			return err
		}
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		return nil
	})
	if raw == nil {
		t.Fatal("no zip attachment came out")
	}
	return names, raw
}

// wrap76 breaks base64 text into lines of 76 characters, as MIME asks.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	b.WriteString(s + "\n")
	return b.String()
}
