// Package bounce lets Leak take back the bounces of the copies it sends,
// without ever sending one on to the anonymous sender (Leak does not keep
// that address).
//
// Every outgoing copy carries the envelope sender bounce+TOKEN@<leak
// domain> (VERP). The token names the copy's spool id and is authenticated
// with a key only Leak holds ([Tokens]), so the SMTP server can accept RCPT
// for real bounce addresses and refuse everything else, and nobody can
// steer a suppression by mailing a forged bounce.
//
// A bounce may come days after the copy left the spool, so the sent log
// ([SentLog]) keeps, per spool id, the keyed hash of the copy's recipient
// (policy's BounceKey): enough to suppress that recipient, never the
// address. [Sent] keeps it in a file for one instance; [RedisSent] in the
// Redis database that several instances share, so that any of them takes
// a bounce for a copy another one sent. [ParseDSN] reads the delivery
// status notification (RFC 3464) in bounded memory and says whether the
// failure is permanent.
//
// [Desk] puts these together, and is all the SMTP server and the daemon
// need: the envelope sender of each copy, the sent log entry, RCPT for a
// bounce address, the DSN that comes back, and the queue's own failures,
// passed on to policy.
//
// What it promises:
//   - A token is 16 bytes of spool id and 10 bytes of HMAC-SHA256, base32:
//     altering any character, or presenting a token for another id, makes
//     [Tokens.Parse] fail, and the MAC is compared in constant time.
//   - The sent log holds spool ids, recipient hashes and times only, and
//     forgets them after the retention period. Its errors never hold an
//     address, nor do the Desk's.
//   - ParseDSN keeps neither the returned original message nor the
//     Final-Recipient and Original-Recipient fields, and nothing in this
//     package logs them.
package bounce
