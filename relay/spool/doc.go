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
//     a Message stays readable after Remove and through a compaction.
//     The one exception, if Options.HotMax is set: a small entry's first
//     Open is served from a copy of its bytes kept at Commit (hot.go), so
//     the delivery that follows a commit at once reads no file.
//   - Every byte stored is under a checksum, checked at Open and again as
//     a Message is read: damaged bytes are never delivered. What is
//     damaged is set aside in corrupt/, counted (Dropped, Options.OnDrop)
//     and logged, and costs only the entries it held.
//   - Remove overwrites the entry's recipient, DKIM prefix and message
//     bytes with zeros in the file (an entry file is unlinked instead), at
//     once or when the last Message reading it is closed.
//   - Remove is never lost to a crash of the process. It is made durable
//     within about a second (removeSync): a power loss may bring back the
//     entries removed in that last second, and they would be delivered a
//     second time. Mail allows that: RFC 5321 section 6.1 prefers a
//     duplicate to a loss, and the project accepts a handful delivered
//     twice.
//   - The disk it takes stays in proportion to what it holds (compaction),
//     and Size, Free and CheckSpace tell how much that is and how much
//     room is left.
//
// # Why a log
//
// Creating a file costs about half a millisecond of kernel CPU on the ext4
// of our VMs, so one file per entry (create, rename, unlink) caps a relay at
// about 1.5k messages per second on two cores. Appending to a file that is
// already open costs a few microseconds, and one fdatasync covers every
// record of a batch. So most entries are records in segment files:
//
//	seg/<seq>.seg    a segment: "LEAKSEG2" and a salt, then records (record.go)
//	q/<id>           an entry file: one large entry (meta.go)
//	manifest         the segments that exist, and how long the closed ones are (manifest.go)
//	tmp/             entry files being written; emptied by Open
//	corrupt/         damaged entry files and segments, and copies of damaged spans
//
// # Small entries: records in segments
//
// An entry of at most Options.SmallMax message bytes (256 KiB by default)
// is buffered by its Writer in memory, in a pooled buffer that already has
// room for the record header. Commit adds the meta, the lengths and the
// data checksum (CRC-32C of body and meta) and hands the record to the
// committer goroutine, which numbers each record and seals its header
// with the header checksum, appends every record waiting for it with one
// write, makes them durable with one fdatasync (group commit, commit.go),
// indexes them and only then wakes the writers.
//
// A new segment is created with its header fdatasync'd, its directory
// entry fsync'd and its name added to the manifest, all before the first
// batch in it. The active segment is closed to appends at
// Options.SegmentMax (64 MiB by default), after any write or sync error,
// at Close and at every Open: a record is never appended after a tail a
// crash or an error may have torn, so a segment needs no truncation, and a
// failed batch cannot be revived by a later successful fdatasync of the
// same file. (Its records are also marked removed, in case they reached
// the disk.) The manifest records the length and record count of each
// closed segment.
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
// deleted, in the background: first from the manifest, then from seg/.
//
// Why not a separate log of tombstones: the dead mark is the tombstone, in
// the one place recovery reads anyway, so there is no second file to
// create, sync, compact and delete in the right order. And the wipe is
// needed in any case: the copies already delivered must not stay readable
// beside the ones a segment still holds (see "What is stored, and for how
// long" in relay/DESIGN.md). The price is writing a removed
// record twice; the wipe of a record that a Message still reads waits for
// Message.Close.
//
// # Compaction
//
// A segment lives until its last record goes, so one copy deferred for
// days would pin a whole segment: a soak with 1% deferred grew by 417 MB
// for 1.3 MB queued. When the live records of a segment closed to appends
// take less than Options.CompactBelow of it (a quarter by default) and it
// has at least SegmentMax/16 of removed bytes, a background goroutine
// copies its live records into the active segment, checking each one's
// checksum on the way, with the commits of the next batches, and the
// segment is deleted when its last reader is done. The copy is durable
// before the original is marked removed, so a crash leaves every entry at
// least once; recovery keeps the newer of two copies. compact.go lists the
// steps and what a crash at each leaves. The disk taken is then at most
// about four times the live bytes, plus the active segment and the one
// being compacted.
//
// # Large entries: one file each
//
// A Writer whose message outgrows SmallMax spills to tmp/<id> and keeps the
// file-per-entry path, so a 25 MiB message is never held in memory: the
// Writer fsyncs its file, the committer renames it into q/ and fsyncs q/
// once per batch. For such entries the file costs are small next to the
// bytes. The meta in the file's trailer holds the CRC-32C of the message
// bytes (files written by earlier versions have none, and are read
// unchecked). Remove unlinks the file without an fsync of q/.
//
// # Recovery
//
// Open rebuilds the index (id → segment, offset, lengths) by reading every
// segment and skipping the records marked removed, and checks every entry
// file in q/ whole: a large spool takes as long to open as it takes to read.
//
// A record is believed only if its header checksum (which covers the
// lengths and the record number, and the segment's salt) and its data
// checksum match. Damage is handled so that it costs only what it hit:
//   - A record with a sound header but damaged data is skipped: it is
//     copied to corrupt/<segment>.<offset>, marked removed and wiped.
//   - After a damaged header, reading resumes at the next offset that
//     holds a record magic and a header whose checksum matches with the
//     segment's salt: a sender cannot forge one inside a message body,
//     since the salt never leaves the disk. The record numbers tell how
//     many entries the damaged span held; the span is copied to corrupt/
//     and zeroed.
//   - A segment closed to appends must end where the manifest says, with
//     as many records: what is missing was truncated. A segment that is in
//     the manifest but missing, or shorter than its header, lost all its
//     entries. Bytes after the closing length are a batch whose write
//     failed, and are ignored.
//   - The segment that was active when the process stopped may end in a
//     write cut short (a record running past the end of the file, a
//     partial header or zeros): never acknowledged, so nothing is lost.
//     Other unreadable bytes at its end are damage to at least one entry.
//   - A record of zeros that is still marked live was wiped by a removal
//     whose dead mark a power loss lost: it is marked removed, quietly.
//
// Every entry lost is counted "corrupt" (a checksum or framing failed) or
// "truncated" (a segment ended early or was missing) and logged at WARN
// through Options.Logger, by segment file name and byte offset, and by id
// if a damaged record still names one; nothing else of a damaged record is
// logged, since it may hold addresses. The manifest remembers what was
// counted, so a second Open does not count it again. Entry files whose
// trailer or message bytes fail their checksums are moved to corrupt/,
// counted and logged by id. Damage found later, while a Message is read,
// fails that read at its end with ErrCorrupt and sets the entry aside the
// same way.
//
// Segments from earlier versions ("LEAKSEG1", 16-byte headers with one
// checksum over lengths, body and meta) are still read, without resync
// after a damaged header; compaction moves their records into format 2.
//
// The index holds locations only; the meta, which holds addresses, stays
// on disk and is read back by List and Open.
package spool
