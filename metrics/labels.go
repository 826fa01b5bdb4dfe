package metrics

// Label values. Every label of every Leak metric takes its value from one of
// the closed sets below (policy names excepted: those are fixed by code, see
// [Metrics.InitPolicy]). A value built from a message, an address, a domain
// or an IP must never become a label value: it would both leak who talks to
// whom and let a peer grow the series count without bound.

// Values of result on leak_smtp_connections_total, leak_smtp_messages_total
// and leak_smtp_recipients_total.
const (
	ResultAccepted = "accepted"
	ResultRejected = "rejected"
	// ResultRefused counts connections turned away before the greeting
	// (connection limit reached, shutting down).
	ResultRefused = "refused"
	// ResultEvicted counts idle connections closed (421 4.4.2) to make
	// room for a newcomer while the connection total was reached.
	ResultEvicted = "evicted"
)

// Values of reason on leak_smtp_messages_total and leak_smtp_recipients_total.
// ReasonOK goes with ResultAccepted only; every other reason goes with
// ResultRejected. The rows of the SMTP reply table in relay/DESIGN.md map onto
// these.
const (
	ReasonOK           = "ok"
	ReasonRelay        = "relay_denied"        // 550 5.7.1: not a Leak domain
	ReasonInvalidRcpt  = "invalid_recipient"   // 550 5.1.1: malformed, unknown prefix, IP literal
	ReasonLoop         = "loop"                // 550 5.1.1 loop to a Leak domain, or 554 5.4.6
	ReasonTooManyRcpts = "too_many_recipients" // 452 4.5.3
	ReasonSize         = "size"                // 552 5.3.4: SIZE= or max_message_bytes
	ReasonLineEnding   = "line_ending"         // 554 5.6.0: bare CR/LF, NUL, line over 998 octets
	ReasonHeader       = "header"              // 552 5.3.4: header block too large or too many fields
	ReasonMIME         = "mime"                // 554 5.6.0: MIME too deep, too many parts, undecodable
	ReasonInternal     = "internal"            // 451 4.3.0: disk, signing
	ReasonPolicy       = "policy"              // a policy (rate limit, opt-out, ...) said no
	ReasonTimeout      = "timeout"             // the peer stopped sending mid-transaction
	ReasonContent      = "content"             // 554 5.6.1 / 5.7.1, 550 5.7.1, 451 4.3.1: content Leak cannot clean
)

// Values of used on leak_smtp_tls_total.
const (
	TLSUsedYes = "yes"
	TLSUsedNo  = "no"
)

// Values of algorithm on the DKIM metrics: the a= tag of the signature
// (RFC 6376 section 3.5, RFC 8463 section 3).
const (
	AlgorithmRSA     = "rsa-sha256"
	AlgorithmEd25519 = "ed25519-sha256"
)

// Values of result on leak_dkim_signatures_total.
const (
	SignOK    = "ok"
	SignError = "error"
)

// Values of op on leak_spool_errors_total.
const (
	OpWrite  = "write"
	OpSync   = "sync"
	OpRename = "rename"
	OpRemove = "remove"
	OpRead   = "read"
)

// Values of result on leak_delivery_attempts_total.
const (
	DeliveryDelivered = "delivered"
	DeliveryDeferred  = "deferred" // temporary failure, will retry
	DeliveryBounced   = "bounced"  // the next hop refused the recipient
	DeliveryFailed    = "failed"   // refused for the message or the next hop, given up
	DeliveryExpired   = "expired"  // temporary failures until the queue gave up
)

// Values of reason on leak_spool_dropped_entries_total: why recovery could
// not keep an entry.
const (
	DropCorrupt   = "corrupt"   // a record or entry file failed its checksum or framing
	DropTruncated = "truncated" // a segment ended early or was missing
)

// Values of tls on leak_delivery_tls_total.
const (
	DeliveryTLSNone     = "none"
	DeliveryTLSStartTLS = "starttls"
	DeliveryTLSImplicit = "implicit"
)

// Values of result on leak_policy_decisions_total.
const (
	DecisionAllow  = "allow"
	DecisionDefer  = "defer"
	DecisionReject = "reject"
	DecisionError  = "error"
)

// Values of action on leak_policy_optouts_total.
const (
	OptOut = "optout" // the recipient asked for no more Leak messages
	OptIn  = "optin"  // the recipient allowed them again
)

// Values of kind on leak_policy_suppressions_total.
const (
	SuppressHard = "hard" // a permanent failure (5xx) suppressed the recipient
	SuppressSoft = "soft" // the soft-bounce limit was reached
)

// Values of store on leak_policy_store_duration_seconds and
// leak_policy_store_errors_total: the policy store in use.
const (
	StoreLocal = "local"
	StoreRedis = "redis"
)

// Values of reason on leak_delivery_failures_total: where a failed
// delivery attempt failed (the same strings as relay/queue's Reasons).
const (
	FailDNS     = "dns"     // resolving the destination
	FailSTS     = "sts"     // the recipient domain's MTA-STS policy allowed no host
	FailConnect = "connect" // reaching a host
	FailTimeout = "timeout" // the host stopped answering
	FailTLS     = "tls"     // the TLS handshake or its verification
	Fail4xx     = "4xx"     // a temporary refusal
	Fail5xx     = "5xx"     // a permanent refusal (or a SIZE/SMTPUTF8 mismatch)
	FailLocal   = "local"   // Leak's own I/O (reading the spooled copy)
)

// Values of action on leak_queue_actions_total: what an operator did with
// leakd queue.
const (
	ActionDelete  = "delete"
	ActionRetry   = "retry"
	ActionHold    = "hold"
	ActionRelease = "release"
)

