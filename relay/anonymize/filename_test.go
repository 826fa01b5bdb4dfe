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

func TestNeutralName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// Made up by a device or a program: a time, a counter.
		{"IMG_4032.JPG", "photo.jpg"},
		{"IMG_4032 (1).jpeg", "photo.jpeg"},
		{"PXL_20261205_091422123.jpg", "photo.jpg"},
		{"PXL_20261205_091422123.PORTRAIT.jpg", "photo.jpg"},
		{"IMG_20261205_101422.jpg", "photo.jpg"},
		{"DSC_0012.JPG", "photo.jpg"},
		{"DSCF1234.RAF.jpg", "photo.jpg"},
		{"P1010123.JPG", "photo.jpg"},
		{"Screenshot 2026-12-05 at 10.14.22.png", "screenshot.png"},
		{"Screen Shot 2026-12-05 at 10.14.22 AM.png", "screenshot.png"},
		{"Screenshot_20261205-101422_WhatsApp.jpg", "screenshot.jpg"},
		{"Bildschirmfoto 2026-12-05 um 10.14.22.png", "screenshot.png"},
		{"WhatsApp Image 2026-12-05 at 10.14.22.jpeg", "photo.jpeg"},
		{"signal-2026-12-05-101422.jpg", "photo.jpg"},
		{"photo_2026-12-05_10-14-22.jpg", "photo.jpg"},
		{"Scan_20261205.pdf", "scan.pdf"},
		{"image001.png", "photo.png"},
		{"VID_20261205_101422.mp4", "video.mp4"},
		{"20261205_101422.jpg", "photo.jpg"},
		{"1796544600123.jpg", "photo.jpg"},
		{"Recording 2026-12-05 101422.m4a", "recording.m4a"},
		// Chosen by the sender: kept.
		{"floor plan.png", "floor plan.png"},
		{"minutes 2026-12-03.docx", "minutes 2026-12-03.docx"},
		{"capture 2026 strategy.pptx", "capture 2026 strategy.pptx"},
		{"photo 2019 paris.jpg", "photo 2019 paris.jpg"},
		{"release-1.10.12.zip", "release-1.10.12.zip"},
		{"Q3 numbers.xlsx", "Q3 numbers.xlsx"},
		{"signal processing 101.pdf", "signal processing 101.pdf"},
		{"images.zip", "images.zip"},
		{"README", "README"},
	} {
		if got := neutralName(c.in); got != c.want {
			t.Errorf("neutralName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

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
