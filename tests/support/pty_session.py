#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal as a user's terminal would: a size at start, keys typed,
a resize (the window's new size and SIGWINCH to the foreground process), and its exit code.

    pty_session.py ROWS COLS STEPS_JSON -- COMMAND...

STEPS_JSON is a list of steps, each one of
    {"expect": "text"}            wait (10 s at most) until the output since the last expect holds it
    {"send": "text"}              type it
    {"send": "text", "until": "t"} type it again each second until the output since the last
                                  expect holds t (10 s at most): for what takes effect
                                  asynchronously, as a resize reaching the container's TTY
    {"resize": [rows, cols]}      resize the terminal
Prints the whole output to stdout at the end and exits with the command's exit code; exits 99
with what was seen when an expect is not met.
"""
import fcntl, json, os, pty, select, signal, struct, sys, termios, time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main():
    rows, cols, steps = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    command = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    set_size(fd, rows, cols)
    seen, mark = b"", 0

    def read(timeout):
        nonlocal seen
        r, _, _ = select.select([fd], [], [], timeout)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            if not data:
                return False
            seen += data
        return True

    def expect(text, deadline, resend=None):
        nonlocal mark
        want = text.encode()
        sent = time.time()
        while want not in seen[mark:]:
            if time.time() > deadline or not read(0.1):
                if want in seen[mark:]:
                    break
                sys.stdout.write(seen.decode(errors="replace"))
                sys.stderr.write(f"\nno {text!r} after {mark}\n")
                os.kill(pid, signal.SIGKILL)
                sys.exit(99)
            if resend is not None and time.time() - sent > 1:
                os.write(fd, resend.encode())
                sent = time.time()
        mark = seen.index(want, mark) + len(want)

    for step in steps:
        if "expect" in step:
            expect(step["expect"], time.time() + 10)
        elif "until" in step:
            os.write(fd, step["send"].encode())
            expect(step["until"], time.time() + 10, resend=step["send"])
        elif "send" in step:
            os.write(fd, step["send"].encode())
        elif "resize" in step:
            set_size(fd, *step["resize"])
            os.kill(pid, signal.SIGWINCH)
    while read(10):
        pass
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(seen.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


main()