// Values of state on leak_queue_messages.
const (
	QueueActive   = "active"   // being delivered or due now
	QueueDeferred = "deferred" // waiting for a retry (or for its anonymity delay)
	QueueHeld     = "held"     // held by an operator
)

// Values of result on leak_delivery_mta_sts_total: what the recipient
// domain's MTA-STS policy (RFC 8461) made of a delivery in MX mode.
const (
	STSNone          = "none"           // no policy published
	STSTesting       = "testing"        // mode testing: opportunistic, problems logged
	STSEnforceOK     = "enforce_ok"     // mode enforce, every host tried met it
	STSEnforceFailed = "enforce_failed" // mode enforce kept the copy from every host: deferred
)

// Values of handler on leak_http_requests_total: the page family served.
const (
	HandlerUnsubscribe = "unsubscribe"
	HandlerForm        = "form"   // the web form: /, /send and its static files
	HandlerAPI         = "api"    // /api/v1/
	HandlerReport      = "report" // /r/ abuse reports
	HandlerMetrics     = "metrics"
	HandlerHealth      = "health" // /healthz and /readyz
	HandlerOther       = "other"  // anything else, 404s included
)

// Values of listener on leak_tls_cert_expiry_timestamp_seconds.
const (
	ListenerSMTP = "smtp"
	ListenerHTTP = "http"
)

// CommandOther is the command label of every verb outside the known set.
const CommandOther = "OTHER"

// The closed sets, in the order they are documented. Unexported so that no
// caller can widen them; the tests check every gathered series against them.
var (
	connectionResults = []string{ResultAccepted, ResultRefused, ResultEvicted}
	transactionResult = []string{ResultAccepted, ResultRejected}
	reasons           = []string{
		ReasonOK, ReasonRelay, ReasonInvalidRcpt, ReasonLoop, ReasonTooManyRcpts,
		ReasonSize, ReasonLineEnding, ReasonHeader, ReasonMIME, ReasonInternal,
		ReasonPolicy, ReasonTimeout, ReasonContent,
	}
	commands = []string{
		"HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT",
		"VRFY", "STARTTLS", "AUTH", CommandOther,
	}
	replyClasses     = []string{"2xx", "3xx", "4xx", "5xx"}
	tlsUsed          = []string{TLSUsedYes, TLSUsedNo}
	algorithms       = []string{AlgorithmRSA, AlgorithmEd25519}
	signResults      = []string{SignOK, SignError}
	spoolOps         = []string{OpWrite, OpSync, OpRename, OpRemove, OpRead}
	deliveryResults  = []string{DeliveryDelivered, DeliveryDeferred, DeliveryBounced, DeliveryFailed, DeliveryExpired}
	dropReasons      = []string{DropCorrupt, DropTruncated}
	deliveryTLS      = []string{DeliveryTLSNone, DeliveryTLSStartTLS, DeliveryTLSImplicit}
	policyResults    = []string{DecisionAllow, DecisionDefer, DecisionReject, DecisionError}
	optOutActions    = []string{OptOut, OptIn}
	suppressionKinds = []string{SuppressHard, SuppressSoft}
	policyStores     = []string{StoreLocal, StoreRedis}
	failReasons      = []string{FailDNS, FailSTS, FailConnect, FailTimeout, FailTLS, Fail4xx, Fail5xx, FailLocal}
	queueActions     = []string{ActionDelete, ActionRetry, ActionHold, ActionRelease}
	queueStates      = []string{QueueActive, QueueDeferred, QueueHeld}
	stsResults       = []string{STSNone, STSTesting, STSEnforceOK, STSEnforceFailed}
	httpHandlers     = []string{HandlerUnsubscribe, HandlerForm, HandlerAPI, HandlerReport, HandlerMetrics, HandlerHealth, HandlerOther}
	httpClasses      = []string{"2xx", "3xx", "4xx", "5xx"}
	tlsListeners     = []string{ListenerSMTP, ListenerHTTP}
	scanResults      = []string{ScanAccept, ScanDefer, ScanReject, ScanError}
)

// Values of the result label of leak_scan_results_total: the content
// scanner's verdicts (relay/scan.Action's names) and its failure.
const (
	ScanAccept = "accept"
	ScanDefer  = "defer"
	ScanReject = "reject"
	ScanError  = "error"
)

// CommandLabel maps an SMTP verb as the client sent it to the command label:
// the upper-cased verb if it is one Leak counts, CommandOther otherwise. Verbs
// are case-insensitive in ASCII (RFC 5321 section 2.4), and anything a
// client types must not become a new series. It does not allocate.
func CommandLabel(verb string) string {
	for _, c := range commands[:len(commands)-1] {
		if asciiEqualFold(verb, c) {
			return c
		}
	}
	return CommandOther
}

// asciiEqualFold is strings.EqualFold restricted to ASCII letters, so that
// Unicode folds such as U+017F (long s) to "s" do not make a new verb.
func asciiEqualFold(s, upper string) bool {
	if len(s) != len(upper) {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}

// ReplyClass maps an SMTP reply code to the class label ("2xx" ... "5xx").
// SMTP replies are 2yz to 5yz (RFC 5321 section 4.2.1); any other code means
// something went wrong and is counted as "5xx".
func ReplyClass(code int) string {
	switch code / 100 {
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	default:
		return "5xx"
	}
}

// HTTPClass maps an HTTP status code to the class label ("2xx" ... "5xx");
// anything outside 200–599 counts as "5xx".
func HTTPClass(code int) string {
	if code >= 200 && code < 500 {
		return ReplyClass(code)
	}
	return "5xx"
}
