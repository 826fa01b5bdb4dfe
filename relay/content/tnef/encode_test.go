package tnef

import (
	"encoding/binary"
	"unicode/utf16"
)

// This file is a small TNEF writer following [MS-OXTNEF], for fixtures.

type attr struct {
	level uint8
	id    uint32 // type in the high word, id in the low word
	data  []byte
}

func encodeTNEF(attrs ...attr) []byte {
	b := binary.LittleEndian.AppendUint32(nil, signature)
	b = binary.LittleEndian.AppendUint16(b, 0x1234)
	for _, a := range attrs {
		b = append(b, a.level)
		b = binary.LittleEndian.AppendUint32(b, a.id)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(a.data)))
		b = append(b, a.data...)
		b = binary.LittleEndian.AppendUint16(b, checksum(a.data))
	}
	return b
}

// mprop is one MAPI property to encode; name makes it a named property.
type mprop struct {
	tag    uint32 // type in the low word, id in the high word
	name   string
	values [][]byte
}

func encodeProps(props ...mprop) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(props)))
	for _, p := range props {
		typ := uint16(p.tag)
		b = binary.LittleEndian.AppendUint16(b, typ)
		b = binary.LittleEndian.AppendUint16(b, uint16(p.tag>>16))
		if p.tag>>16 >= 0x8000 {
			b = append(b, make([]byte, 16)...) // PS_PUBLIC_STRINGS would go here
			b = binary.LittleEndian.AppendUint32(b, 1)
			n := utf16z(p.name)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(n)))
			b = appendPadded(b, n)
		}
		size, _ := fixedSize(typ &^ ptMulti)
		if typ&ptMulti != 0 || size == 0 {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(p.values)))
		}
		for _, v := range p.values {
			if size > 0 {
				b = append(b, v...)
				continue
			}
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
			b = appendPadded(b, v)
		}
	}
	return b
}

func appendPadded(b, v []byte) []byte {
	b = append(b, v...)
	return append(b, make([]byte, (4-len(v)%4)%4)...)
}

func utf16z(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func sz(s string) []byte { return append([]byte(s), 0) }

// Attribute ids with their types, as Outlook writes them.
const (
	idTnefVersion     = 0x00089006
	idOemCodepage     = 0x00069007
	idMessageClass    = 0x00078008
	idFrom            = 0x00008000
	idSubject         = 0x00018004
	idDateSent        = 0x00038005
	idMessageID       = 0x00018009
	idBody            = 0x0002800C
	idMAPIProps       = 0x00069003
	idAttachRendData  = 0x00069002
	idAttachTitle     = 0x00018010
	idAttachData      = 0x0006800F
	idAttachment      = 0x00069005
	idAttachModifyDat = 0x00038013
)
