package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"leak/relay/content/refusal"
)

// decodable are the filters cleanStream undoes in front of an image filter
// or an ICC profile.
var decodable = map[string]bool{
	filter.Flate:    true,
	filter.ASCIIHex: true,
	filter.ASCII85:  true,
}

// cleanStream returns the data to write for the stream sd, changing its
// dictionary's /Filter and /DecodeParms when the data is rewritten:
//
//   - a JPEG (the chain ends in DCTDecode) is cleaned by cleanJPEG and
//     written with DCTDecode alone;
//   - a JPEG 2000 picture (JPXDecode) by cleanJPX, likewise;
//   - an ICC profile (a stream with /N, as ICCBased colour spaces and
//     output intents have, 8.6.5.5, 14.11.5) by blankICC, written deflated.
//
// Filters in front of DCTDecode or JPXDecode other than those in decodable
// are refused (refusal.Unsupported): the picture could not be cleaned.
func cleanStream(xt *model.XRefTable, sd types.StreamDict) ([]byte, error) {
	names, parms, err := filters(xt, sd.Dict)
	if err != nil {
		return nil, err
	}
	last := ""
	if len(names) > 0 {
		last = names[len(names)-1]
	}
	switch {
	case last == filter.DCT || last == filter.JPX:
		b, err := decode(sd.Raw, names[:len(names)-1], parms, maxInflated)
		if err != nil {
			return nil, err
		}
		if last == filter.DCT {
			b, err = cleanJPEG(b)
		} else {
			b, err = cleanJPX(b)
		}
		if err != nil {
			return nil, err
		}
		if len(names) > 1 {
			sd.Dict["Filter"] = types.Name(last)
			delete(sd.Dict, "DecodeParms")
			if p := parms[len(parms)-1]; p != nil {
				sd.Dict["DecodeParms"] = p
			}
		}
		return b, nil
	case sd.IntEntry("N") != nil && sd.Subtype() == nil:
		b, err := decode(sd.Raw, names, parms, maxInflated)
		if err != nil {
			return nil, err
		}
		if !blankICC(b) {
			return sd.Raw, nil
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		sd.Dict["Filter"] = types.Name(filter.Flate)
		delete(sd.Dict, "DecodeParms")
		return z.Bytes(), nil
	}
	return sd.Raw, nil
}

// filters returns the names of the stream's filters and their parameters
// (nil where there are none).
func filters(xt *model.XRefTable, d types.Dict) ([]string, []types.Dict, error) {
	f, err := xt.Dereference(d["Filter"])
	if err != nil {
		return nil, nil, malformed(err)
	}
	var names []string
	switch f := f.(type) {
	case nil:
	case types.Name:
		names = []string{string(f)}
	case types.Array:
		for _, e := range f {
			n, ok := e.(types.Name)
			if !ok {
				return nil, nil, malformed(nil)
			}
			names = append(names, string(n))
		}
	default:
		return nil, nil, malformed(nil)
	}
	parms := make([]types.Dict, len(names))
	p, err := xt.Dereference(d["DecodeParms"])
	if err != nil {
		return nil, nil, malformed(err)
	}
	switch p := p.(type) {
	case types.Dict:
		if len(names) > 0 {
			parms[0] = p
		}
	case types.Array:
		for i := 0; i < len(p) && i < len(parms); i++ {
			e, err := xt.Dereference(p[i])
			if err != nil {
				return nil, nil, malformed(err)
			}
			parms[i], _ = e.(types.Dict)
		}
	}
	return names, parms, nil
}

// decode applies the filters names (with parameters parms) to raw,
// refusing Flate data that inflates past limit bytes.
func decode(raw []byte, names []string, parms []types.Dict, limit int64) ([]byte, error) {
	b := raw
	for i, n := range names {
		if !decodable[n] {
			return nil, refusal.New(refusal.Unsupported, textImage)
		}
		if n == filter.Flate {
			// Inflated here first, through the bound: pdfcpu's filter
			// has none. ASCIIHex and ASCII85 only shrink their input.
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, malformed(err)
			}
			inflated, err := io.ReadAll(io.LimitReader(zr, limit+1))
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, malformed(err)
			}
			if int64(len(inflated)) > limit {
				return nil, malformed(errBomb)
			}
			if p := parms[i].IntEntry("Predictor"); p == nil || *p <= 1 {
				b = inflated
				continue
			}
		}
		f, err := filter.NewFilter(n, intParms(parms[i]))
		if err != nil {
			return nil, refusal.New(refusal.Unsupported, textImage)
		}
		r, err := f.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, malformed(err)
		}
		if b, err = io.ReadAll(r); err != nil {
			return nil, malformed(err)
		}
	}
	return b, nil
}

// intParms returns the integer entries of d, as pdfcpu's filters take them.
func intParms(d types.Dict) map[string]int {
	m := map[string]int{}
	for k, v := range d {
		if i, ok := v.(types.Integer); ok {
			m[k] = int(i)
		}
	}
	return m
}
