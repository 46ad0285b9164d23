"""The demo kiosk's portal going down and coming back, for UI tests of what residents
see offline (imported by name: tests/ui is on sys.path)."""

from __future__ import annotations

from contextlib import contextmanager

from portal.server import start_portal


@contextmanager
def portal_down(kiosk):
    """The library's network is down inside the block; afterwards the same portal
    (same database, port and token) answers again."""
    runtime = kiosk.runtime
    portal = runtime.demo_portal
    port = int(portal.url.rsplit(":", 1)[1])
    portal.stop()
    try:
        yield
    finally:
        back = start_portal(
            portal.db_path, port=port, seed_demo=False, token=portal.token, device_id="demo-kiosk"
        )
        runtime.demo_portal = back
        runtime.closers.insert(0, back.stop)
        runtime.sync.wake()


def labels_with(kiosk, text: str) -> list[str]:
    """Visible texts containing ``text`` (markup and all)."""
    return [shown for shown in kiosk.texts() if text in shown]
