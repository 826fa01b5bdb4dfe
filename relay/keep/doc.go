// Package keep holds the clean copies of delivered messages for a while, so
// that a recipient's abuse report can show the operator what was sent.
//
// A clean copy is the anonymised, DKIM-signed message Leak delivered: it
// holds nothing about the sender. The spool deletes it after delivery; this
// package keeps it, under the copy's spool id (32 lowercase hex digits), for
// Options.Keep and within a disk budget (Options.MaxBytes).
//
// # Where the copies live, and when they are erased
//
// Clean copies kept for reports live in Options.Dir (<state>/kept), one file
// per hour, erased when the hour is older than Options.Keep
// (web.report_keep). Precisely:
//
//   - A copy put during the UTC hour H is appended to Dir/YYYYMMDDHH.kept
//     (for example 2026120513.kept for 13:00-13:59 UTC on 5 December 2026).
//     The directory is made 0700 and each file 0600.
//   - At H + 1h + Keep, the newest copy in that file is Keep old: from then
//     on Get reports every copy in it as ErrNotKept, and the next sweep
//     removes the file. Sweeps run at Open, when Put starts a new hour's
//     file, every minute while the Store is open (sweepEvery), and whenever
//     the owner calls Sweep. So a copy is kept at least Keep and leaves the
//     disk at most Keep + 1h + 1 minute after it was put while leakd runs;
//     one whose time passed while leakd was stopped is removed by the next
//     Open.
//   - Erasure is by whole files (unlink). The bytes are not overwritten
//     first, and the directory is not fsync'd after the unlink: a power
//     loss may bring a removed file back, and the next sweep removes it
//     again.
//   - Over the budget, the oldest hour files go first (Sweep, Put). When the
//     current hour alone fills it, Put keeps no more copies until the next
//     hour and says so (ErrFull).
//   - Keep = 0 keeps nothing: Put stores nothing, Get finds nothing, and
//     Open removes the hour files an earlier configuration left in Dir.
//
// # What it promises, and what it does not
//
// Copies are appended without fsync: Put returns before the bytes are on
// disk. A copy lost in a crash only means that a report about it reaches the
// operator without the copy; the message itself was delivered and the spool
// answered for it. Every record is under CRC-32C checksums, of its header and
// of its body, so Get returns the bytes that were put or an error
// (ErrDamaged), never other bytes. Open rebuilds the index by reading the
// record headers of every file; a torn or damaged record ends its file's
// index, and the file is truncated there so later appends stay framed.
//
// A copy longer than Options.MaxCopy is kept truncated to MaxCopy bytes,
// and Get says so. Put holds the copy in memory (at most MaxCopy bytes) so
// that it appends it with one write under the store's lock, never holding
// the lock while it reads from the caller.
package keep
