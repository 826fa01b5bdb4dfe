package bounce

import (
	"context"
	"errors"
)

// SentLog remembers, for each copy Leak handed to a receiving MTA, the
// keyed hash its bounces are reported against, for as long as a bounce may
// come back. [Sent] keeps it in a file for one instance; [RedisSent] keeps
// it in Redis for instances that receive each other's bounces.
//
// Implementations keep spool ids, hashes and times only: Put refuses
// anything that is not a spool id and a 64-digit hash, so an address can
// never be stored by mistake.
type SentLog interface {
	// Put notes that the copy with spool id qid went to the recipient
	// whose keyed hash is key (64 lower-case hex digits). A later Put of
	// the same id replaces the entry.
	Put(ctx context.Context, qid, key string) error
	// Get returns the key recorded for qid, if the entry is younger than
	// the retention period. ok is false, with a nil error, for an id never
	// recorded, expired, or malformed; err is for a log that cannot be
	// read, when the answer is unknown.
	Get(ctx context.Context, qid string) (key string, ok bool, err error)
	// Close releases what the log holds; Put fails afterwards.
	Close() error
}

// checkEntry checks the arguments of Put.
func checkEntry(qid, key string) error {
	var q [qidBytes]byte
	if !decodeQID(q[:], qid) {
		return errors.New("bounce: sent log: malformed spool id")
	}
	var h [hashBytes]byte
	if !decodeHash(h[:], key) {
		return errors.New("bounce: sent log: malformed recipient hash")
	}
	return nil
}
