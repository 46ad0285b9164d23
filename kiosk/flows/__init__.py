"""Resident services, one Flow each (see kiosk/flows/base.py).

The model builds one instance of every class listed here, in this order.
"""

from __future__ import annotations

FLOW_CLASSES: list[type] = []
