"""Demo tracking: the past reports of portal/demo_data.py get a history, the city's
notes, and an owner, so "Track a request" and "My requests" show something at once."""

from __future__ import annotations

from datetime import timedelta

from portal.status_history import SERVICE_REQUEST, record_status
from portal.store import PortalStore
from portal.timeutil import parse_iso, to_iso

# request id -> (owner's account, [(days after the report, status, note)])
DEMO_HISTORY = {
    "LF-000001": ("100200", [
        (0, "open", {"en": "Received. Thank you for telling us.",
                     "es": "Recibido. Gracias por avisarnos."}),
        (2, "open", {"en": "Inspected: a crew will fill the hole.",
                     "es": "Inspeccionado: un equipo rellenará el hoyo."}),
        (5, "closed", {"en": "Fixed: the hole was filled.",
                       "es": "Arreglado: se rellenó el hoyo."}),
    ]),
    "LF-000002": ("100200", [
        (0, "open", {"en": "Received. Thank you for telling us.",
                     "es": "Recibido. Gracias por avisarnos."}),
        (1, "open", {"en": "A crew is scheduled.", "es": "Ya hay un equipo programado."}),
    ]),
    "LF-000003": (None, [(0, "open", None)]),
    "LF-000004": ("100300", [
        (0, "open", None),
        (3, "closed", {"en": "Picked up.", "es": "Se recogió."}),
    ]),
}  # fmt: skip


def seed_demo_tracking(store: PortalStore) -> None:
    with store.transaction() as conn:
        for request_id, (account, steps) in DEMO_HISTORY.items():
            row = conn.execute(
                "SELECT requested_datetime FROM service_requests WHERE service_request_id = ?",
                (request_id,),
            ).fetchone()
            if row is None:
                continue
            requested = parse_iso(row["requested_datetime"])
            for days, status, note in steps:
                at = to_iso(requested + timedelta(days=days))
                record_status(conn, SERVICE_REQUEST, request_id, status, at, note)
            if account:
                conn.execute(
                    "UPDATE service_requests SET account_id = ? WHERE service_request_id = ?",
                    (account, request_id),
                )
