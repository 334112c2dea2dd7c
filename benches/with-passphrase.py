#!/usr/bin/env python3
"""Run a command inside a pseudo-terminal, typing $PASSPHRASE at every passphrase prompt.

The reference age CLI reads passphrases only from a terminal; this lets a benchmark run
`age -p` and `age -d` unattended. Usage: PASSPHRASE=... with-passphrase.py COMMAND [ARGS...]
"""
import os
import pty
import sys

passphrase = os.environ["PASSPHRASE"].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
pending = b""
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    pending += data
    if b"passphrase" in pending.lower() and pending.rstrip().endswith(b":"):
        os.write(fd, passphrase)
        pending = b""
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
