"""The look shared by ledgerlens' HTML reports (enrichment evaluation, monitoring): colours,
type, headings, status marks. Each report adds the rules of its own layout."""

from __future__ import annotations

__all__ = ["BASE_CSS"]

BASE_CSS = """
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --ok: #2e7d32; --bad: #c0392b; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #f9fafb; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; }
figure { margin: 12px 0; background: #fff; border: 1px solid var(--line); border-radius: 8px;
         padding: 8px; }
th { background: #f3f4f6; font-weight: 600; }
.ok { color: var(--ok); font-weight: 600; }
.bad { color: var(--bad); font-weight: 600; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
"""
