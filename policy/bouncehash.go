package policy

import (
	"context"
	"encoding/hex"
	"errors"
)

// BounceHash records a DSN for a recipient known only by its
// RecipientHash: a bounce that arrives days after delivery is matched
// through the relay's sent log, which keeps hashes, never addresses. A
// permanent one suppresses the recipient at once (a DSN reaches only the
// signed envelope sender of that very copy, which no sender can forge); a
// temporary one counts toward SoftBounceLimit.
func (e *Engine) BounceHash(ctx context.Context, hash string, permanent bool) error {
	if b, err := hex.DecodeString(hash); err != nil || len(b) != 32 {
		return errors.New("policy: not a recipient hash")
	}
	return e.bounceKey(ctx, hash, permanent)
}
