package relay

import (
	"strconv"
	"strings"
)

// parseCommand reads a command line (without its LF) as go-smtp v0.26's
// parseCmd and handleBdat do, so that the connection and go-smtp agree on
// which verb ran and on whether a BDAT chunk follows. It returns the verb
// ("" for a line go-smtp refuses as malformed) and the size of the chunk
// that follows the line, or -1 when none does. go-smtp reads the chunk
// after any BDAT whose syntax is good, even one it refuses for lack of a
// recipient or for size (RFC 3030 2); after bad syntax it reads none.
func parseCommand(b []byte) (verb string, chunk int64) {
	line := strings.TrimRight(string(b), "\r\n")
	switch {
	case strings.HasPrefix(strings.ToUpper(line), "STARTTLS"):
		return "STARTTLS", -1
	case len(line) < 4, len(line) == 5:
		return "", -1
	case len(line) == 4:
		return strings.ToUpper(line), -1
	case line[4] != ' ':
		return "", -1
	}
	verb = strings.ToUpper(line[0:4])
	if verb != "BDAT" {
		return verb, -1
	}
	args := strings.Fields(strings.TrimSpace(line[5:]))
	if len(args) == 0 || len(args) > 2 || len(args) == 2 && !strings.EqualFold(args[1], "LAST") {
		return verb, -1
	}
	size, err := strconv.ParseUint(args[0], 10, 32)
	if err != nil {
		return verb, -1
	}
	return verb, int64(size)
}
