// Package filename replaces the file names devices and programs make up
// from a time or a counter with plain ones of their kind, and drops the
// folders in an archive's paths that name the sender's account or device.
package filename

import (
	"regexp"
	"strings"
)

// A file name a camera, a phone or a screenshot tool made up is as telling
// as the EXIF Leak strips from the picture: "PXL_20261205_091422123.jpg"
// is a Pixel's photo taken at 09:14:22.123 UTC, "Screenshot 2026-12-05 at
// 10.14.22.png" a Mac's screen at that second, in the sender's time zone,
// and "IMG_4032.JPG" an iPhone's 4,032nd picture, which links every
// message its owner sends with the next ones. Such names are replaced by
// a plain one of their kind. A name the sender chose ("floor plan.png",
// "minutes 2026-12-03.docx") stays.

// devicePrefix matches the start of the names devices and programs give:
// cameras (IMG, DSC, DSCN, DSCF, PXL, MVIMG, PANO, GOPR, DJI), Outlook's
// inline pictures (image001), screen captures in several languages,
// scanners, WhatsApp. What follows it must be mostly digits (madeUp).
var devicePrefix = regexp.MustCompile(`^(img|dsc[nf]?|dcim|pict|pxl|mvimg|pano|vid|gopr|dji|photo|image|picture|scan|screenshot|screen ?shot|screen ?recording|capture|bildschirmfoto|captura|schermafbeelding|skjermbilde|whatsapp (?:image|video))(?:[ _.-]|$|\d)`)

// stampDate is a date written as devices write it, year first or last;
// stampTime a time to the second after it.
var (
	stampDate = regexp.MustCompile(`(?:19|20)\d\d[-_. ]?(?:0[1-9]|1[0-2])[-_. ]?(?:0[1-9]|[12]\d|3[01])|(?:0?[1-9]|[12]\d|3[01])[-_.](?:0?[1-9]|1[0-2])[-_.](?:19|20)\d\d`)
	stampTime = regexp.MustCompile(`(?:[01]\d|2[0-3])[-_.:h ]?[0-5]\d[-_.:m ]?[0-5]\d`)
	digitRun  = regexp.MustCompile(`\d{3,}`)
	onlyStamp = regexp.MustCompile(`^[\d _.-]{6,}$`)
	olympus   = regexp.MustCompile(`^p\d{7}$`) // P1010123: Olympus, Panasonic
	extension = regexp.MustCompile(`^\.[A-Za-z0-9]{1,5}$`)
)

// Neutral returns name, or a plain name of its kind with its extension in
// lower case when a device or program made name up from a time or a
// counter.
func Neutral(name string) string {
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && extension.MatchString(name[i:]) {
		stem, ext = name[:i], strings.ToLower(name[i:])
	}
	low := strings.ToLower(strings.TrimSpace(stem))
	made := onlyStamp.MatchString(low) || olympus.MatchString(low)
	if m := devicePrefix.FindStringSubmatchIndex(low); m != nil && !made {
		made = mostlyDigits(low[m[3]:])
	}
	if !made {
		if loc := stampDate.FindStringIndex(low); loc != nil && stampTime.MatchString(low[loc[1]:]) {
			made = true
		}
	}
	if !made {
		return name
	}
	return kindOf(low, ext) + ext
}

// mostlyDigits reports whether s holds a run of three digits or more and
// at least as many digits as letters: "_4032", " 2026-12-05 at 10.14.22",
// "_20261205-101422_WhatsApp", but not " 2026 strategy".
func mostlyDigits(s string) bool {
	if !digitRun.MatchString(s) {
		return false
	}
	digits, letters := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'z':
			letters++
		}
	}
	return digits >= letters
}

// kindOf names what a made-up file holds, from its name and extension.
func kindOf(stem, ext string) string {
	switch {
	case strings.Contains(stem, "screen") || strings.Contains(stem, "capture") || strings.Contains(stem, "captura") ||
		strings.Contains(stem, "bildschirm") || strings.Contains(stem, "schermafbeelding") || strings.Contains(stem, "skjermbilde"):
		return "screenshot"
	case strings.HasPrefix(stem, "scan"):
		return "scan"
	}
	switch ext {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".tif", ".tiff", ".dng", ".bmp":
		return "photo"
	case ".mp4", ".mov", ".m4v", ".3gp", ".webm", ".avi":
		return "video"
	case ".m4a", ".mp3", ".aac", ".ogg", ".opus", ".wav", ".amr":
		return "recording"
	}
	return "file"
}

// An archive's paths can say more than its file names. Info-ZIP, given an
// absolute path, stores it without its leading slash:
// "home/alice/Pictures/IMG_4032.JPG", "Users/alice.smith/Desktop/…", so
// the sender's account name travels in every member. And a camera's or
// phone's picture folder ("DCIM/100APPLE/", "DCIM/101MSDCF/",
// "DCIM/Camera/") names the maker of the device, as the EXIF Make did.

// homeRoots are the folders that hold one folder per account: Unix's
// home, macOS's Users, older Windows's Documents and Settings.
var homeRoots = map[string]bool{"home": true, "users": true, "documents and settings": true}

// HomeRoot reports whether a folder of that name holds one folder per
// account ("home", "Users", "Documents and Settings"): the folder in it
// is named after the account.
func HomeRoot(name string) bool { return homeRoots[strings.ToLower(name)] }

// dcfFolder is a camera folder under DCIM, as the DCF standard names them:
// three digits from 100 and five characters the maker chooses.
var dcfFolder = regexp.MustCompile(`^[1-9]\d{2}[A-Za-z0-9_]{5}$`)

// Path returns an archive member's path with its file name made plain by
// Neutral and the folders that name the sender's account (a home folder
// and the account's folder in it, at the start) or the device (DCIM and
// the camera folder in it) left out. A path ending in "/" is a folder and
// keeps the slash unless nothing is left of it; the entry of a home folder
// itself ("home/") goes too.
func Path(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return Neutral(p)
	}
	dir, base := p[:i], p[i+1:]
	var kept []string
	segs := strings.Split(dir, "/")
	for i := 0; i < len(segs); i++ {
		if strings.EqualFold(segs[i], "dcim") {
			if i+1 < len(segs) && (dcfFolder.MatchString(segs[i+1]) || strings.EqualFold(segs[i+1], "camera")) {
				i++
			}
			continue
		}
		kept = append(kept, segs[i])
	}
	for len(kept) >= 2 && homeRoots[strings.ToLower(kept[0])] && kept[1] != "" {
		kept = kept[2:]
	}
	if base == "" && len(kept) == 1 && homeRoots[strings.ToLower(kept[0])] {
		kept = nil // the folder of accounts itself, before the account's
	}
	folder := strings.Join(kept, "/")
	switch {
	case base == "" && folder == "":
		return ""
	case base == "":
		return folder + "/"
	case folder == "":
		return Neutral(base)
	}
	return folder + "/" + Neutral(base)
}
