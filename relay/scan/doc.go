// Package scan asks Rspamd whether a message Leak is about to sign and
// send looks like spam, so that an anonymizer does not lend its domain's
// reputation to abuse (issue 11, "Content scanning").
//
// A Scanner posts one message to Rspamd's HTTP /checkv2 endpoint (the
// "normal" worker, port 11333 by default) and turns the answer into a
// Verdict: Accept, Defer or Reject, decided by Leak's own score thresholds
// (Options.RejectScore, Options.DeferScore), not by Rspamd's action names.
//
// # What Rspamd sees
//
// The message handed to Check is the clean copy: the anonymized message
// Leak signs with its own domain, which is exactly what recipients and
// their filters will judge that domain by. The raw message as the sender
// wrote it is never scanned: Rspamd keeps a history of scans, logs them,
// and may feed fuzzy hashes or Bayes; none of that may learn who sent a
// leak. For the same reason Check sends no SMTP envelope or connection
// data: no IP, Hostname, Helo, From or User header, only the message, its
// length, and the recipient (Rcpt) the copy is addressed to.
//
// Rspamd's rules that judge the connecting client therefore find nothing
// to judge; one of them, HFILTER_HOSTNAME_UNKNOWN, adds 2.5 to every scan
// with Debian's default rules (a plain clean copy scores about 2.4).
// Choose thresholds with that in mind, or disable the symbol in Rspamd.
//
// # Failures
//
// When Rspamd cannot be reached, answers with an error status, takes
// longer than Options.Timeout, or answers something that is not a
// /checkv2 result, Check returns Options.OnError as the verdict (Defer by
// default: the sender retries later, nothing is lost) together with an
// error saying what went wrong. The error names Rspamd's address and the
// cause, never any part of the message.
package scan
