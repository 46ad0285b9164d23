"""Demo data of the fictional city of Lindenfield: residents, cards, bills, addresses,
Open311 services and a few past reports.

The identifiers below are what a demo visitor types or taps and what tests of every part
of the kiosk rely on, so treat them as a stable interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from kiosk.identity import identity_hash
from portal.demo_catalogue import demo_catalogue
from portal.demo_content import seed_content
from portal.demo_open311 import OPEN311_SERVICES
from portal.demo_permits import DEMO_PERMITS, PERMIT_FORMS
from portal.open311_records import insert_request
from portal.permits import add_permit, put_form
from portal.store import PortalStore
from portal.timeutil import to_iso, utc_now
from portal.tracking_demo import seed_demo_tracking

DEMO_SALT = "demo-salt"
DEMO_DEVICE_ID = "demo-kiosk"
SEEDED_FLAG = "demo_seeded"


@dataclass(frozen=True)
class DemoCard:
    profile: str
    identifier: str
    account: str

    @property
    def holder(self) -> str:
        return DEMO_ACCOUNTS[self.account]


@dataclass(frozen=True)
class DemoBill:
    bill_id: str
    number: str
    account: str
    kind: str
    amount_due_cents: int
    due_date: str
    allows_partial: bool
    description_en: str
    description_es: str


DEMO_ACCOUNTS = {
    "100200": "Maria Lopez",
    "100300": "María José Van den Brûle",
    "100400": "Alex Morgan",
    "100500": "Sam Carter",
}

DEMO_CARDS = (
    DemoCard("uid", "04A1B2C3D4", "100200"),
    DemoCard("beid", "92051212329", "100300"),
    DemoCard("piv", "3f2a8c1e-5b7d-4e9a-a6c2-1d8f0b4e7a93", "100400"),
)
# (profile, identifier, name) of a resident with no account yet: the demo card that
# "Create an eCitizen account" is for.
DEMO_NEW_RESIDENT_CARD = ("beid", "85073003328", "Nadia Haddad")

DEMO_BILLS = (
    DemoBill("bill-0001", "W-1001", "100200", "water", 4250, "2026-12-15", True,
             "Water bill, September and October", "Factura del agua, septiembre y octubre"),
    DemoBill("bill-0002", "P-2001", "100200", "parking", 3500, "2026-12-01", False,
             "Parking ticket: meter time ran out on Elm Street",
             "Multa de estacionamiento: se acabó el tiempo del parquímetro en Elm Street"),
    DemoBill("bill-0003", "T-3001", "100300", "property_tax", 125000, "2026-12-31", True,
             "Property tax, second half of 2026",
             "Impuesto a la propiedad, segundo semestre de 2026"),
    DemoBill("bill-0004", "L-4001", "100300", "library_fine", 275, "2026-12-10", False,
             "Library fine: 3 books returned late",
             "Multa de la biblioteca: 3 libros devueltos tarde"),
    DemoBill("bill-0005", "W-1002", "100400", "water", 3875, "2026-12-15", True,
             "Water bill, September and October", "Factura del agua, septiembre y octubre"),
    DemoBill("bill-0006", "P-2002", "100400", "parking", 0, "2026-11-01", False,
             "Parking ticket: parked in a loading zone",
             "Multa de estacionamiento: estacionado en una zona de carga"),
    DemoBill("bill-0007", "W-1003", "100500", "water", 6120, "2026-12-15", True,
             "Water bill, September and October", "Factura del agua, septiembre y octubre"),
    DemoBill("bill-0008", "P-2003", "100500", "parking", 5000, "2026-12-05", False,
             "Parking ticket: parked at a fire hydrant",
             "Multa de estacionamiento: estacionado frente a un hidrante"),
)  # fmt: skip

# (id, address, zipcode, lat, long)
DEMO_ADDRESSES = (
    ("addr-0001", "100 Linden Road (City Hall)", "04710", 44.9231, -69.3102),
    ("addr-0002", "12 Elm Street", "04710", 44.9244, -69.3127),
    ("addr-0003", "45 Elm Street", "04710", 44.9252, -69.3141),
    ("addr-0004", "210 Maple Avenue", "04711", 44.9188, -69.3055),
    ("addr-0005", "318 Maple Avenue", "04711", 44.9179, -69.3031),
    ("addr-0006", "7 River Street", "04710", 44.9270, -69.3090),
    ("addr-0007", "88 River Street", "04712", 44.9301, -69.3012),
    ("addr-0008", "3 Mill Lane", "04712", 44.9315, -69.2988),
    ("addr-0009", "150 Oak Street", "04711", 44.9160, -69.3170),
    ("addr-0010", "22 Park Avenue (Lindenfield Library)", "04710", 44.9225, -69.3080),
    ("addr-0011", "61 Park Avenue", "04710", 44.9219, -69.3066),
    ("addr-0012", "5 Church Street", "04710", 44.9238, -69.3115),
    ("addr-0013", "400 Station Road", "04712", 44.9342, -69.2950),
    ("addr-0014", "19 Harbor Drive", "04712", 44.9360, -69.2921),
    ("addr-0015", "250 Linden Road", "04711", 44.9205, -69.3150),
)

# Past reports, so that "Check a report" has something to show right away.
DEMO_REQUEST_IDS = ("LF-000001", "LF-000002", "LF-000003", "LF-000004")


def _seed_requests(store: PortalStore) -> None:
    now = utc_now()
    reports = [
        ("LF-000001", "pothole", "closed", 20, 15, "addr-0003", "Deep hole near the bus stop.",
         {"size": "large", "lane": "traffic"},
         {"en": "Fixed: the hole was filled.", "es": "Arreglado: se rellenó el hoyo."}),
        ("LF-000002", "streetlight", "open", 3, 2, "addr-0004", None,
         {"problem": "out"},
         {"en": "A crew is scheduled.", "es": "Ya hay un equipo programado."}),
        ("LF-000003", "graffiti", "open", 1, 1, "addr-0012", "Paint on the side wall.",
         {"surface": ["wall"], "offensive": "no"}, None),
        ("LF-000004", "illegal_dumping", "closed", 40, 37, "addr-0008", None,
         {"items": ["mattress", "bags"], "item_count": 5},
         {"en": "Picked up.", "es": "Se recogió."}),
    ]  # fmt: skip
    services = {service["service_code"]: service for service in OPEN311_SERVICES}
    with store.transaction() as conn:
        for request_id, code, status, age, updated_age, address_id, text, attrs, notes in reports:
            address = next(row for row in DEMO_ADDRESSES if row[0] == address_id)
            requested = now - timedelta(days=age)
            expected_days = services[code]["expected_days"]
            insert_request(
                conn,
                {
                    "service_request_id": request_id,
                    "service_code": code,
                    "device_id": None,
                    "status": status,
                    "status_notes": notes,
                    "description": text,
                    "requested_datetime": to_iso(requested),
                    "updated_datetime": to_iso(now - timedelta(days=updated_age)),
                    "expected_datetime": to_iso(requested + timedelta(days=expected_days)),
                    "address": address[1],
                    "address_id": address_id,
                    "zipcode": address[2],
                    "lat": address[3],
                    "long": address[4],
                    "attributes": attrs,
                },
            )


def seed_demo(store: PortalStore, identity_salt: str = DEMO_SALT) -> bool:
    """Load the demo city; False (and nothing changed) if this database already has it."""
    with store.transaction():
        if store.get_meta(SEEDED_FLAG):
            return False
        _seed(store, identity_salt)
    return True


def _seed(store: PortalStore, identity_salt: str) -> None:
    store.put_catalogue(demo_catalogue())
    for number, holder in DEMO_ACCOUNTS.items():
        store.add_account(number, holder)
    for card in DEMO_CARDS:
        store.link_identity(
            card.profile, identity_hash(identity_salt, card.profile, card.identifier), card.account
        )
    for bill in DEMO_BILLS:
        store.add_bill(
            bill_id=bill.bill_id,
            number=bill.number,
            account=bill.account,
            kind=bill.kind,
            description={"en": bill.description_en, "es": bill.description_es},
            amount_due_cents=bill.amount_due_cents,
            due_date=bill.due_date,
            allows_partial=bill.allows_partial,
        )
    for address in DEMO_ADDRESSES:
        store.add_address(*address)
    for position, service in enumerate(OPEN311_SERVICES, start=1):
        store.put_open311_service(position, service)
    _seed_requests(store)
    seed_content(store)
    seed_demo_tracking(store)
    for position, form in enumerate(PERMIT_FORMS, start=1):
        put_form(store, position, form)
    for permit in DEMO_PERMITS:
        add_permit(store, *permit)
    store.set_meta(SEEDED_FLAG, to_iso(utc_now()))
