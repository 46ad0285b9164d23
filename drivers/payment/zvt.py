"""Place for the real card-payment terminal driver (a later issue builds it).

It will be a ``drivers.payment.interface.PaymentTerminalDriver`` named "zvt", speaking
ZVT (PA00P015/PA00P016) over pyserial (RS-232, or ``socket://`` for ZVT over TCP):
registration 06 00, authorization 06 01 with intermediate statuses 04 FF mapped to
PaymentStage, status information 04 0F mapped to PaymentResult (PAN masking converted
from E nibbles; an unmasked PAN is dropped), receipt lines 06 D1/06 D3, abort 06 1E,
end of day 06 50, and the unknown-outcome recovery (05 01 then 06 20). See
/work/shared/docs/hardware.md ("Serial payment terminal: ZVT").

Nothing is defined here yet on purpose: importing a driver that pretends to work would
be worse than the ValueError the device manager raises for an unknown driver name.
"""
