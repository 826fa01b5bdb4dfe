#!/usr/bin/env python3
"""Verify every DKIM-Signature of a message with dkimpy (an independent
implementation), serving key records from a JSON file instead of DNS.

usage: verify.py MESSAGE RECORDS_JSON
  RECORDS_JSON: {"leak-rsa._domainkey.leak.example": "v=DKIM1; k=rsa; p=..."}

Prints one line per signature, "<index> <a= tag> pass|fail", and exits 0 only
if there is at least one signature and all of them pass.
"""
import json
import sys

import dkim


def main():
    with open(sys.argv[1], "rb") as f:
        message = f.read()
    with open(sys.argv[2]) as f:
        records = {k.lower().rstrip("."): v for k, v in json.load(f).items()}

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        value = records.get(name.lower().rstrip("."))
        return value.encode("ascii") if value is not None else None

    d = dkim.DKIM(message)
    sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    if not sigs:
        print("no DKIM-Signature")
        return 1
    ok = True
    for i, sig in enumerate(sigs):
        tags = dkim.util.parse_tag_value(sig)
        try:
            good = dkim.DKIM(message).verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            print(f"{i} error: {e}", file=sys.stderr)
            good = False
        print(f"{i} {tags[b'a'].decode()} {'pass' if good else 'fail'}")
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
