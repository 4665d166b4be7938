"""ledgerlens: open-source engine for bank transaction analysis."""

__version__ = "0.1.0"
