package policy

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// domainSet is a set of domains read from a list file. An entry matches
// the domain itself and every name under it: "example.com" covers
// "mail.example.com", so a list need not chase subdomains.
type domainSet map[string]struct{}

// match reports whether d (normalised) or one of its parent domains is in
// the set.
func (s domainSet) match(d string) bool {
	if len(s) == 0 || d == "" {
		return false
	}
	for {
		if _, ok := s[d]; ok {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return false
		}
		d = d[i+1:]
	}
}

// domainLists are the four lists, swapped whole on reload.
type domainLists struct {
	rcptDeny, rcptAllow, senderDeny, senderAllow domainSet
}

// loadLists reads the four list files of opts; an empty path is an empty
// list.
func loadLists(opts *Options) (*domainLists, error) {
	var l domainLists
	for _, f := range []struct {
		path string
		set  *domainSet
	}{
		{opts.RecipientDomainDeny, &l.rcptDeny},
		{opts.RecipientDomainAllow, &l.rcptAllow},
		{opts.SenderDomainDeny, &l.senderDeny},
		{opts.SenderDomainAllow, &l.senderAllow},
	} {
		if f.path == "" {
			continue
		}
		s, err := readListFile(f.path)
		if err != nil {
			return nil, err
		}
		*f.set = s
	}
	return &l, nil
}

func readListFile(path string) (domainSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: domain list: %w", err)
	}
	defer f.Close()
	s, err := parseList(f)
	if err != nil {
		return nil, fmt.Errorf("policy: domain list %s: %w", path, err)
	}
	return s, nil
}

// parseList reads one domain per line. A '#' starts a comment, to the end
// of the line; blank lines are skipped; a leading "*." or "." is accepted
// and ignored, since every entry already covers its subdomains. An entry
// with a space, '@' or '/' in it is an error naming the line: a list that
// silently ignored a typo would let mail through the operator meant to
// stop.
func parseList(r io.Reader) (domainSet, error) {
	s := domainSet{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		d := normDomain(strings.TrimPrefix(strings.TrimPrefix(line, "*"), "."))
		if d == "" || strings.ContainsAny(d, " \t@/\\") {
			return nil, fmt.Errorf("line %d: not a domain", n)
		}
		s[d] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return s, nil
}
