package anonymize

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"slices"
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
	msg := crlfMsg("From: a@b.example\nTo: x@leak.example\nSubject: s\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\n" +
		"Content-Type: application/zip; name=\"scans.zip\"\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString(zb.Bytes()) + "\n--b--\n")
	outs, err := rewrite(t, msg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := message.Read(bytes.NewReader(outs[0]))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	e.Walk(func(_ []int, part *message.Entity, _ error) error {
		if t, _, _ := part.Header.ContentType(); t != "application/zip" {
			return nil
		}
		b, _ := io.ReadAll(part.Body)
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return err
		}
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		return nil
	})
	if want := []string{"scan.txt", "scan-2.txt", "notes.txt"}; !slices.Equal(names, want) {
		t.Errorf("zip members %q, want %q", names, want)
	}
}
