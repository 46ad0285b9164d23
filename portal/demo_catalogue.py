"""Lindenfield's kiosk service catalogue, in English and Spanish.

Texts aim at a lower-secondary reading level: short sentences, everyday words.
"""

from __future__ import annotations

from typing import Any

CITY = {
    "name": {"en": "City of Lindenfield", "es": "Ciudad de Lindenfield"},
    "help_contact": {
        "en": "Need help? Ask at the front desk or call 311, Monday to Friday, 8 am to 5 pm.",
        "es": "¿Necesita ayuda? Pregunte en la recepción o llame al 311, "
        "de lunes a viernes, de 8:00 a 17:00.",
    },
}

CATEGORIES = [
    ("payments", {"en": "Pay", "es": "Pagar"}),
    ("requests", {"en": "Report a problem", "es": "Reportar un problema"}),
    ("permits", {"en": "Permits", "es": "Permisos"}),
    ("information", {"en": "City information", "es": "Información de la ciudad"}),
    ("help", {"en": "Help", "es": "Ayuda"}),
]

# (id, category, title, summary, keywords)
SERVICES: list[tuple[str, str, dict[str, str], dict[str, str], dict[str, list[str]]]] = [
    (
        "pay_bill",
        "payments",
        {"en": "Pay a bill", "es": "Pagar una factura"},
        {
            "en": "Pay a water bill, a parking ticket, property tax or a library fine.",
            "es": "Pague una factura del agua, una multa de estacionamiento, "
            "el impuesto a la propiedad o una multa de la biblioteca.",
        },
        {
            "en": ["pay", "bill", "water", "parking", "ticket", "tax", "fine", "library"],
            "es": ["pagar", "factura", "agua", "estacionamiento", "multa", "impuesto"],
        },
    ),
    (
        "report_problem",
        "requests",
        {"en": "Report a problem", "es": "Reportar un problema"},
        {
            "en": "Tell us about a pothole, a broken street light, graffiti, dumped trash "
            "or noise.",
            "es": "Avísenos de un bache, una luz de la calle dañada, grafitis, "
            "basura tirada o ruido.",
        },
        {
            "en": ["pothole", "street light", "graffiti", "trash", "noise", "report"],
            "es": ["bache", "luz", "grafiti", "basura", "ruido", "reportar"],
        },
    ),
    (
        "track_request",
        "requests",
        {"en": "Check a report", "es": "Consultar un reporte"},
        {
            "en": "See what is happening with a problem you reported or a payment you made.",
            "es": "Vea qué pasa con un problema que usted reportó o un pago que hizo.",
        },
        {
            "en": ["track", "status", "check", "report", "number"],
            "es": ["seguir", "estado", "consultar", "reporte", "número"],
        },
    ),
    (
        "permits",
        "permits",
        {"en": "Permits", "es": "Permisos"},
        {
            "en": "Find out how to get a permit to build, hold an event or park on the street.",
            "es": "Sepa cómo pedir un permiso para construir, hacer un evento "
            "o estacionar en la calle.",
        },
        {
            "en": ["permit", "build", "event", "parking", "license"],
            "es": ["permiso", "construir", "evento", "estacionar", "licencia"],
        },
    ),
    (
        "records",
        "information",
        {"en": "Public records", "es": "Documentos públicos"},
        {
            "en": "Read and print city documents: rules, plans, budgets, meeting papers.",
            "es": "Lea e imprima documentos de la ciudad: reglas, planes, presupuestos, "
            "papeles de reuniones.",
        },
        {
            "en": ["record", "document", "rule", "budget", "plan", "print", "read"],
            "es": ["documento", "registro", "regla", "presupuesto", "plan", "imprimir", "leer"],
        },
    ),
    (
        "meetings",
        "information",
        {"en": "Council meetings", "es": "Reuniones del concejo"},
        {
            "en": "Read the agendas and minutes of city council meetings.",
            "es": "Lea el orden del día y las actas de las reuniones del concejo municipal.",
        },
        {
            "en": ["council", "meeting", "agenda", "minutes"],
            "es": ["concejo", "reunión", "orden del día", "actas"],
        },
    ),
    (
        "survey",
        "information",
        {"en": "Tell us what you think", "es": "Denos su opinión"},
        {
            "en": "Answer a short survey about this kiosk and city services.",
            "es": "Conteste una encuesta corta sobre este quiosco y los servicios de la ciudad.",
        },
        {
            "en": ["survey", "opinion", "feedback"],
            "es": ["encuesta", "opinión", "comentarios"],
        },
    ),
    (
        "create_account",
        "information",
        {"en": "Create an eCitizen account", "es": "Crear una cuenta de eCiudadano"},
        {
            "en": "Use city services online at home or at the library. You need your ID card.",
            "es": "Use los servicios de la ciudad por internet en casa o en la biblioteca. "
            "Necesita su documento de identidad.",
        },
        {
            "en": ["account", "ecitizen", "online", "sign up", "register", "website"],
            "es": ["cuenta", "ecitizen", "internet", "registrarse", "inscribirse", "web"],
        },
    ),
    (
        "help",
        "help",
        {"en": "Help", "es": "Ayuda"},
        {
            "en": "Learn how to use this kiosk, or ask a person for help.",
            "es": "Aprenda a usar este quiosco o pida ayuda a una persona.",
        },
        {
            "en": ["help", "how", "staff", "person"],
            "es": ["ayuda", "cómo", "personal", "persona"],
        },
    ),
]


def demo_catalogue() -> dict[str, Any]:
    return {
        "city": CITY,
        "categories": [
            {"id": category_id, "order": order, "title": title}
            for order, (category_id, title) in enumerate(CATEGORIES, start=1)
        ],
        "services": [
            {
                "id": service_id,
                "category": category,
                "order": order,
                "title": title,
                "summary": summary,
                "keywords": keywords,
            }
            for order, (service_id, category, title, summary, keywords) in enumerate(
                SERVICES, start=1
            )
        ],
    }
