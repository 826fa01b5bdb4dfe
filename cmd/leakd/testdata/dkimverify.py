#!/usr/bin/env python3
"""Verify every DKIM-Signature of a message with dkimpy (Debian python3-dkim),
taking public keys from the zone-file lines `leakd dkim dns` prints.

usage: dkimverify.py RECORDS_FILE MESSAGE...
Prints one line per signature; exits 0 only if every message has at least
one signature per algorithm in ALGS (rsa-sha256, ed25519-sha256) and all verify.
"""
import re
import sys

import dkim
import nacl  # noqa: F401  (dkimpy needs it for ed25519-sha256)

ALGS = {b"rsa-sha256", b"ed25519-sha256"}


def load_records(path):
    records = {}
    for line in open(path, encoding="ascii"):
        line = line.strip()
        if not line:
            continue
        name = line.split()[0].rstrip(".").lower()
        value = "".join(re.findall(r'"([^"]*)"', line))
        records[name] = value.encode("ascii")
    return records


def main(argv):
    records = load_records(argv[1])

    def dnsfunc(name, timeout=5):
        return records.get(name.decode("ascii").rstrip(".").lower())

    failed = False
    for path in argv[2:]:
        msg = open(path, "rb").read()
        head = msg.split(b"\r\n\r\n", 1)[0]
        count = len(re.findall(rb"(?mi)^DKIM-Signature:", head))
        seen = set()
        for idx in range(count):
            d = dkim.DKIM(msg)
            ok = d.verify(idx=idx, dnsfunc=dnsfunc)
            alg = d.signature_fields.get(b"a", b"?")
            seen.add(alg)
            print(f"{path}: signature {idx} {alg.decode()}: {'pass' if ok else 'FAIL'}")
            failed |= not ok
        if not ALGS <= seen:
            print(f"{path}: missing algorithms {sorted(a.decode() for a in ALGS - seen)}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
