package tnef

import "encoding/binary"

// reader reads little-endian fields, reporting false past the end
// instead of allocating or panicking.
type reader struct {
	b []byte
}

func (d *reader) len() int { return len(d.b) }

func (d *reader) bytes(n uint32) ([]byte, bool) {
	if uint64(n) > uint64(len(d.b)) {
		return nil, false
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v, true
}

func (d *reader) u8() (uint8, bool) {
	v, ok := d.bytes(1)
	if !ok {
		return 0, false
	}
	return v[0], true
}

func (d *reader) u16() (uint16, bool) {
	v, ok := d.bytes(2)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint16(v), true
}

func (d *reader) u32() (uint32, bool) {
	v, ok := d.bytes(4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(v), true
}
