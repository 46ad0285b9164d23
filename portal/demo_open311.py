"""Lindenfield's Open311 services. Together they use every GeoReport v2 datatype,
so a kiosk's form renderer can be exercised against each one."""

from __future__ import annotations

from typing import Any

PUBLIC_WORKS = {"en": "Lindenfield Public Works", "es": "Obras Públicas de Lindenfield"}
YES_NO = [
    {"key": "yes", "name": {"en": "Yes", "es": "Sí"}},
    {"key": "no", "name": {"en": "No", "es": "No"}},
]
NO_FORMAT = {"en": "", "es": ""}


def _attribute(
    code: str,
    order: int,
    datatype: str,
    required: bool,
    description: dict[str, str],
    datatype_description: dict[str, str] = NO_FORMAT,
    values: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    attribute = {
        "variable": True,
        "code": code,
        "order": order,
        "datatype": datatype,
        "required": required,
        "description": description,
        "datatype_description": datatype_description,
    }
    if values is not None:
        attribute["values"] = values
    return attribute


def _values(*choices: tuple[str, str, str]) -> list[dict[str, Any]]:
    return [{"key": key, "name": {"en": en, "es": es}} for key, en, es in choices]


POTHOLE = {
    "service_code": "pothole",
    "service_name": {"en": "Pothole", "es": "Bache"},
    "description": {"en": "A hole in the road.", "es": "Un hoyo en la calle."},
    "metadata": True,
    "type": "realtime",
    "keywords": {"en": "pothole,road,street,hole", "es": "bache,calle,hoyo,pavimento"},
    "group": {"en": "Streets", "es": "Calles"},
    "agency_responsible": PUBLIC_WORKS,
    "service_notice": {
        "en": "A road crew usually checks a pothole within 5 working days.",
        "es": "Un equipo suele revisar el bache en un plazo de 5 días hábiles.",
    },
    "expected_days": 5,
    "attributes": [
        _attribute(
            "size",
            1,
            "singlevaluelist",
            True,
            {"en": "How big is the hole?", "es": "¿Qué tan grande es el hoyo?"},
            values=_values(
                ("small", "Smaller than a plate", "Más pequeño que un plato"),
                ("medium", "About as big as a tire", "Más o menos del tamaño de una llanta"),
                ("large", "Bigger than a tire", "Más grande que una llanta"),
            ),
        ),
        _attribute(
            "depth_in",
            2,
            "number",
            False,
            {"en": "About how deep is it?", "es": "¿Más o menos qué tan hondo es?"},
            {"en": "Inches, for example 3", "es": "Pulgadas, por ejemplo 3"},
        ),
        _attribute(
            "lane",
            3,
            "singlevaluelist",
            False,
            {"en": "Where on the road is it?", "es": "¿En qué parte de la calle está?"},
            values=_values(
                ("traffic", "In a lane for cars", "En un carril para autos"),
                ("bike", "In a bike lane", "En un carril para bicicletas"),
                ("side", "At the side of the road", "A la orilla de la calle"),
            ),
        ),
    ],
}

STREETLIGHT = {
    "service_code": "streetlight",
    "service_name": {"en": "Street light problem", "es": "Problema con una luz de la calle"},
    "description": {
        "en": "A street light is off, flickers or is damaged.",
        "es": "Una luz de la calle está apagada, parpadea o está dañada.",
    },
    "metadata": True,
    "type": "realtime",
    "keywords": {"en": "street light,lamp,light,dark", "es": "luz,lámpara,poste,oscuro"},
    "group": {"en": "Lights", "es": "Alumbrado"},
    "agency_responsible": PUBLIC_WORKS,
    "service_notice": {
        "en": "Most street lights are fixed within 10 working days.",
        "es": "La mayoría de las luces se arreglan en un plazo de 10 días hábiles.",
    },
    "expected_days": 10,
    "attributes": [
        _attribute(
            "problem",
            1,
            "singlevaluelist",
            True,
            {"en": "What is wrong?", "es": "¿Cuál es el problema?"},
            values=_values(
                ("out", "The light is off at night", "La luz está apagada de noche"),
                ("flickering", "The light flickers", "La luz parpadea"),
                ("day_burning", "The light is on during the day", "La luz está prendida de día"),
                ("damaged", "The pole is damaged", "El poste está dañado"),
            ),
        ),
        _attribute(
            "pole_number",
            2,
            "string",
            False,
            {
                "en": "Number on the pole, if you can see it",
                "es": "Número del poste, si lo puede ver",
            },
            {
                "en": "Letters and numbers, for example LF-2231",
                "es": "Letras y números, por ejemplo LF-2231",
            },
        ),
        _attribute(
            "noticed_at",
            3,
            "datetime",
            False,
            {
                "en": "When did you first see the problem?",
                "es": "¿Cuándo vio el problema por primera vez?",
            },
            {
                "en": "Date and time, for example 2026-11-20T21:30:00-05:00",
                "es": "Fecha y hora, por ejemplo 2026-11-20T21:30:00-05:00",
            },
        ),
    ],
}

GRAFFITI = {
    "service_code": "graffiti",
    "service_name": {"en": "Graffiti", "es": "Grafiti"},
    "description": {
        "en": "Paint or writing on a wall, sign or other surface.",
        "es": "Pintura o letras en una pared, una señal u otra superficie.",
    },
    "metadata": True,
    "type": "batch",
    "keywords": {"en": "graffiti,paint,tag,wall", "es": "grafiti,pintura,pared,rayado"},
    "group": {"en": "Clean city", "es": "Ciudad limpia"},
    "agency_responsible": {
        "en": "Lindenfield Clean City Team",
        "es": "Equipo Ciudad Limpia de Lindenfield",
    },
    "service_notice": {
        "en": "Offensive graffiti is removed within 2 days, other graffiti within 2 weeks.",
        "es": "Los grafitis ofensivos se quitan en 2 días y los demás en 2 semanas.",
    },
    "expected_days": 14,
    "attributes": [
        _attribute(
            "surface",
            1,
            "multivaluelist",
            True,
            {
                "en": "Where is the graffiti? Pick all that apply.",
                "es": "¿Dónde está el grafiti? Elija todas las que correspondan.",
            },
            values=_values(
                ("wall", "Wall", "Pared"),
                ("fence", "Fence", "Cerca"),
                ("sign", "Street sign", "Señal de tránsito"),
                ("bus_stop", "Bench or bus stop", "Banca o parada de autobús"),
                ("other", "Something else", "Otro lugar"),
            ),
        ),
        _attribute(
            "offensive",
            2,
            "singlevaluelist",
            True,
            {
                "en": "Are the words or pictures offensive?",
                "es": "¿Las palabras o los dibujos son ofensivos?",
            },
            values=YES_NO,
        ),
    ],
}

ILLEGAL_DUMPING = {
    "service_code": "illegal_dumping",
    "service_name": {"en": "Illegal dumping", "es": "Basura tirada ilegalmente"},
    "description": {
        "en": "Trash, furniture or other things left on a street or in a park.",
        "es": "Basura, muebles u otras cosas dejadas en la calle o en un parque.",
    },
    "metadata": True,
    "type": "realtime",
    "keywords": {
        "en": "dumping,trash,garbage,furniture,mattress",
        "es": "basura,muebles,colchón,desechos",
    },
    "group": {"en": "Clean city", "es": "Ciudad limpia"},
    "agency_responsible": {
        "en": "Lindenfield Clean City Team",
        "es": "Equipo Ciudad Limpia de Lindenfield",
    },
    "service_notice": {
        "en": "A truck usually picks it up within 3 working days.",
        "es": "Un camión suele recogerlo en un plazo de 3 días hábiles.",
    },
    "expected_days": 3,
    "attributes": [
        _attribute(
            "items",
            1,
            "multivaluelist",
            True,
            {
                "en": "What was left? Pick all that apply.",
                "es": "¿Qué dejaron? Elija todas las que correspondan.",
            },
            values=_values(
                ("furniture", "Furniture", "Muebles"),
                ("mattress", "Mattress", "Colchón"),
                ("tires", "Tires", "Llantas"),
                ("appliances", "Appliances", "Electrodomésticos"),
                ("bags", "Bags of trash", "Bolsas de basura"),
                ("other", "Something else", "Otra cosa"),
            ),
        ),
        _attribute(
            "item_count",
            2,
            "number",
            False,
            {"en": "About how many things are there?", "es": "¿Más o menos cuántas cosas hay?"},
            {"en": "A whole number, for example 4", "es": "Un número entero, por ejemplo 4"},
        ),
        _attribute(
            "details",
            3,
            "text",
            False,
            {"en": "Anything else the crew should know", "es": "Algo más que el equipo deba saber"},
        ),
    ],
}

NOISE = {
    "service_code": "noise",
    "service_name": {"en": "Noise complaint", "es": "Queja por ruido"},
    "description": {
        "en": "Loud noise from a business, a party or a building site.",
        "es": "Ruido fuerte de un negocio, una fiesta o una obra.",
    },
    "metadata": False,
    "type": "realtime",
    "keywords": {"en": "noise,loud,music,party", "es": "ruido,fuerte,música,fiesta"},
    "group": {"en": "Neighbors", "es": "Vecinos"},
    "agency_responsible": {"en": "Lindenfield Code Enforcement", "es": "Inspección de Lindenfield"},
    "service_notice": {
        "en": "For noise happening right now at night, call 311.",
        "es": "Si el ruido es ahora y de noche, llame al 311.",
    },
    "expected_days": None,
    "attributes": [],
}

OPEN311_SERVICES = [POTHOLE, STREETLIGHT, GRAFFITI, ILLEGAL_DUMPING, NOISE]
