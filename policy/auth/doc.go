// Package auth authenticates an inbound message before Leak rewrites it:
// SPF (RFC 7208) for the client IP and envelope sender, DKIM (RFC 6376) for
// the signatures in the header, and DMARC (RFC 7489) to tie both to the
// RFC5322.From domain and learn the policy its owner asks receivers to
// apply.
//
// The SMTP session creates a [Checker] once from the configuration
// (policy.inbound_auth: off | record | enforce), calls [Checker.Begin] for
// each transaction, writes the raw DATA through [Message.Write] as it
// streams and calls [Message.Close] at the end of DATA (or [Message.Abort]
// when the transaction is abandoned). The [Result] drives two decisions:
// Reject (a 550 5.7.26, RFC 7372) and Identity, the domain whose
// per-domain rate limit the message counts against.
//
// What it promises:
//
//   - Mode Off does nothing: no DNS query, no goroutine, no copy.
//   - Streaming. Only the header block is kept (at most MaxHeaderBytes);
//     the body flows through the DKIM body hash and is dropped. A 10 MiB
//     message needs the memory of a 2 KiB one.
//   - Bounded work. At most MaxSignatures DKIM signatures are verified
//     (RFC 6376 section 6.1 lets a verifier ignore the rest), every DNS
//     lookup has its own timeout, SPF as a whole has four times that (RFC
//     7208 section 4.6.4 asks for at least 20 seconds), and a body that
//     would make go-msgauth's canonicalisers hold or re-copy a long run of
//     empty lines stops the DKIM verification (see maxBlankRun).
//   - Nothing identifying is logged. The Checker logs, at debug level, the
//     results only ("spf=pass dkim=pass dmarc=pass"): never the client IP,
//     HELO name, envelope sender, From address or any domain. A [Result]
//     logs the same way through slog (it is a [slog.LogValuer]); its
//     FromDomain and Identity stay in memory for the session's decision.
//   - Never reject on doubt. Only Mode Enforce, a DMARC "fail" and a
//     requested policy of "reject" (sampled by pct=, RFC 7489 section
//     6.6.4) set Reject. A DNS failure gives "temperror" and the message is
//     accepted as if unauthenticated. A From field with no address, several
//     addresses, or several From fields gives DMARC "permerror" and is not
//     rejected by this package either: the anonymizer rewrites From, so
//     the caller may refuse such messages for its own reasons.
//   - "quarantine" is recorded, never enforced: a relay that rewrites the
//     message and delivers it to a mailbox it does not run has no spam
//     folder to put it in, and rejecting would be stricter than asked.
//
// DMARC's organizational domain is the registrable domain of the public
// suffix list (golang.org/x/net/publicsuffix, RFC 7489 section 3.2).
package auth
