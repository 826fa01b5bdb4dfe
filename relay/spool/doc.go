// Package spool stores the clean, signed copies of accepted messages until
// they are delivered.
//
// What it promises:
//   - Writer.Commit returns nil only once the entry is durable: its bytes
//     are fdatasync'd, and so is the directory entry of any file it
//     created, so a 250 reply sent after Commit survives a power loss.
//   - A crash at any point leaves either nothing or complete entries:
//     nothing half-written is ever listed or delivered.
//   - Entries are read back without loading the message into memory, and
//     a Message stays readable after Remove.
//   - Remove overwrites the entry's recipient, DKIM prefix and message
//     bytes with zeros in the file (an entry file is unlinked instead), at
//     once or when the last Message reading it is closed.
//   - Remove is never lost to a crash of the process. It is made durable
//     within about a second (removeSync): a power loss may bring back the
//     entries removed in that last second, and they would be delivered a
//     second time. Mail allows that: RFC 5321 section 6.1 prefers a
//     duplicate to a loss, and the project accepts a handful delivered
//     twice.
//
// # Why a log
//
// Creating a file costs about half a millisecond of kernel CPU on the ext4
// of our VMs, so one file per entry (create, rename, unlink) caps a relay at
// about 1.5k messages per second on two cores. Appending to a file that is
// already open costs a few microseconds, and one fdatasync covers every
// record of a batch. So most entries are records in segment files:
//
//	seg/<seq>.seg    a segment: "LEAKSEG1", then records (record.go)
//	q/<id>           an entry file: one large entry (docs/design.md)
//	tmp/             entry files being written; emptied by Open
//	corrupt/         entry files and segments that could not be read
//
// # Small entries: records in segments
//
// An entry of at most Options.SmallMax message bytes (256 KiB by default)
// is buffered by its Writer in memory, in a pooled buffer that already has
// room for the record header. Commit adds the meta and the CRC-32C and
// hands the record to the committer goroutine, which appends every record
// waiting for it with one write, makes them durable with one fdatasync
// (group commit, commit.go), indexes them and only then wakes the writers.
// A new segment's directory entry is fsync'd once, before the first batch
// in it.
//
// The active segment is closed to appends at Options.SegmentMax (64 MiB by
// default), after any write or sync error, and at every Open: a record is
// never appended after a tail a crash or an error may have torn, so a
// segment needs no truncation, and a failed batch cannot be revived by a
// later successful fdatasync of the same file. (Its records are also
// marked removed, in case they reached the disk.)
//
// # Removal in place
//
// Remove drops the entry from the in-memory index and edits its record
// where it lies (scrub.go): one byte of the record magic turns "LREC" into
// "LRED", which a crash cannot tear, so the record is either live or
// removed and the framing of the segment is never at risk; then the body
// and meta are overwritten with zeros. The writes reach the page cache at
// once, so a killed process forgets nothing, and the segments written to
// are fdatasync'd every removeSync. Once every record of a segment that is
// no longer active has been removed, and nothing reads it, the segment is
// deleted.
//
// Why not a separate log of tombstones: the dead mark is the tombstone, in
// the one place recovery reads anyway, so there is no second file to
// create, sync, compact and delete in the right order. And the wipe is
// needed in any case: a segment lives until its last entry is
// gone, which may be days for an entry its recipient's server defers, and
// the copies already delivered must not stay readable beside it (see
// "What is stored, and for how long" in docs/design.md). The price is
// writing a removed record twice; the wipe of a record that a Message
// still reads waits for Message.Close.
//
// # Large entries: one file each
//
// A Writer whose message outgrows SmallMax spills to tmp/<id> and keeps the
// file-per-entry path, so a 25 MiB message is never held in memory: the
// Writer fsyncs its file, the committer renames it into q/ and fsyncs q/
// once per batch. For such entries the file costs are small next to the
// bytes. Remove unlinks the file without an fsync of q/.
//
// # Recovery
//
// Open rebuilds the index (id → segment, offset, lengths) by reading every
// segment and skipping the records marked removed. A record is believed only
// if its CRC-32C, which covers its lengths, body and meta, matches. Reading
// a segment stops at a record cut short by the end of the file (the write a
// crash interrupted) or at bytes that are not a record header. A record
// whose checksum or meta is bad but that is followed by a record header or
// the end of the file is skipped, counted and logged by id only (the id is
// random; nothing else of an untrusted record is logged), and the rest of
// the segment is kept. Segments without live entries are deleted. Entry
// files in q/ are read by List as before: one that cannot be read is moved
// to corrupt/.
//
// The index holds locations only; the meta, which holds addresses, stays
// on disk and is read back by List and Open.
//
// Segments are not compacted: a segment lives until its last entry is
// delivered or expires (the queue's Lifetime, five days by default), and
// holds about SegmentMax of disk, mostly zeros, and a file descriptor until
// then.
package spool
