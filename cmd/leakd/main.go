// Command leakd is Leak's one binary: the relay daemon and its tools.
//
//	leakd serve [--config FILE]           run the relay (embedded defaults without a file)
//	leakd config check --config FILE      validate a config file
//	leakd dkim keygen [--config FILE]     create the DKIM keys that are missing
//	leakd dkim dns [--config FILE]        print the DNS TXT records for the DKIM keys
//	leakd dns records | check [--config FILE]
//	leakd init --domain D --hostname H --operator ADDRESS [--dir DIR]
//	leakd health [--config FILE]
//	leakd queue list | show ID | retry ID|all | delete ID  [--config FILE]
//	leakd queue hold ID | release ID | retry --domain D  [--config FILE]
//	leakd version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"leak/relay/sign"
)

const usage = `usage:
  leakd serve [--config FILE]              run the relay (embedded defaults without a file)
  leakd config check --config FILE         validate a config file as serve would
  leakd config print [--config FILE]       print the effective config, defaults included
  leakd dkim keygen [--config FILE] [--selector NAME --algorithm rsa|ed25519]
                                           create the DKIM keys that are missing
  leakd dkim dns [--config FILE]           print the DNS TXT records of the DKIM keys
  leakd dns records [--config FILE] [--format zone|value]
                                           print every DNS record the domain needs
  leakd dns check [--config FILE] [--resolver IP:PORT]
                                           look the records up and say what is missing or wrong
  leakd init --domain D --hostname H --operator ADDRESS [--dir DIR] [--data-dir DIR]
                                           write a production config, make the keys, print the records
  leakd health [--config FILE]             exit 0 if the running relay is ready, 1 if not
  leakd queue list | show ID | retry ID|all | delete ID  [--config FILE]
                                           list and act on queued copies
  leakd queue list [--domain D] [--state active|deferred|held] [--older-than 1h] [--json]
  leakd queue hold ID | release ID | retry --domain D
                                           filter the list; hold a copy back, release it; retry a domain
  leakd version                            print the version
  leakd help                               this text; "leakd COMMAND --help" for one command
`

// describe is the one-line description of each subcommand, for its --help.
var describe = map[string]string{
	"serve":        "run the relay: SMTP, delivery and the HTTP side, on the config's settings (embedded defaults without --config)",
	"config check": "validate a config file exactly as serve would, files and listeners included, and say ok or name the bad key",
	"config print": "print the effective config as YAML: the file's settings over the embedded defaults",
	"dkim keygen":  "create the DKIM keys that are missing (RSA-2048 and Ed25519, or one --selector)",
	"dkim dns":     "print the DNS TXT records to publish for the DKIM keys",
	"dns records":  "print every DNS record the Leak domain needs (MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT), in zone-file syntax or one name, type and value a line",
	"dns check":    "look up the records dns records prints, and the relay's A/AAAA and PTR, and say what is missing or wrong (exit 1 if anything is)",
	"init":         "write a production config for a real domain, make its DKIM keys and print its DNS records; never overwrites",
	"health":       "ask the running relay's /readyz on http.listen: exit 0 when ready, 1 when not (for a container HEALTHCHECK)",
	"queue list":   "list queued copies: id, age, size, attempts, state (active, deferred, held), recipient, last error",
	"queue show":   "show one queued copy and its clean header",
	"queue retry":  "make a deferred copy, all of them, or those of one recipient domain (--domain) due now",
	"queue delete": "delete a queued copy",

	"queue hold":    "hold a queued copy back: it is not attempted until released, across restarts",
	"queue release": "release a held copy: it is attempted when due, or at once",
}

// groupCommands are the commands that take a subcommand.
var groupCommands = map[string]bool{"config": true, "dkim": true, "dns": true, "queue": true}

