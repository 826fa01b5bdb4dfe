package tnef

import "encoding/binary"

// MAPI property types ([MS-OXCDATA] section 2.11.1).
const (
	ptString8 = 0x001E
	ptUnicode = 0x001F
	ptBinary  = 0x0102
	ptObject  = 0x000D
	ptMulti   = 0x1000 // flag: a multi-valued property
)

// prop is one MAPI property of an attMAPIProps or attAttachment
// attribute. Values point into the stream.
type prop struct {
	typ    uint16 // without ptMulti
	id     uint16
	named  bool // a named property (id >= 0x8000): never one Decode takes
	values [][]byte
}

// single returns the only value of a property.
func (p *prop) single() ([]byte, bool) {
	if len(p.values) != 1 {
		return nil, false
	}
	return p.values[0], true
}

func (p *prop) u32() uint32 {
	if v, ok := p.single(); ok && len(v) >= 4 {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

// fixedSize returns the encoded size of a fixed-size type, padded to 4
// bytes ([MS-OXTNEF] section 2.1.3.4: PtypInteger16 and PtypBoolean take
// 4), or 0 for a variable-size type.
func fixedSize(t uint16) (size int, known bool) {
	switch t {
	case 0x0001, 0x0002, 0x0003, 0x0004, 0x000A, 0x000B: // null, I2, I4, R4, error, boolean
		return 4, true
	case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040: // R8, currency, apptime, I8, systime
		return 8, true
	case 0x0048: // GUID
		return 16, true
	case ptString8, ptUnicode, ptBinary, ptObject, 0x00FB: // 0x00FB: server id
		return 0, true
	}
	return 0, false
}

// parseProps parses a property list: a count, then for each property its
// tag, a name if it is a named property, and its values, each variable
// one with a length and padded to 4 bytes ([MS-OXTNEF] section 2.1.3.4).
func parseProps(b []byte) ([]prop, error) {
	d := reader{b: b}
	n, ok := d.u32()
	// Each property takes at least 8 bytes: never allocate for more
	// properties than the data could hold.
	if !ok || uint64(n) > uint64(d.len()/8) {
		return nil, errMalformed
	}
	props := make([]prop, 0, n)
	for range n {
		typ, ok1 := d.u16()
		id, ok2 := d.u16()
		if !ok1 || !ok2 {
			return nil, errMalformed
		}
		p := prop{typ: typ &^ ptMulti, id: id}
		if id >= 0x8000 {
			p.named = true
			if !skipName(&d) {
				return nil, errMalformed
			}
		}
		size, known := fixedSize(p.typ)
		if !known {
			return nil, errMalformed
		}
		count := uint32(1)
		if typ&ptMulti != 0 || size == 0 {
			c, ok := d.u32()
			if !ok || uint64(c) > uint64(d.len()/4) {
				return nil, errMalformed
			}
			count = c
		}
		p.values = make([][]byte, 0, count)
		for range count {
			var v []byte
			if size > 0 {
				if v, ok = d.bytes(uint32(size)); !ok {
					return nil, errMalformed
				}
			} else {
				l, ok := d.u32()
				if !ok {
					return nil, errMalformed
				}
				if v, ok = d.bytes(l); !ok || !d.pad(l) {
					return nil, errMalformed
				}
			}
			p.values = append(p.values, v)
		}
		props = append(props, p)
	}
	return props, nil
}

// skipName skips the name of a named property: a GUID, a kind, and an id
// (kind 0) or a UTF-16 name with its length, padded (kind 1).
func skipName(d *reader) bool {
	if _, ok := d.bytes(16); !ok {
		return false
	}
	kind, ok := d.u32()
	if !ok {
		return false
	}
	switch kind {
	case 0:
		_, ok = d.u32()
		return ok
	case 1:
		l, ok := d.u32()
		if !ok {
			return false
		}
		if _, ok := d.bytes(l); !ok {
			return false
		}
		return d.pad(l)
	}
	return false
}

// pad skips the padding that follows n bytes up to a multiple of 4.
func (d *reader) pad(n uint32) bool {
	_, ok := d.bytes((4 - n%4) % 4)
	return ok
}
