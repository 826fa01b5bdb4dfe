package relay

import (
	"strings"
	"testing"
	"time"
)

// The default limits pass Validate, and each limit out of range is refused
// naming its configuration key.
func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	def := Options{
		MaxMessageBytes: DefaultMaxMessageBytes, MaxRecipients: DefaultMaxRecipients,
		IdleTimeout: DefaultIdleTimeout, CommandTimeout: DefaultCommandTimeout,
		FirstCommandTimeout: DefaultFirstCommandTimeout, StressTimeout: DefaultStressTimeout,
		MinDataRate: DefaultMinDataRate,
	}
	if err := def.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		key  string
		edit func(*Options)
	}{
		{"smtp.max_message_bytes", func(o *Options) { o.MaxMessageBytes = 0 }},
		{"smtp.max_recipients", func(o *Options) { o.MaxRecipients = -1 }},
		{"smtp.idle_timeout", func(o *Options) { o.IdleTimeout = time.Millisecond }},
		{"smtp.command_timeout", func(o *Options) { o.CommandTimeout = 0 }},
		{"smtp.first_command_timeout", func(o *Options) { o.FirstCommandTimeout = 999 * time.Millisecond }},
		{"smtp.stress_timeout", func(o *Options) { o.StressTimeout = 0 }},
		{"smtp.min_data_rate", func(o *Options) { o.MinDataRate = 0 }},
	} {
		o := def
		c.edit(&o)
		if err := o.Validate(); err == nil || !strings.HasPrefix(err.Error(), c.key+":") {
			t.Errorf("%s: %v", c.key, err)
		}
	}
}
