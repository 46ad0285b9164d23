"""Amounts of money as the resident reads them, the same on screen and on paper."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency


def format_money(cents: int, currency: str, language: str) -> str:
    """``cents`` of ``currency`` (ISO 4217) with the symbol, separators and order of
    ``language`` (CLDR, through Babel): "$1,234.56", "1.234,56 €". Exact: an amount is
    never a float on its way to the resident."""
    return format_currency(Decimal(cents).scaleb(-2), currency, locale=language)
