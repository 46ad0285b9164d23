import pytest

CATALOGUE = {
    "city": {
        "name": {"en": "Testville", "es": "Villa Prueba"},
        "help_contact": {"en": "Call 1", "es": "Llame 1"},
    },
    "categories": [
        {"id": "help", "order": 9, "title": {"en": "Help", "es": "Ayuda"}},
        {"id": "payments", "order": 1, "title": {"en": "Payments", "es": "Pagos"}},
        {"id": "permits", "order": 2, "title": {"en": "Permits", "es": "Permisos"}},
    ],
    "services": [
        {
            "id": "pay_bill",
            "category": "payments",
            "order": 1,
            "title": {"en": "Pay a bill", "es": "Pagar una factura"},
            "summary": {
                "en": "Water, parking and taxes",
                "es": "Agua, estacionamiento e impuestos",
            },
            "keywords": {"en": ["water", "tax"], "es": ["agua", "impuesto"]},
        },
        {
            "id": "permits",
            "category": "permits",
            "order": 1,
            "title": {"en": "Permits and licences", "es": "Permisos y licencias"},
            "summary": {"en": "Apply or renew", "es": "Solicitar o renovar"},
            "keywords": {"en": ["licence", "dog"], "es": ["licéncia", "perro"]},
        },
        {
            "id": "help",
            "category": "help",
            "order": 1,
            "title": {"en": "Get help", "es": "Obtener ayuda"},
            "summary": {"en": "How to use the kiosk", "es": "Cómo usar el quiosco"},
            "keywords": {},
        },
    ],
}


class FakeClock:
    def __init__(self):
        self.now = 5000.0

    def __call__(self):
        return self.now


@pytest.fixture
def catalogue_document():
    import copy

    return copy.deepcopy(CATALOGUE)


@pytest.fixture
def clock():
    return FakeClock()