// groupHelp answers a group command given no subcommand, or --help, with
// its subcommands and their descriptions: exit 0 for --help, 2 (on
// stderr) when the subcommand is missing. done is false when a subcommand
// follows.
func groupHelp(args []string, stdout, stderr io.Writer) (code int, done bool) {
	group := args[0]
	help := len(args) > 1 && isHelp(args[1])
	if len(args) > 1 && !help {
		return 0, false
	}
	w, code := stdout, 0
	if !help {
		w, code = stderr, 2
		fmt.Fprintf(w, "leakd %s: which one? Give a command:\n", group)
	}
	fmt.Fprintf(w, "usage: leakd %s COMMAND [flags]\n\n", group)
	var names []string
	for name := range describe {
		if sub, ok := strings.CutPrefix(name, group+" "); ok {
			names = append(names, sub)
		}
	}
	slices.Sort(names)
	for _, sub := range names {
		fmt.Fprintf(w, "  %-8s %s\n", sub, describe[group+" "+sub])
	}
	fmt.Fprintf(w, "\n\"leakd %s COMMAND --help\" for one command's flags.\n", group)
	return code, true
}

// isHelp reports whether a is a request for help.
func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "help" }

// errHelp ends a subcommand that printed its help: exit status 0.
var errHelp = errors.New("help")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	if groupCommands[args[0]] {
		if code, done := groupHelp(args, stdout, stderr); done {
			return code
		}
	}
	var err error
	switch cmd := args[0]; {
	case cmd == "serve":
		err = cmdServe(args[1:], stdout, stderr)
	case cmd == "config" && len(args) > 1 && args[1] == "check":
		err = cmdConfigCheck(args[2:], stdout, stderr)
	case cmd == "config" && len(args) > 1 && args[1] == "print":
		err = cmdConfigPrint(args[2:], stdout, stderr)
	case cmd == "dkim" && len(args) > 1 && args[1] == "keygen":
		err = cmdDKIMKeygen(args[2:], stdout, stderr)
	case cmd == "dkim" && len(args) > 1 && args[1] == "dns":
		err = cmdDKIMDNS(args[2:], stdout, stderr)
	case cmd == "dns" && len(args) > 1 && args[1] == "records":
		err = cmdDNSRecords(args[2:], stdout, stderr)
	case cmd == "dns" && len(args) > 1 && args[1] == "check":
		err = cmdDNSCheck(args[2:], stdout, stderr)
	case cmd == "init":
		err = cmdInit(args[1:], stdout, stderr)
	case cmd == "health":
		err = cmdHealth(args[1:], stdout, stderr)
	case cmd == "queue":
		err = cmdQueue(args[1:], stdout, stderr)
	case (cmd == "version" || cmd == "--version") && len(args) > 1 && isHelp(args[1]):
		fmt.Fprintln(stdout, "usage: leakd version\n  print the version, commit, Go version and RSA signer of this build")
		return 0
	case cmd == "version" || cmd == "--version":
		rsa, detail := sign.Backend()
		fmt.Fprintf(stdout, "leakd %s (commit %s, %s, rsa %s: %s)\n", version(), commit(), runtime.Version(), rsa, detail)
		return 0
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "leakd: unknown command %q\n\n%s", strings.Join(args, " "), usage)
		return 2
	}
	if err != nil {
		if err == errHelp {
			return 0
		}
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
// A --help anywhere prints the subcommand's description and flags to
// stdout and ends it with errHelp.
func configFlag(name string, args []string, stdout, stderr io.Writer, extra func(*flag.FlagSet)) (string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML config file (default: embedded defaults)")
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: leakd %s [flags]\n  %s\n\nflags:\n", name, describe[name])
		fs.PrintDefaults()
	}
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return "", errHelp
		}
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
	path, err := configFlag("config check", args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	if path == "" {
		fmt.Fprintln(stderr, "config check: --config FILE is required")
		return errUsage
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	for _, w := range cfg.warnings() {
		fmt.Fprintf(stderr, "%s: warning: %s\n", path, w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return nil
}

// cmdConfigPrint prints the config serve would run with, after the same
// validation, so an operator sees every default they did not write.
func cmdConfigPrint(args []string, stdout, stderr io.Writer) error {
	path, err := configFlag("config print", args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("config print: %w", err)
	}
	_, err = stdout.Write(out)
	return err
}

// Stamped by a release build:
//
//	go build -ldflags "-X main.buildVersion=v1.2.0 -X main.buildCommit=$(git rev-parse HEAD)"
//
// Left empty, they are read from what the Go toolchain records.
var buildVersion, buildCommit string

// commit is the VCS revision the binary was built from, "unknown" when the
// build recorded none.
func commit() string {
	if buildCommit != "" {
		return buildCommit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// version is the stamped release version, the module version stamped by
// the Go toolchain, or the VCS revision for a development build.
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
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
