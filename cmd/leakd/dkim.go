package main

import (
	"flag"
	"fmt"
	"io"

	"leak/relay/sign"
)

func cmdDKIMKeygen(args []string, stdout, stderr io.Writer) error {
	var selector, algorithm string
	path, err := configFlag("dkim keygen", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&selector, "selector", "", "make one key with this selector (default: the missing default keys)")
		fs.StringVar(&algorithm, "algorithm", "", "rsa or ed25519, with --selector")
	})
	if err != nil {
		return err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	if selector != "" || algorithm != "" {
		alg := map[string]string{"rsa": "rsa-sha256", "ed25519": "ed25519-sha256"}[algorithm]
		if selector == "" || alg == "" {
			fmt.Fprintln(stderr, "dkim keygen: --selector NAME and --algorithm rsa|ed25519 go together")
			return errUsage
		}
		file, err := sign.Generate(cfg.DKIM.KeyDir, selector, alg)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "created", file)
		return nil
	}
	_, created, err := sign.Ensure(cfg.DKIM.KeyDir, cfg.Domain)
	if err != nil {
		return err
	}
	for _, f := range created {
		fmt.Fprintln(stdout, "created", f)
	}
	if len(created) == 0 {
		fmt.Fprintln(stdout, "all keys present in", cfg.DKIM.KeyDir)
	}
	return nil
}

func cmdDKIMDNS(args []string, stdout, stderr io.Writer) error {
	path, err := configFlag("dkim dns", args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	keys, err := sign.Load(cfg.DKIM.KeyDir, cfg.Domain)
	if err != nil {
		return fmt.Errorf("%w (run `leakd dkim keygen` first)", err)
	}
	for _, r := range keys.DNSRecords() {
		fmt.Fprintln(stdout, r.String())
	}
	return nil
}
