"""The ZVT payment terminal driver (PA00P015 commands, PA00P016 serial transport).

``ecr.ZvtTerminal`` is the kiosk's side; ``simulator.TerminalSimulator`` plays the
terminal for tests and demo kiosks; ``python -m drivers.payment.zvt`` is the
technicians' decode and probe tool. See /work/shared/docs/hardware.md.
"""
