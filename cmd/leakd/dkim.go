package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"

	"leak/relay/sign"
)

// DKIM keys live in dkim.key_dir, one <selector>.key each. dkim.sign picks
// the ones that sign; every key in the directory is published, so that a
// rotation can publish a new key before it signs and keep an old one after
// it stopped (README.md "Rotating the DKIM keys" in deploy/).

// checkKeys checks what serve's sign.Ensure would refuse about dkim.sign,
// without generating anything: config check and serve refuse the same.
func (c *Config) checkKeys() error {
	if err := sign.Check(c.DKIM.KeyDir, c.Domain, c.DKIM.Sign...); err != nil {
		return dkimSignError(err)
	}
	return nil
}

// dkimSignError names the key and, for a missing key, says how to make one.
func dkimSignError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("dkim.sign: %w; make it with `leakd dkim keygen --selector NAME --algorithm rsa|ed25519` and publish its record before it signs", err)
	}
	return fmt.Errorf("dkim.sign: %w", err)
}

// validateDKIM checks dkim.sign before any file is read.
func (c *Config) validateDKIM() error {
	if len(c.DKIM.Sign) == 0 {
		return fmt.Errorf("dkim.sign: must list at least the RSA key's selector (default [%s, %s])", sign.SelectorRSA, sign.SelectorEd25519)
	}
	return nil
}

func cmdDKIMKeygen(args []string, stdout, stderr io.Writer) error {
	var selector, algorithm string
	path, err := configFlag("dkim keygen", args, stdout, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&selector, "selector", "", "make one key with this selector (default: the missing keys of dkim.sign)")
		fs.StringVar(&algorithm, "algorithm", "", "rsa or ed25519, with --selector")
	})
	if err != nil {
		return err
	}
	// The signing keys may be what is missing: that is what keygen is for.
	cfg, err := readConfig(path, false)
	if err != nil {
		return err
	}
	if selector != "" || algorithm != "" {
		alg := map[string]string{"rsa": sign.RSASHA256, "ed25519": sign.Ed25519SHA256}[algorithm]
		if selector == "" || alg == "" {
			fmt.Fprintln(stderr, "dkim keygen: --selector NAME and --algorithm rsa|ed25519 go together")
			return errUsage
		}
		file, err := sign.Generate(cfg.DKIM.KeyDir, selector, alg)
		if err != nil {
			return err
		}
		keys, err := sign.Load(cfg.DKIM.KeyDir, cfg.Domain, selector)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "created", file)
		fmt.Fprintln(stdout, "publish this record, and once it resolves add", selector, "to dkim.sign and restart:")
		for _, r := range keys.DNSRecords() {
			fmt.Fprintln(stdout, r.String())
		}
		return nil
	}
	_, created, err := sign.Ensure(cfg.DKIM.KeyDir, cfg.Domain, cfg.DKIM.Sign...)
	for _, f := range created {
		fmt.Fprintln(stdout, "created", f)
	}
	if err != nil {
		return dkimSignError(err)
	}
	if len(created) == 0 {
		fmt.Fprintln(stdout, "all keys present in", cfg.DKIM.KeyDir)
	}
	return nil
}

// cmdDKIMDNS prints the DKIM records of every key in dkim.key_dir, the
// DKIM part of `leakd dns records`.
func cmdDKIMDNS(args []string, stdout, stderr io.Writer) error {
	path, err := configFlag("dkim dns", args, stdout, stderr, nil)
	if err != nil {
		return err
	}
	cfg, err := readConfig(path, false)
	if err != nil {
		return err
	}
	keys, err := sign.LoadDir(cfg.DKIM.KeyDir, cfg.Domain)
	if err != nil {
		return fmt.Errorf("%w (run `leakd dkim keygen` first)", err)
	}
	for _, r := range keys.DNSRecords() {
		fmt.Fprintln(stdout, r.String())
	}
	return nil
}
