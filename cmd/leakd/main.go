// Command leakd is Leak's one binary: the relay daemon and its tools.
//
//	leakd serve [--config FILE]           run the relay (embedded defaults without a file)
//	leakd config check --config FILE      validate a config file
//	leakd dkim keygen [--config FILE]     create the DKIM keys that are missing
//	leakd dkim dns [--config FILE]        print the DNS TXT records for the DKIM keys
//	leakd queue list | show ID | retry ID|all | delete ID  [--config FILE]
//	leakd version
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

const usage = `usage:
  leakd serve [--config FILE]
  leakd config check --config FILE
  leakd dkim keygen [--config FILE] [--selector NAME --algorithm rsa|ed25519]
  leakd dkim dns [--config FILE]
  leakd queue list | show ID | retry ID|all | delete ID  [--config FILE]
  leakd version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd := args[0]; {
	case cmd == "serve":
		err = cmdServe(args[1:], stderr)
	case cmd == "config" && len(args) > 1 && args[1] == "check":
		err = cmdConfigCheck(args[2:], stdout, stderr)
	case cmd == "dkim" && len(args) > 1 && args[1] == "keygen":
		err = cmdDKIMKeygen(args[2:], stdout, stderr)
	case cmd == "dkim" && len(args) > 1 && args[1] == "dns":
		err = cmdDKIMDNS(args[2:], stdout, stderr)
	case cmd == "queue":
		err = cmdQueue(args[1:], stdout, stderr)
	case cmd == "version" || cmd == "--version":
		fmt.Fprintln(stdout, "leakd", version())
		return 0
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err != nil {
		if err == errUsage {
			return 2
		}
		fmt.Fprintln(stderr, "leakd:", err)
		return 1
	}
	return 0
}

var errUsage = fmt.Errorf("usage")

// configFlag parses the common --config flag of a subcommand.
func configFlag(name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML config file (default: embedded defaults)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return "", errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, fs.Arg(0))
		return "", errUsage
	}
	return *path, nil
}

func cmdConfigCheck(args []string, stdout, stderr io.Writer) error {
	path, err := configFlag("config check", args, stderr, nil)
	if err != nil {
		return err
	}
	if path == "" {
		fmt.Fprintln(stderr, "config check: --config FILE is required")
		return errUsage
	}
	if _, err := loadConfig(path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return nil
}

// version is the module version stamped by the Go toolchain, or the VCS
// revision for a development build.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
