package courier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
)

func TestIsPermanent(t *testing.T) {
	perm := &Error{Permanent: true, Code: 550, Text: "5.1.1 no such user"}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
		{"network", &net.OpError{Op: "dial", Err: errors.New("refused")}, false},
		{"deadline", context.DeadlineExceeded, false},
		{"temporary Error", &Error{Code: 451, Text: "4.3.0 try later"}, false},
		{"permanent Error", perm, true},
		{"wrapped permanent", fmt.Errorf("queue: %w", perm), true},
	}
	for _, tc := range tests {
		if got := IsPermanent(tc.err); got != tc.want {
			t.Errorf("%s: IsPermanent = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Code: 550, Text: "5.1.1 unknown"}, "550 5.1.1 unknown"},
		{&Error{Text: "dir: sync", Err: io.ErrShortWrite}, "dir: sync: short write"},
		{&Error{Err: io.EOF}, "EOF"},
		{&Error{}, "delivery failed"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if e := (&Error{Err: io.EOF}); !errors.Is(e, io.EOF) {
		t.Error("Unwrap does not expose the cause")
	}
}
