"""Lindenfield's public content, in English and Spanish: news and notices, questions
and answers, a glossary, and public records (council agendas and minutes, documents).

Plain everyday words, short sentences. Dates are counted from the day the demo starts,
so "this week" stays true whenever the demo runs. The identifiers are what tests and
demo visitors rely on: treat them as a stable interface.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from portal.content import ContentStore

# (id, kind, published days ago, shown until days from now or None, title, body)
NEWS = (
    ("news-road-works", "notice", 2, 9,
     {"en": "Linden Road is closed near City Hall until next week",
      "es": "Linden Road está cerrada cerca del Ayuntamiento hasta la próxima semana"},
     {"en": "Workers are fixing a water pipe. Buses 3 and 7 stop on Elm Street instead. "
            "You can still walk to City Hall from Park Avenue.",
      "es": "Se está arreglando una tubería de agua. Los autobuses 3 y 7 paran en Elm Street. "
            "Puede llegar a pie al Ayuntamiento por Park Avenue."}),
    ("news-holiday-hours", "notice", 4, 30,
     {"en": "City Hall hours over the holidays",
      "es": "Horario del Ayuntamiento en las fiestas"},
     {"en": "City Hall is closed on December 25 and January 1. On December 24 and 31 it "
            "closes at noon. This kiosk at the library stays open when the library is open.",
      "es": "El Ayuntamiento cierra el 25 de diciembre y el 1 de enero. El 24 y el 31 de "
            "diciembre cierra al mediodía. Este quiosco de la biblioteca abre cuando abre la "
            "biblioteca."}),
    ("news-leaf-pickup", "news", 6, None,
     {"en": "Leaf pickup: put bags at the curb by Monday",
      "es": "Recogida de hojas: deje las bolsas en la acera antes del lunes"},
     {"en": "The city picks up paper bags of leaves on your normal trash day. Do not use "
            "plastic bags. Put the bags out by 7 am.",
      "es": "La ciudad recoge las bolsas de papel con hojas el día normal de la basura. No use "
            "bolsas de plástico. Saque las bolsas antes de las 7 de la mañana."}),
    ("news-council-budget", "news", 12, None,
     {"en": "Tell the council what you think of next year's budget",
      "es": "Diga al concejo qué piensa del presupuesto del próximo año"},
     {"en": "Anyone can speak at the council meeting on the budget. You can also read the "
            "draft budget at this kiosk: choose Council meetings.",
      "es": "Cualquier persona puede hablar en la reunión del concejo sobre el presupuesto. "
            "También puede leer el borrador en este quiosco: elija Reuniones del concejo."}),
    ("news-old-closure", "notice", 40, -10,
     {"en": "Mill Lane bridge closed for painting",
      "es": "Puente de Mill Lane cerrado por pintura"},
     {"en": "The bridge is open again.", "es": "El puente ya está abierto."}),
)  # fmt: skip

FAQ = (
    ("faq-pay-cash",
     {"en": "Can I pay with cash at this kiosk?",
      "es": "¿Puedo pagar en efectivo en este quiosco?"},
     {"en": "No. This kiosk takes bank cards only. You can pay with cash at the front desk "
            "of City Hall.",
      "es": "No. Este quiosco solo acepta tarjetas bancarias. Puede pagar en efectivo en la "
            "recepción del Ayuntamiento."}),
    ("faq-receipt",
     {"en": "What if the receipt does not print?",
      "es": "¿Qué pasa si el recibo no se imprime?"},
     {"en": "Your request or payment is still saved. Write down the reference on the screen. "
            "You can also get the receipt by email or text message, or ask staff to print it.",
      "es": "Su solicitud o pago queda guardado. Anote la referencia de la pantalla. También "
            "puede recibir el recibo por correo electrónico o mensaje de texto, o pedir al "
            "personal que lo imprima."}),
    ("faq-offline",
     {"en": "What happens when the kiosk is offline?",
      "es": "¿Qué pasa cuando el quiosco no tiene conexión?"},
     {"en": "The kiosk saves what you send and sends it to the city when the connection "
            "comes back. Your receipt says \"queued\" until then.",
      "es": "El quiosco guarda lo que usted envía y lo manda a la ciudad cuando vuelve la "
            "conexión. Hasta entonces su recibo dice \"en cola\"."}),
    ("faq-privacy",
     {"en": "Does the kiosk keep my information?",
      "es": "¿El quiosco guarda mis datos?"},
     {"en": "No. When you touch Finish, or take your card out, the kiosk forgets what you "
            "typed. The city keeps only what you sent to it.",
      "es": "No. Cuando toca Terminar, o saca su tarjeta, el quiosco olvida lo que usted "
            "escribió. La ciudad solo guarda lo que usted le envió."}),
    ("faq-meeting-speak",
     {"en": "How can I speak at a council meeting?",
      "es": "¿Cómo puedo hablar en una reunión del concejo?"},
     {"en": "Come to the meeting and write your name on the list at the door before it "
            "starts. Each person can speak for 3 minutes.",
      "es": "Venga a la reunión y escriba su nombre en la lista de la puerta antes de que "
            "empiece. Cada persona puede hablar 3 minutos."}),
    ("faq-report-status",
     {"en": "How do I know what happened to my report?",
      "es": "¿Cómo sé qué pasó con mi reporte?"},
     {"en": "Scan the code on your receipt with a phone, or choose Check a report here and "
            "type your number.",
      "es": "Escanee el código de su recibo con un teléfono, o elija Consultar un reporte aquí "
            "y escriba su número."}),
    ("faq-language",
     {"en": "Can I use the kiosk in my language?",
      "es": "¿Puedo usar el quiosco en mi idioma?"},
     {"en": "Yes. Touch your language at the bottom of the screen at any time. What you "
            "typed stays.",
      "es": "Sí. Toque su idioma abajo en la pantalla cuando quiera. Lo que escribió se "
            "mantiene."}),
)  # fmt: skip

GLOSSARY = (
    ("term-agenda", {"en": "Agenda", "es": "Orden del día"},
     {"en": "The list of topics a meeting will talk about, shared before the meeting.",
      "es": "La lista de temas de una reunión, publicada antes de la reunión."}),
    ("term-minutes", {"en": "Minutes", "es": "Actas"},
     {"en": "The written record of what was said and decided at a meeting.",
      "es": "El registro escrito de lo que se dijo y se decidió en una reunión."}),
    ("term-council", {"en": "City council", "es": "Concejo municipal"},
     {"en": "The group of people residents elect to make the city's decisions.",
      "es": "El grupo de personas que los vecinos eligen para tomar las decisiones de la "
            "ciudad."}),
    ("term-ordinance", {"en": "Ordinance", "es": "Ordenanza"},
     {"en": "A local law the city council passes.",
      "es": "Una ley local que aprueba el concejo municipal."}),
    ("term-budget", {"en": "Budget", "es": "Presupuesto"},
     {"en": "The plan for how the city gets and spends its money in a year.",
      "es": "El plan de cómo la ciudad recibe y gasta su dinero en un año."}),
    ("term-permit", {"en": "Permit", "es": "Permiso"},
     {"en": "Written permission from the city to do something, like build a fence.",
      "es": "Un permiso escrito de la ciudad para hacer algo, como construir una cerca."}),
    ("term-reference", {"en": "Reference", "es": "Referencia"},
     {"en": "The short code on your receipt. Staff use it to find what you sent.",
      "es": "El código corto de su recibo. El personal lo usa para encontrar lo que envió."}),
    ("term-queued", {"en": "Queued", "es": "En cola"},
     {"en": "Saved at the kiosk and waiting to be sent to the city.",
      "es": "Guardado en el quiosco y esperando para enviarse a la ciudad."}),
    ("term-public-hearing", {"en": "Public hearing", "es": "Audiencia pública"},
     {"en": "A part of a meeting where anyone can speak about a topic.",
      "es": "Una parte de una reunión donde cualquier persona puede hablar de un tema."}),
)  # fmt: skip


def _pages(*pages: tuple[str, str]) -> list[dict[str, str]]:
    return [{"en": en, "es": es} for en, es in pages]


# (id, type, days from today (negative: past), title, summary, pages)
RECORDS: tuple[tuple[str, str, int, dict, dict, list], ...] = (
    ("agenda-council-next", "agenda", 5,
     {"en": "City council meeting: agenda", "es": "Reunión del concejo: orden del día"},
     {"en": "The council will vote on next year's budget and hear residents about the "
            "new park on River Street.",
      "es": "El concejo votará el presupuesto del próximo año y escuchará a los vecinos sobre "
            "el nuevo parque de River Street."},
     _pages(
         ("The meeting starts at 6 pm in the council room at City Hall, 100 Linden Road. "
          "Everyone is welcome.\n\n1. Welcome and roll call.\n\n2. Residents speak: up to 3 "
          "minutes each. Write your name on the list at the door.",
          "La reunión empieza a las 6 de la tarde en la sala del concejo del Ayuntamiento, "
          "100 Linden Road. Todos son bienvenidos.\n\n1. Bienvenida y lista de asistencia."
          "\n\n2. Hablan los vecinos: hasta 3 minutos cada uno. Escriba su nombre en la lista "
          "de la puerta."),
         ("3. Public hearing: the new park on River Street. The plan has a playground, "
          "trees and a path along the river.\n\n4. Vote: next year's budget.",
          "3. Audiencia pública: el nuevo parque de River Street. El plan tiene juegos para "
          "niños, árboles y un camino junto al río.\n\n4. Votación: el presupuesto del "
          "próximo año."),
         ("5. Vote: longer library hours on Saturdays.\n\n6. Other business.\n\n"
          "7. End of the meeting.",
          "5. Votación: más horas de biblioteca los sábados.\n\n6. Otros asuntos.\n\n"
          "7. Fin de la reunión."),
     )),
    ("minutes-council-last", "minutes", -9,
     {"en": "City council meeting: minutes", "es": "Reunión del concejo: actas"},
     {"en": "The council approved new street lights on Maple Avenue and talked about "
            "parking near the library.",
      "es": "El concejo aprobó nuevas luces en Maple Avenue y habló del estacionamiento "
            "cerca de la biblioteca."},
     _pages(
         ("Present: Mayor Ortiz and six council members. The meeting started at 6:02 pm."
          "\n\nFour residents spoke. Two asked for more parking near the library. One asked "
          "for a crosswalk on Oak Street.",
          "Presentes: la alcaldesa Ortiz y seis concejales. La reunión empezó a las 6:02 de "
          "la tarde.\n\nHablaron cuatro vecinos. Dos pidieron más estacionamiento cerca de la "
          "biblioteca. Uno pidió un paso de peatones en Oak Street."),
         ("Decision: new street lights on Maple Avenue. Approved, 6 votes for, 1 against."
          "\n\nParking near the library: staff will bring a plan to the next meeting.\n\n"
          "The meeting ended at 7:45 pm.",
          "Decisión: nuevas luces en Maple Avenue. Aprobado, 6 votos a favor y 1 en contra."
          "\n\nEstacionamiento cerca de la biblioteca: el personal traerá un plan a la "
          "próxima reunión.\n\nLa reunión terminó a las 7:45 de la tarde."),
     )),
    ("agenda-parks-board", "agenda", -20,
     {"en": "Parks board meeting: agenda", "es": "Reunión de la junta de parques: orden del día"},
     {"en": "The parks board talked about the River Street park plan and summer programs.",
      "es": "La junta de parques habló del plan del parque de River Street y de los programas "
            "de verano."},
     _pages(
         ("1. The River Street park plan: first drawings.\n\n2. Summer programs for "
          "children: swimming and soccer.\n\n3. Residents speak.",
          "1. El plan del parque de River Street: primeros dibujos.\n\n2. Programas de verano "
          "para niños: natación y fútbol.\n\n3. Hablan los vecinos."),
     )),
    ("minutes-parks-board", "minutes", -20,
     {"en": "Parks board meeting: minutes", "es": "Reunión de la junta de parques: actas"},
     {"en": "The parks board asked for a bigger playground in the River Street park.",
      "es": "La junta de parques pidió juegos más grandes en el parque de River Street."},
     _pages(
         ("The board looked at the first drawings of the River Street park. Members asked "
          "for a bigger playground and more benches.\n\nSummer swimming lessons will be free "
          "for children under 12.",
          "La junta vio los primeros dibujos del parque de River Street. Pidieron juegos más "
          "grandes y más bancos.\n\nLas clases de natación de verano serán gratis para niños "
          "menores de 12 años."),
     )),
    ("minutes-council-spring", "minutes", -200,
     {"en": "City council meeting: minutes (spring)",
      "es": "Reunión del concejo: actas (primavera)"},
     {"en": "The council approved the plan to fix potholes on Elm Street and Station Road.",
      "es": "El concejo aprobó el plan para arreglar baches en Elm Street y Station Road."},
     _pages(
         ("Decision: fix potholes on Elm Street and Station Road this summer. Approved by "
          "all members.\n\nThe council thanked the library volunteers.",
          "Decisión: arreglar los baches de Elm Street y Station Road este verano. Aprobado "
          "por todos.\n\nEl concejo dio las gracias a los voluntarios de la biblioteca."),
     )),
    ("doc-budget-draft", "document", -14,
     {"en": "Draft budget for next year", "es": "Borrador del presupuesto del próximo año"},
     {"en": "How the city plans to spend its money next year: most goes to streets, water, "
            "parks and the library.",
      "es": "Cómo piensa gastar la ciudad su dinero el próximo año: la mayor parte va a "
            "calles, agua, parques y la biblioteca."},
     _pages(
         ("This is a draft. The council votes on it at its next meeting.\n\nStreets and "
          "sidewalks: 31 of every 100 dollars.\n\nWater and sewer: 24 of every 100 dollars.",
          "Es un borrador. El concejo lo vota en su próxima reunión.\n\nCalles y aceras: 31 "
          "de cada 100 dólares.\n\nAgua y alcantarillado: 24 de cada 100 dólares."),
         ("Police and fire: 22 of every 100 dollars.\n\nParks and the library: 13 of every "
          "100 dollars.\n\nCity offices: 10 of every 100 dollars.",
          "Policía y bomberos: 22 de cada 100 dólares.\n\nParques y biblioteca: 13 de cada "
          "100 dólares.\n\nOficinas de la ciudad: 10 de cada 100 dólares."),
     )),
    ("doc-trash-rules", "document", -300,
     {"en": "Trash and recycling rules", "es": "Reglas de basura y reciclaje"},
     {"en": "What goes in the trash, what goes in recycling, and when the city picks them up.",
      "es": "Qué va a la basura, qué va al reciclaje y cuándo los recoge la ciudad."},
     _pages(
         ("Put bins at the curb by 7 am on your pickup day.\n\nRecycling: paper, cans and "
          "plastic bottles, clean and loose, not in bags.",
          "Saque los contenedores a la acera antes de las 7 de la mañana el día de recogida."
          "\n\nReciclaje: papel, latas y botellas de plástico, limpios y sueltos, no en "
          "bolsas."),
         ("Large items like sofas: call 311 to book a pickup.\n\nNever put paint, oil or "
          "batteries in the trash. Bring them to the city yard on Saturdays.",
          "Objetos grandes como sofás: llame al 311 para pedir la recogida.\n\nNunca ponga "
          "pintura, aceite ni pilas en la basura. Llévelos al depósito de la ciudad los "
          "sábados."),
     )),
    ("doc-snow-ordinance", "document", -420,
     {"en": "Snow on sidewalks: the city's rule", "es": "Nieve en las aceras: la regla de la "
      "ciudad"},
     {"en": "Owners must clear snow from the sidewalk in front of their home within 24 hours.",
      "es": "Los dueños deben quitar la nieve de la acera frente a su casa en 24 horas."},
     _pages(
         ("Ordinance 12. After snow stops, clear a path at least 3 feet wide within 24 "
          "hours.\n\nIf you cannot do it because of age or disability, call 311: volunteers "
          "can help.",
          "Ordenanza 12. Cuando deje de nevar, limpie un camino de al menos 1 metro de ancho "
          "en 24 horas.\n\nSi no puede por edad o discapacidad, llame al 311: hay voluntarios "
          "que pueden ayudar."),
     )),
)  # fmt: skip

RECORD_URL = "https://lindenfield.example/records/{id}"


def demo_news(today: date) -> list[dict[str, Any]]:
    return [
        {
            "id": item_id,
            "kind": kind,
            "published": (today - timedelta(days=age)).isoformat(),
            "until": None if until is None else (today + timedelta(days=until)).isoformat(),
            "title": title,
            "body": body,
        }
        for item_id, kind, age, until, title, body in NEWS
    ]


def demo_records(today: date) -> list[dict[str, Any]]:
    return [
        {
            "id": record_id,
            "type": record_type,
            "date": (today + timedelta(days=offset)).isoformat(),
            "title": title,
            "summary": summary,
            "pages": pages,
            "url": RECORD_URL.format(id=record_id),
        }
        for record_id, record_type, offset, title, summary, pages in RECORDS
    ]


def seed_content(store, today: date | None = None) -> None:
    """Load Lindenfield's news, help and records into ``store`` (a PortalStore)."""
    today = today or date.today()
    content = ContentStore(store)
    content.put_news(demo_news(today))
    content.put_faq(
        [{"id": i, "question": q, "answer": a} for i, q, a in FAQ],
    )
    content.put_glossary([{"id": i, "term": t, "meaning": m} for i, t, m in GLOSSARY])
    for record in demo_records(today):
        content.put_record(record)
