package tnef

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"unicode/utf16"

	"leak/relay/content/refusal"
)

// Attachment is an attached file.
type Attachment struct {
	Name      string // base name only: Outlook may give a full local path
	MediaType string // without parameters
	Data      []byte
}

// Message is what Decode takes out of a TNEF stream. A stream whose only
// body is RTF has it as Text or HTML: the text or HTML the RTF
// encapsulates ([MS-OXRTFEX]), or the RTF's own text.
type Message struct {
	Text    string // plain body, UTF-8, if present
	HTML    []byte // HTML body, if present, in Charset
	Charset string // IANA name of HTML's character set, "" if the stream does not say
	// Attachments are the attached files, in stream order.
	Attachments []Attachment
}

// signature starts every TNEF stream ([MS-OXTNEF] section 2.1.3.1).
const signature = 0x223E9F78

// Attribute levels and ids ([MS-OXTNEF] section 2.1.3.2). The id's low
// word names the attribute; the high word is its type, which Decode does
// not trust.
const (
	levelMessage    = 0x01
	levelAttachment = 0x02

	attBody           = 0x800C
	attMAPIProps      = 0x9003
	attOemCodepage    = 0x9007
	attAttachRendData = 0x9002
	attAttachTitle    = 0x8010
	attAttachData     = 0x800F
	attAttachment     = 0x9005
)

// MAPI property ids ([MS-OXPROPS]).
const (
	pidBody          = 0x1000 // PidTagBody
	pidRTFCompressed = 0x1009 // PidTagRtfCompressed, [MS-OXRTFCP]
	pidHTML          = 0x1013 // PidTagHtml / PidTagBodyHtml
	pidInternetCPID  = 0x3FDE // PidTagInternetCodepage
	pidMessageCP     = 0x3FFD // PidTagMessageCodepage
	pidAttachDataBin = 0x3701 // PidTagAttachDataBinary / PidTagAttachDataObject
	pidAttachName    = 0x3704 // PidTagAttachFilename (8.3)
	pidAttachMethod  = 0x3705 // PidTagAttachMethod
	pidAttachLong    = 0x3707 // PidTagAttachLongFilename
	pidAttachMIME    = 0x370E // PidTagAttachMimeTag
)

// Attachment methods ([MS-OXCMSG] section 2.2.2.9): only files by value
// carry their content; the others are links into the sender's file system
// or web drive, embedded messages, or OLE objects.
const (
	attachNone        = 0 // not set yet: Outlook's drafts, taken as by value
	attachByValue     = 1
	attachEmbeddedMsg = 5
	attachOLE         = 6
)

var (
	errMalformed = refusal.New(refusal.Malformed, "a winmail.dat part is damaged; send the message again in HTML or plain text format")
	errEmbedded  = refusal.New(refusal.Unsupported, "a winmail.dat part holds an attached message or object; attach it as a file, or send in HTML or plain text format")
	errLinked    = refusal.New(refusal.Unsupported, "a winmail.dat part holds a link to a file instead of the file; attach the file itself")
	errCharset   = refusal.New(refusal.Unsupported, "a winmail.dat part uses an unsupported character set; send the message in HTML or plain text format")
	errTooLarge  = refusal.New(refusal.TooLarge, "a winmail.dat part is too large")
)

// attachment is what the stream said about one attachment, gathered
// from its attributes until the next attAttachRendData.
type attachment struct {
	title    []byte
	data     []byte
	hasData  bool
	long     string
	short    string
	mimeTag  string
	method   uint32
	isObject bool
}

// state is what Decode gathered from the attributes read so far. Props
// point into the stream, which is held whole: a stream's body properties
// may come after its attachments and are decoded at the end.
type state struct {
	oemCP  uint32
	msgCP  uint32
	cpid   uint32
	body   *prop
	html   *prop
	rtf    []byte
	legacy []byte
	atts   []*attachment
	cur    *attachment
}

// Decode reads a TNEF stream, bounded by max bytes (refusal.TooLarge past
// it). Everything that identifies the sender (sender name and address
// properties, message class, conversation ids, dates, recipients) is
// simply not carried over: only bodies and attachments come out. Embedded
// messages, OLE objects and linked attachments are refused as
// Unsupported, since their contents cannot be cleaned here.
func Decode(r io.Reader, max int64) (*Message, error) {
	limit := max
	if limit < math.MaxInt64 {
		limit++ // one byte more tells a stream over max from one at max
	}
	buf, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return nil, fmt.Errorf("tnef: read: %w", err)
	}
	if int64(len(buf)) > max {
		return nil, errTooLarge
	}
	d := reader{b: buf}
	if sig, ok := d.u32(); !ok || sig != signature {
		return nil, errMalformed
	}
	if _, ok := d.u16(); !ok { // legacy key, unused ([MS-OXTNEF] 2.1.3.1)
		return nil, errMalformed
	}
	var s state
	for d.len() > 0 {
		if err := s.attribute(&d); err != nil {
			return nil, err
		}
	}
	return s.message(max)
}

// attribute reads one attribute: level, id, length, data, checksum
// ([MS-OXTNEF] section 2.1.3.3).
func (s *state) attribute(d *reader) error {
	level, ok1 := d.u8()
	id, ok2 := d.u32()
	n, ok3 := d.u32()
	if !ok1 || !ok2 || !ok3 {
		return errMalformed
	}
	data, ok := d.bytes(n)
	if !ok {
		return errMalformed
	}
	sum, ok := d.u16()
	if !ok || sum != checksum(data) {
		return errMalformed
	}
	switch level {
	case levelMessage:
		return s.messageAttr(id&0xFFFF, data)
	case levelAttachment:
		return s.attachmentAttr(id&0xFFFF, data)
	}
	return errMalformed
}

