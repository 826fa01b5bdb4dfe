package corpus

import (
	"fmt"
	"regexp"
	"strings"
)

// Manifests write regular expressions for Python's re module. RE2 has no
// lookaround, which the hostile corpus uses for bare line ends
// ("(?<!\r)\n", "\r(?!\n)"), so one leading lookbehind or trailing
// lookahead is applied by hand around the rest of the pattern.
var (
	lookbehind = regexp.MustCompile(`^((?:\(\?[a-zA-Z]+\))?)\(\?<([!=])(.+?)\)(.+)$`)
	lookahead  = regexp.MustCompile(`^(.+?)\(\?([!=])([^()]+)\)$`)
)

// matchPython reports whether the Python pattern rx matches text; flags
// are Python flags given as inline letters ("mi").
func matchPython(rx, text, flags string) (bool, error) {
	rx = strings.ReplaceAll(rx, `\Z`, `\z`)
	prefix := ""
	if flags != "" {
		prefix = "(?" + flags + ")"
	}
	if re, err := regexp.Compile(prefix + rx); err == nil {
		return re.MatchString(text), nil
	}
	if m := lookbehind.FindStringSubmatch(rx); m != nil {
		main, err := regexp.Compile(prefix + m[1] + m[4])
		if err != nil {
			return false, fmt.Errorf("corpus: pattern %q: %w", rx, err)
		}
		ctx, err := regexp.Compile(prefix + m[1] + "(?:" + m[3] + `)\z`)
		if err != nil {
			return false, fmt.Errorf("corpus: pattern %q: %w", rx, err)
		}
		for _, loc := range main.FindAllStringIndex(text, -1) {
			if ctx.MatchString(text[:loc[0]]) == (m[2] == "=") {
				return true, nil
			}
		}
		return false, nil
	}
	if m := lookahead.FindStringSubmatch(rx); m != nil {
		main, err := regexp.Compile(prefix + m[1])
		if err != nil {
			return false, fmt.Errorf("corpus: pattern %q: %w", rx, err)
		}
		ctx, err := regexp.Compile(prefix + `\A(?:` + m[3] + ")")
		if err != nil {
			return false, fmt.Errorf("corpus: pattern %q: %w", rx, err)
		}
		for _, loc := range main.FindAllStringIndex(text, -1) {
			if ctx.MatchString(text[loc[1]:]) == (m[2] == "=") {
				return true, nil
			}
		}
		return false, nil
	}
	_, err := regexp.Compile(prefix + rx)
	return false, fmt.Errorf("corpus: pattern %q: %w", rx, err)
}
