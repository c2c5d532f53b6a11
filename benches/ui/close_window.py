#!/usr/bin/env python3
"""Asks an X11 window to close, as its title bar's close button does: a WM_DELETE_WINDOW message.

Usage: close_window.py TITLE           (exit 1 if no mapped window has that title)
       close_window.py --count TITLE   (prints how many mapped windows have that title)

Used by `benches/ui/idle.mjs` and `tests/e2e/tray.test.mjs` to hide Skiff to the tray under Xvfb,
where no window manager draws a close button, and by the test to see that it is gone. Needs
python3-xlib (Debian `python3-xlib`).
"""
import sys

from Xlib import X, display, protocol


def windows(d, window):
    yield window
    try:
        children = window.query_tree().children
    except Exception:  # a window that vanished meanwhile
        return
    for child in children:
        yield from windows(d, child)


def mapped(d, title):
    """The mapped windows titled `title`."""
    for w in windows(d, d.screen().root):
        try:
            if w.get_wm_name() == title and w.get_attributes().map_state == X.IsViewable:
                yield w
        except Exception:  # a window that vanished meanwhile
            continue


def main(args):
    d = display.Display()
    if args[0] == "--count":
        print(sum(1 for _ in mapped(d, args[1])))
        return 0
    title = args[0]
    delete = d.intern_atom("WM_DELETE_WINDOW")
    protocols = d.intern_atom("WM_PROTOCOLS")
    for w in mapped(d, title):
        event = protocol.event.ClientMessage(
            window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        w.send_event(event, event_mask=X.NoEventMask)
        d.flush()
        return 0
    print(f"no mapped window titled {title!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
