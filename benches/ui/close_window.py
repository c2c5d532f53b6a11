#!/usr/bin/env python3
"""Asks an X11 window to close, as its title bar's close button does: a WM_DELETE_WINDOW message.

Usage: close_window.py TITLE   (exit 1 if no mapped window has that title)

Used by `benches/ui/idle.mjs` to hide Skiff to the tray under Xvfb, where no window manager
draws a close button. Needs python3-xlib (Debian `python3-xlib`).
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


def main(title):
    d = display.Display()
    delete = d.intern_atom("WM_DELETE_WINDOW")
    protocols = d.intern_atom("WM_PROTOCOLS")
    for w in windows(d, d.screen().root):
        try:
            name = w.get_wm_name()
            mapped = w.get_attributes().map_state == X.IsViewable
        except Exception:  # a window that vanished meanwhile
            continue
        if name == title and mapped:
            event = protocol.event.ClientMessage(
                window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
            )
            w.send_event(event, event_mask=X.NoEventMask)
            d.flush()
            return 0
    print(f"no mapped window titled {title!r}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
