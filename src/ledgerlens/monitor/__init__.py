"""Data profiling, quality and drift monitoring.

``profile_bank`` reduces a bank's transactions and ground truth to a small
``BankProfile``; ``summary_text`` prints it for the terminal and ``render_html``
turns it into one self-contained HTML page that ``write_report`` saves.
"""

from ledgerlens.monitor._profile import BankProfile, profile_bank, summary_text
from ledgerlens.monitor._report import render_html, write_report

__all__ = ["BankProfile", "profile_bank", "render_html", "summary_text", "write_report"]