// checksum is the sum of the data bytes modulo 65536 ([MS-OXTNEF] 2.1.3.3).
func checksum(b []byte) uint16 {
	var s uint16
	for _, c := range b {
		s += uint16(c)
	}
	return s
}

func (s *state) messageAttr(id uint32, data []byte) error {
	switch id {
	case attOemCodepage:
		if len(data) < 4 {
			return errMalformed
		}
		s.oemCP = binary.LittleEndian.Uint32(data)
	case attBody:
		s.legacy = data
	case attMAPIProps:
		props, err := parseProps(data)
		if err != nil {
			return err
		}
		for i := range props {
			p := &props[i]
			if p.named {
				continue
			}
			switch p.id {
			case pidBody:
				s.body = p
			case pidHTML:
				s.html = p
			case pidRTFCompressed:
				if v, ok := p.single(); ok {
					s.rtf = v
				}
			case pidInternetCPID:
				s.cpid = p.u32()
			case pidMessageCP:
				s.msgCP = p.u32()
			}
		}
	}
	// Every other message attribute (attFrom, attSubject, attDateSent,
	// attMessageID, attConversationID, attMessageClass, the recipient
	// table) is dropped here: it identifies the sender or their mailbox.
	return nil
}

func (s *state) attachmentAttr(id uint32, data []byte) error {
	if id == attAttachRendData || s.cur == nil {
		s.cur = &attachment{method: attachByValue}
		s.atts = append(s.atts, s.cur)
	}
	a := s.cur
	switch id {
	case attAttachRendData:
		// attAttachRendData's first field is the attachment type: 1 a
		// file, 2 an OLE object ([MS-OXTNEF] section 2.1.3.3.16).
		if len(data) >= 2 && binary.LittleEndian.Uint16(data) == 2 {
			return errEmbedded
		}
	case attAttachTitle:
		a.title = data
	case attAttachData:
		a.data, a.hasData = data, true
	case attAttachment:
		props, err := parseProps(data)
		if err != nil {
			return err
		}
		for i := range props {
			p := &props[i]
			if p.named {
				continue
			}
			switch p.id {
			case pidAttachDataBin:
				if p.typ == ptObject {
					a.isObject = true
				} else if v, ok := p.single(); ok {
					a.data, a.hasData = v, true
				}
			case pidAttachLong:
				a.long = s.text(p)
			case pidAttachName:
				a.short = s.text(p)
			case pidAttachMIME:
				a.mimeTag = s.text(p)
			case pidAttachMethod:
				a.method = p.u32()
			}
		}
	}
	return nil
}

// text decodes a string property for an attachment name or type; one that
// does not decode yields "", and the name falls back to the next source.
func (s *state) text(p *prop) string {
	t, err := s.decodeString(p)
	if err != nil {
		return ""
	}
	return t
}

func (s *state) decodeString(p *prop) (string, error) {
	v, ok := p.single()
	if !ok {
		return "", errMalformed
	}
	switch p.typ {
	case ptUnicode:
		return utf16le(v), nil
	case ptString8, ptBinary:
		cp := s.msgCP
		if cp == 0 {
			cp = s.oemCP
		}
		return decodeCodepage(cp, bytes.TrimRight(v, "\x00"))
	}
	return "", errMalformed
}

func utf16le(v []byte) string {
	u := make([]uint16, len(v)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(v[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

func (s *state) message(max int64) (*Message, error) {
	m := &Message{}
	switch {
	case s.body != nil:
		t, err := s.decodeString(s.body)
		if err != nil {
			return nil, err
		}
		m.Text = t
	case s.legacy != nil:
		t, err := decodeCodepage(s.oemCP, bytes.TrimRight(s.legacy, "\x00"))
		if err != nil {
			return nil, err
		}
		m.Text = t
	}
	if s.html != nil {
		v, ok := s.html.single()
		if !ok {
			return nil, errMalformed
		}
		if s.html.typ == ptUnicode {
			m.HTML, m.Charset = []byte(utf16le(v)), "utf-8"
		} else {
			// An unknown code page leaves Charset empty: the HTML's own
			// <meta charset> may still say.
			m.HTML = bytes.TrimRight(v, "\x00")
			m.Charset, _ = charsetName(s.cpid)
		}
	}
	if m.Text == "" && m.HTML == nil && s.rtf != nil {
		// Only a rich-text body, as Outlook sends it: the HTML or text it
		// encapsulates, or the text of RTF of its own (see rtfBody).
		rtf, err := decompressRTF(s.rtf, max)
		if err != nil {
			return nil, err
		}
		body, isHTML, err := rtfBody(rtf, max)
		if err != nil {
			return nil, err
		}
		switch {
		case isHTML && body != "":
			m.HTML, m.Charset = []byte(body), "utf-8"
		case !isHTML:
			m.Text = body
		}
	}
	for _, a := range s.atts {
		att, keep, err := s.attachment(a)
		if err != nil {
			return nil, err
		}
		if keep {
			m.Attachments = append(m.Attachments, att)
		}
	}
	return m, nil
}
