#!/usr/bin/env python3
"""Keystroke → echo and a 20 MB `cat` through a command on a pseudo-terminal (the peer's figures
beside Skiff's window: `docker exec -it` here).

    pty_echo.py KEYS -- COMMAND...

Waits for the shell's prompt, types KEYS keys one at a time (a fresh line every 50), timing each
from the write to the pty until its echo is read back; then `cat /tmp/big; echo END-OF-CAT` and
the time until the marker's line is read. Prints one JSON object.
"""
import json, os, pty, select, sys, time


def main():
    keys = int(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    seen = b""

    def read_until(want, limit):
        # Only the tail is searched and kept: a 20 MB output scanned whole on every read would
        # time Python, not the terminal.
        nonlocal seen
        deadline = time.perf_counter() + limit
        while want not in seen:
            r, _, _ = select.select([fd], [], [], max(0, deadline - time.perf_counter()))
            if not r:
                raise SystemExit(f"no {want!r} within {limit} s")
            seen = seen[-len(want):] + os.read(fd, 1 << 20)

    read_until(b"# ", 30)
    samples = []
    for i in range(keys):
        if i and i % 50 == 0:
            os.write(fd, b"\x15")
            time.sleep(0.1)
        seen = b""
        ch = bytes([97 + i % 26])
        t0 = time.perf_counter()
        os.write(fd, ch)
        read_until(ch, 5)
        samples.append((time.perf_counter() - t0) * 1000)
    os.write(fd, b"\x15")
    time.sleep(0.2)
    seen = b""
    t0 = time.perf_counter()
    os.write(fd, b"cat /tmp/big; echo END-OF-CAT\r")
    read_until(b"\nEND-OF-CAT", 300)
    cat_ms = (time.perf_counter() - t0) * 1000
    os.write(fd, b"exit\r")
    samples.sort()
    pick = lambda p: round(samples[round((len(samples) - 1) * p)], 1)
    print(json.dumps({"keys": len(samples), "p50": pick(0.5), "p99": pick(0.99), "cat_ms": round(cat_ms, 1)}))


main()
