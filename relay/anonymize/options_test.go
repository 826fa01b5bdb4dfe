package anonymize

import (
	"strings"
	"testing"
	"time"
)

// The defaults pass, and each field out of range is refused naming its
// configuration key.
func TestOptionsValidate(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		key  string
		edit func(*Options)
	}{
		{"smtp.max_header_bytes", func(o *Options) { o.MaxHeaderBytes = 100 }},
		{"smtp.max_header_fields", func(o *Options) { o.MaxHeaderFields = 0 }},
		{"smtp.max_mime_depth", func(o *Options) { o.MaxDepth = 0 }},
		{"smtp.max_mime_parts", func(o *Options) { o.MaxParts = -1 }},
		{"smtp.max_received", func(o *Options) { o.MaxReceived = 0 }},
		{"anonymity.date_precision", func(o *Options) { o.DatePrecision = 2 * time.Hour }},
		{"anonymity.max_document_bytes", func(o *Options) { o.MaxDocumentBytes = 1000 }},
		{"anonymity.document_budget", func(o *Options) { o.DocumentBudget = o.MaxDocumentBytes }},
		{"anonymity.pass_types[1]", func(o *Options) { o.PassTypes = []string{"application/x-ok", "Application/PDF"} }},
	} {
		o := DefaultOptions()
		c.edit(&o)
		if err := o.Validate(); err == nil || !strings.HasPrefix(err.Error(), c.key+":") {
			t.Errorf("%s: %v", c.key, err)
		}
	}
}

// New gives zero fields the defaults of DefaultOptions.
func TestNewTakesDefaults(t *testing.T) {
	a := New(Options{Domain: "leak.example"})
	d := DefaultOptions()
	if a.opts.MaxHeaderBytes != d.MaxHeaderBytes || a.opts.MaxParts != d.MaxParts || a.opts.DocumentWait != d.DocumentWait ||
		a.opts.FromLocal != d.FromLocal || a.opts.MaxDocumentBytes != d.MaxDocumentBytes {
		t.Errorf("New's defaults %+v differ from DefaultOptions %+v", a.opts, d)
	}
}
