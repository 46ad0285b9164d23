"""Resident services, one Flow each (see kiosk/flows/base.py).

The model builds one instance of every class listed here, in this order.
"""

from __future__ import annotations

from kiosk.flows.account import AccountFlow
from kiosk.flows.help import HelpFlow
from kiosk.flows.news import NewsFlow
from kiosk.flows.pay_bill import PayBillFlow
from kiosk.flows.permits import PermitsFlow
from kiosk.flows.records import RecordsFlow
from kiosk.flows.report import ReportFlow
from kiosk.flows.track import TrackFlow

FLOW_CLASSES: list[type] = []
FLOW_CLASSES.append(TrackFlow)
FLOW_CLASSES.append(AccountFlow)
FLOW_CLASSES.append(PayBillFlow)
FLOW_CLASSES.append(ReportFlow)
FLOW_CLASSES.append(HelpFlow)
FLOW_CLASSES.append(NewsFlow)
FLOW_CLASSES.append(RecordsFlow)
FLOW_CLASSES.append(PermitsFlow)
