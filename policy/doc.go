// Package policy decides whether Leak takes a connection, a transaction or a
// recipient: connection limits, rate limits, recipient opt-out (RFC 8058
// one-click unsubscribe), bounce suppression and domain deny/allow lists.
//
// It knows nothing of SMTP. The SMTP session asks an [Engine] at each step
// (Connect, Mail, Rcpt, and Authenticated at the end of DATA) and turns the
// [Decision] into a reply: Allow goes on, Defer is a 4xx with the decision's
// retry hint, Reject is a 5xx.
//
// What it promises:
//
//   - No raw identity is stored. Every key in every store (rate-limit keys
//     for IPs, networks, senders, domains and recipients; opt-outs;
//     suppressions) is HMAC-SHA256(secret, kind + ":" + normalised value),
//     hex-encoded. Without the secret a store reveals nothing about who
//     wrote to whom; with Redis every instance must share the secret
//     (set policy.secret_file to the same file everywhere). Changing the
//     secret forgets every opt-out and suppression and breaks every
//     unsubscribe link already sent.
//   - Nothing fails open. When the store cannot answer (Redis unreachable,
//     disk error) the decision is a Defer with Policy "redis" (or "local")
//     and the metric result "error": senders retry later, nobody who opted
//     out receives mail because a server was down.
//   - Every decision is counted in leak_policy_decisions_total{policy,result}
//     with policy names fixed by this package, never by address. Opt-outs,
//     opt-ins and suppressions are counted too, and every store call is
//     timed and its failures counted under the store's name (local or
//     redis): see metrics/README.md.
//   - Texts are neutral: a refused sender learns that the recipient does not
//     accept Leak messages, not whether the recipient opted out or bounced.
//
// Addresses are normalised before hashing so that trivial variants share
// one key: the whole address is lower-cased, a "+tag" sub-address is dropped
// and, for gmail.com and googlemail.com, dots in the local part are ignored.
// A harasser cannot get around an opt-out or a per-recipient limit by
// writing to Bob+x@Example.COM instead of bob@example.com.
package policy
