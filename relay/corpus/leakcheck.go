package corpus

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
)

// Leakcheck cross-checks one copy with the shared corpus's own checker,
// $LEAK_CORPUS/tools/leakcheck.py, run by python (python3 when empty). It
// returns leakcheck.py's hard findings. Without PIL, leakcheck.py cannot
// decode GIF or WebP pictures and reports them lost; its picture findings
// are then moved to notes, and Check's decoders stand alone.
func Leakcheck(python, manifest, file, copyPath, deliverTo string) (hard, notes []string, err error) {
	tool, ok := Tool()
	if !ok {
		return nil, nil, errors.New("corpus: leakcheck.py not found: LEAK_CORPUS is not set to the shared corpus")
	}
	if python == "" || python == "python3" {
		python = pythonWithPIL()
	}
	out, err := exec.Command(python, tool, "check", manifest, file, copyPath, deliverTo).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return nil, nil, fmt.Errorf("corpus: leakcheck.py: %w\n%s", err, out)
	}
	pil := hasPIL(python)
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		f, ok := strings.CutPrefix(sc.Text(), "FAIL ")
		switch {
		case !ok:
		case !pil && strings.HasPrefix(f, "must-keep image lost"):
			notes = append(notes, "leakcheck.py without PIL: "+f)
		default:
			hard = append(hard, f)
		}
	}
	if err != nil && len(hard) == 0 && len(notes) == 0 {
		return nil, nil, fmt.Errorf("corpus: leakcheck.py failed without findings: %w\n%s", err, out)
	}
	return hard, notes, nil
}

// pythonWithPIL prefers Debian's interpreter, where .ci/run installs
// python3-pil, over whatever python3 comes first on PATH (a version
// manager's, without it).
var pythonWithPIL = sync.OnceValue(func() string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if hasPIL(p) {
			return p
		}
	}
	return "python3"
})

var pilCache sync.Map // python path → bool

// hasPIL reports whether python can import PIL (Debian's python3-pil),
// which leakcheck.py needs to decode pictures.
func hasPIL(python string) bool {
	if v, ok := pilCache.Load(python); ok {
		return v.(bool)
	}
	ok := exec.Command(python, "-c", "import PIL.Image").Run() == nil
	pilCache.Store(python, ok)
	return ok
}
