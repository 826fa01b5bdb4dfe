package keep

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// maxCopyLimit bounds Options.MaxCopy: a record's length is a uint32, and
// Put holds a copy in memory.
const maxCopyLimit = 64 << 20

// Options tune a Store. Start from DefaultOptions and set Dir.
type Options struct {
	// Dir is the directory of the hour files, created 0700 if missing:
	// <state>/kept. Required unless Keep is 0.
	Dir string

	// Keep is how long a copy is kept (web.report_keep), for example
	// 72h. 0 keeps nothing. The package comment says exactly when a
	// copy is erased.
	Keep time.Duration

	// MaxBytes is the disk budget of all hour files together, headers
	// included; the oldest hour files are removed first. It must hold at
	// least one copy of MaxCopy bytes.
	MaxBytes int64

	// MaxCopy is the longest copy kept whole, in bytes; a longer one is
	// kept truncated to MaxCopy bytes, and Get says so. At most 64 MiB.
	MaxCopy int64

	// Now tells the time; nil means time.Now. Tests set it.
	Now func() time.Time

	// Logger receives the few events the store logs: damaged or torn
	// records found at Open (by file and offset) and errors of the
	// background sweep. Default: nothing is logged.
	Logger *slog.Logger
}

// DefaultOptions returns the defaults: copies kept 72 hours, 1 GiB of disk,
// copies kept whole up to 1 MiB. Dir is left for the caller.
func DefaultOptions() Options {
	return Options{
		Keep:     72 * time.Hour,
		MaxBytes: 1 << 30,
		MaxCopy:  1 << 20,
	}
}

// Validate reports the first option out of range, by its field name.
// Options with Keep 0 need nothing else.
func (o Options) Validate() error {
	switch {
	case o.Keep < 0:
		return fmt.Errorf("keep: Options.Keep is %v; it must be 0 (keep nothing) or more", o.Keep)
	case o.Keep == 0:
		return nil
	case o.Dir == "":
		return errors.New("keep: Options.Dir is empty; copies need a directory (<state>/kept)")
	case o.MaxCopy < 1 || o.MaxCopy > maxCopyLimit:
		return fmt.Errorf("keep: Options.MaxCopy is %d; it must be between 1 and %d bytes", o.MaxCopy, maxCopyLimit)
	case o.MaxBytes < hdrLen+o.MaxCopy:
		return fmt.Errorf("keep: Options.MaxBytes is %d; it must hold at least one copy of MaxCopy bytes (%d with its header)",
			o.MaxBytes, hdrLen+o.MaxCopy)
	}
	return nil
}
