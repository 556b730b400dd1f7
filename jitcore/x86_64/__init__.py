"""x86-64 back end: registers (registers.py) and the machine-code encoder (encoder.py)."""
