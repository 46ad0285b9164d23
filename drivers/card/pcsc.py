"""Place for the real ID-card reader driver (a later issue builds it).

It will be a ``drivers.card.interface.CardReaderDriver`` named "pcsc", built on
pyscard: watch readers and cards through pcscd, identify each card by SELECTing the
BELPIC / PIV AIDs (not by ATR), fall back to the contactless UID pseudo-APDU, read only
the fields a service needs, and report ReaderAdded/ReaderRemoved, CardInserted,
CardRead or ReadFailed and CardRemoved to subscribers. See
/work/shared/docs/hardware.md ("Smart cards") for pyscard pitfalls to handle.

Nothing is defined here yet on purpose: importing a driver that pretends to work would
be worse than the ValueError the device manager raises for an unknown driver name.
"""
