package anonymize

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultOptions returns the defaults New gives zero fields: leakd's
// config starts from them too, so each default is written once, here.
// Domain is the caller's to set.
func DefaultOptions() Options {
	return Options{
		FromLocal:        "anonymous",
		MaxHeaderBytes:   64 << 10,
		MaxHeaderFields:  1000,
		MaxDepth:         20,
		MaxParts:         500,
		MaxReceived:      50,
		MaxDocumentBytes: 20 << 20,
		DocumentBudget:   256 << 20,
		DocumentWait:     2 * time.Minute,
	}
}

// Validate checks options as a configuration gives them, every field set:
// its errors name leakd's configuration keys (smtp.max_header_bytes,
// anonymity.*), so config check and serve say the same.
func (o Options) Validate() error {
	switch {
	case o.MaxHeaderBytes < 1024:
		return errors.New("smtp.max_header_bytes: must be at least 1024")
	case o.MaxHeaderFields < 10:
		return errors.New("smtp.max_header_fields: must be at least 10")
	case o.MaxDepth < 1:
		return errors.New("smtp.max_mime_depth: must be at least 1")
	case o.MaxParts < 1:
		return errors.New("smtp.max_mime_parts: must be at least 1")
	case o.MaxReceived < 1:
		return errors.New("smtp.max_received: must be at least 1")
	case o.DatePrecision < 0 || o.DatePrecision > time.Hour:
		return errors.New("anonymity.date_precision: must be between 0s and 1h")
	case o.MaxDocumentBytes < 64<<10:
		return errors.New("anonymity.max_document_bytes: must be at least 65536")
	case o.DocumentBudget < documentCost*o.MaxDocumentBytes:
		// A document is counted at four times its size (input, output and
		// the cleaner's working copies): one must fit.
		return errors.New("anonymity.document_budget: must be at least 4 × anonymity.max_document_bytes")
	}
	for i, t := range o.PassTypes {
		typ, sub, ok := strings.Cut(t, "/")
		if !ok || typ == "" || sub == "" || strings.ContainsAny(t, " ;,\t") || t != strings.ToLower(t) {
			return fmt.Errorf("anonymity.pass_types[%d]: must be a lower-case media type like application/x-foo, got %q", i, t)
		}
	}
	return nil
}
