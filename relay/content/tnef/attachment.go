package tnef

import (
	"bytes"
	"encoding/binary"
	"mime"
	"path"
	"strings"
)

// attachment turns what the stream said about one attachment into an
// Attachment, or refuses it.
func (s *state) attachment(a *attachment) (Attachment, bool, error) {
	switch {
	case a.isObject || a.method == attachEmbeddedMsg || a.method == attachOLE:
		return Attachment{}, false, errEmbedded
	case a.method != attachByValue && a.method != attachNone:
		return Attachment{}, false, errLinked
	}
	name := a.long
	if name == "" && a.title != nil {
		name, _ = decodeCodepage(s.oemCP, bytes.TrimRight(a.title, "\x00"))
	}
	if name == "" {
		name = a.short
	}
	name = baseName(name)
	if !a.hasData {
		if name == "" {
			return Attachment{}, false, nil
		}
		return Attachment{}, false, errLinked
	}
	if len(a.data) >= 4 && binary.LittleEndian.Uint32(a.data) == signature {
		return Attachment{}, false, errEmbedded
	}
	mt := mediaType(a.mimeTag, name)
	if mt == "application/ms-tnef" || mt == "application/vnd.ms-tnef" {
		return Attachment{}, false, errEmbedded
	}
	return Attachment{Name: name, MediaType: mt, Data: a.data}, true, nil
}

// baseName drops the directories of a Windows or Unix path (Outlook may
// give the sender's local path, "C:\Users\tomasz\Desktop\plan.pdf") and
// control characters.
func baseName(n string) string {
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, n)
	if i := strings.LastIndexAny(n, `/\:`); i >= 0 {
		n = n[i+1:]
	}
	n = strings.TrimSpace(n)
	if n == "." || n == ".." {
		return ""
	}
	return n
}

func mediaType(tag, name string) string {
	if tag != "" {
		if mt, _, err := mime.ParseMediaType(tag); err == nil && strings.Count(mt, "/") == 1 {
			return mt
		}
	}
	if ext := path.Ext(name); ext != "" {
		if t := mime.TypeByExtension(strings.ToLower(ext)); t != "" {
			if mt, _, err := mime.ParseMediaType(t); err == nil {
				return mt
			}
		}
	}
	return "application/octet-stream"
}
