"""Lindenfield's permit and licence forms, and the permits its demo residents hold.

A form lists its fields with Open311's datatypes (so the kiosk renders them with the
same dynamic-form engine as a problem report), what each accepts, the documents to
bring, and the fee. Texts aim at a lower-secondary reading level.
"""

from __future__ import annotations

from typing import Any

DOG_BREED_SIZES = [
    ("small", {"en": "Small (under 10 kg)", "es": "Pequeño (menos de 10 kg)"}),
    ("medium", {"en": "Medium (10 to 25 kg)", "es": "Mediano (de 10 a 25 kg)"}),
    ("large", {"en": "Large (over 25 kg)", "es": "Grande (más de 25 kg)"}),
]


def _choices(pairs) -> list[dict[str, Any]]:
    return [{"key": key, "name": name} for key, name in pairs]


PERMIT_FORMS: list[dict[str, Any]] = [
    {
        "form_id": "dog_licence",
        "version": 1,
        "kind": "licence",
        "title": {"en": "Dog licence", "es": "Licencia para perro"},
        "summary": {
            "en": "Every dog in Lindenfield needs a licence. It lasts one year.",
            "es": "Todo perro en Lindenfield necesita una licencia. Dura un año.",
        },
        "fee_cents": 2500,
        "renewal_fee_cents": 2000,
        "currency": "USD",
        "renewable": True,
        "validity_months": 12,
        "fields": [
            {
                "code": "dog_name",
                "datatype": "string",
                "label": {"en": "Your dog's name", "es": "Nombre de su perro"},
                "required": True,
                "max_length": 40,
            },
            {
                "code": "size",
                "datatype": "singlevaluelist",
                "label": {"en": "Size of your dog", "es": "Tamaño de su perro"},
                "required": True,
                "values": _choices(DOG_BREED_SIZES),
            },
            {
                "code": "birth_year",
                "datatype": "number",
                "label": {"en": "Year your dog was born", "es": "Año en que nació su perro"},
                "required": True,
                "minimum": 1995,
                "maximum": 2026,
            },
            {
                "code": "microchip",
                "datatype": "string",
                "label": {
                    "en": "Microchip number (15 digits)",
                    "es": "Número de microchip (15 dígitos)",
                },
                "hint": {
                    "en": "On the vet's papers.",
                    "es": "Está en los papeles del veterinario.",
                },
                "required": False,
                "pattern": "^[0-9]{15}$",
                "pattern_hint": {"en": "15 digits, no spaces", "es": "15 dígitos, sin espacios"},
            },
        ],
        "documents": [
            {
                "code": "rabies_certificate",
                "label": {
                    "en": "Rabies vaccination certificate",
                    "es": "Certificado de vacuna contra la rabia",
                },
                "required": True,
            },
        ],
    },
    {
        "form_id": "residential_parking",
        "version": 1,
        "kind": "permit",
        "title": {
            "en": "Residential parking permit",
            "es": "Permiso de estacionamiento residencial",
        },
        "summary": {
            "en": "Park on your street in a permit zone. It lasts one year.",
            "es": "Estacione en su calle en una zona con permiso. Dura un año.",
        },
        "fee_cents": 4000,
        "renewal_fee_cents": 4000,
        "currency": "USD",
        "renewable": True,
        "validity_months": 12,
        "fields": [
            {
                "code": "plate",
                "datatype": "string",
                "label": {"en": "Licence plate", "es": "Placa del vehículo"},
                "required": True,
                "max_length": 10,
                "pattern": "^[A-Z0-9 -]{2,10}$",
                "pattern_hint": {
                    "en": "Letters and digits, like ABC 123",
                    "es": "Letras y números, como ABC 123",
                },
            },
            {
                "code": "zone",
                "datatype": "singlevaluelist",
                "label": {"en": "Permit zone", "es": "Zona del permiso"},
                "required": True,
                "values": _choices(
                    [
                        (
                            "A",
                            {
                                "en": "Zone A: Elm Street and Church Street",
                                "es": "Zona A: Elm Street y Church Street",
                            },
                        ),
                        (
                            "B",
                            {
                                "en": "Zone B: Maple Avenue and Oak Street",
                                "es": "Zona B: Maple Avenue y Oak Street",
                            },
                        ),
                        (
                            "C",
                            {
                                "en": "Zone C: River Street and Mill Lane",
                                "es": "Zona C: River Street y Mill Lane",
                            },
                        ),
                    ]
                ),
            },
        ],
        "documents": [
            {
                "code": "vehicle_registration",
                "label": {
                    "en": "Vehicle registration in your name",
                    "es": "Registro del vehículo a su nombre",
                },
                "required": True,
            },
            {
                "code": "proof_of_address",
                "label": {
                    "en": "A recent bill with your address",
                    "es": "Una factura reciente con su dirección",
                },
                "required": True,
            },
        ],
    },
    {
        "form_id": "street_event",
        "version": 1,
        "kind": "permit",
        "title": {"en": "Street party or event", "es": "Fiesta o evento en la calle"},
        "summary": {
            "en": "Close a street for a block party, a market or a parade.",
            "es": "Cierre una calle para una fiesta del barrio, un mercado o un desfile.",
        },
        "fee_cents": 0,
        "renewal_fee_cents": 0,
        "currency": "USD",
        "renewable": False,
        "validity_months": 0,
        "fields": [
            {
                "code": "event_name",
                "datatype": "string",
                "label": {"en": "Name of the event", "es": "Nombre del evento"},
                "required": True,
                "max_length": 60,
            },
            {
                "code": "starts",
                "datatype": "datetime",
                "label": {"en": "When it starts", "es": "Cuándo empieza"},
                "required": True,
            },
            {
                "code": "guests",
                "datatype": "number",
                "label": {"en": "How many people will come", "es": "Cuántas personas vendrán"},
                "required": True,
                "minimum": 1,
                "maximum": 5000,
            },
            {
                "code": "needs",
                "datatype": "multivaluelist",
                "label": {"en": "What you need from the city", "es": "Qué necesita de la ciudad"},
                "required": False,
                "values": _choices(
                    [
                        ("barriers", {"en": "Road barriers", "es": "Barreras de calle"}),
                        ("bins", {"en": "Extra trash bins", "es": "Botes de basura extra"}),
                        ("power", {"en": "Electricity", "es": "Electricidad"}),
                    ]
                ),
            },
            {
                "code": "details",
                "datatype": "text",
                "label": {"en": "Anything else we should know", "es": "Algo más que debamos saber"},
                "required": False,
                "max_length": 500,
            },
        ],
        "documents": [],
    },
]

# (permit number, account, form id, values, issued, expires)
DEMO_PERMITS = (
    ("DL-2025-0142", "100200", "dog_licence",
     {"dog_name": "Bruno", "size": "medium", "birth_year": 2019, "microchip": "981020000123456"},
     "2025-12-01", "2026-12-01"),
    ("RP-2025-0877", "100400", "residential_parking",
     {"plate": "LND 4821", "zone": "B"}, "2025-11-15", "2026-11-15"),
)  # fmt: skip
