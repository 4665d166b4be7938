"""Step 2 of enrichment: payment intermediaries, reported apart from the merchant behind them.

``PAYPAL *SPOTIFY`` is a Spotify subscription paid through PayPal; ``SQ *BOULANGERIE X``
a bakery using a Square terminal. Taking the wrapper for the merchant is a classic
enrichment error, so :func:`detect_intermediaries` names the intermediary
(``intermediary``) and hands the merchant part (``merchant_text``) to merchant matching.

>>> import polars as pl
>>> frame = pl.DataFrame({"clean_label": ["PAYPAL *SPOTIFY", "CARREFOUR"]})
>>> detect_intermediaries(frame).select("intermediary", "merchant_text").rows()
[('paypal', 'SPOTIFY'), (None, 'CARREFOUR')]
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import polars as pl

__all__ = ["INTERMEDIARY_RULES", "TERMINALS", "IntermediaryRule", "detect_intermediaries"]


@dataclass(frozen=True, slots=True)
class IntermediaryRule:
    """One way an intermediary shows in a cleaned label.

    ``pattern`` runs on ``clean_label``; its group 1 is the merchant part (may be
    empty). ``context`` (optional) must also match the joined raw label (``full_label``),
    for names that are also ordinary words or first names (``LYDIA``).
    """

    intermediary: str
    pattern: str
    context: str | None = None


_STAR = r"\s*[_*]+\s*"  # ``PAYPAL *X``, ``ZETTLE_*X``, ``LYF*X``
_P2P_TAIL = r"(?:\s+(?:VERS|POUR|A|DE|ENTRE AMIS)\b)?\s*[*:]?\s*(.*)$"
# A bank writing the app name first, or as the transfer's reason, means the app carried it.
_P2P_CONTEXT = (r"(?:^|MOTIF\s*:?\s*|^(?:VIR|VIREMENT)(?:\s+(?:SEPA|INST|INSTANTANE|RECU|EMIS"
                r"|[0-9]+))*\s+)")
# The app as a transfer's payer or payee (``VIR SEPA RECU /DE LYDIA SOLUTIONS``), not a person
# whose first name is Lydia (``VIREMENT DE LYDIA DURAND``).
_P2P_PAYER = (r"^(?:VIR|VIREMENT)\b.*?(?:/|\b)(?:DE|VERS|FROM|TO)\s*:?\s*(?:LYDIA|SUMERIA)"
              r"(?:\s+(?:SOLUTIONS|APP|SAS))?\s*(?:/|$)")
# A card payment to the app alone (``CB LYDIA 26/11``, ``PAIEMENT CB LYDIA SOLUTIONS``): money
# sent to a friend or a pot, topped up by card. ``CB LYDIA COIFFURE`` is a shop, not the app.
_APP_SUFFIX = r"(?:\s+(?:APP|SOLUTIONS|SAS))?"  # LYDIA APP, LYDIA SOLUTIONS: still the app
_P2P_CARD = (rf"^(?:CB|CARTE|PAIEMENT|ACHAT|FACTURE)\b.*\b(?:LYDIA|SUMERIA){_APP_SUFFIX}"
             r"(?:\s+[0-9][0-9/.]*)*\s*$")
# ... or to the app with the friend after its star (``CB LYDIA*MARIE DUPONT``) or after the
# date the bank prints after the payee (``CB LYDIA 0903 PAUL MARTIN``; a shop called Lydia
# has its own words before the date: ``CB LYDIA COIFFURE 26/11``)
_P2P_CARD_STAR = (r"^(?:CB|CARTE|PAIEMENT|ACHAT|FACTURE)\b.*\b(?:LYDIA|SUMERIA)"
                  r"(?:\s*\*|\s+[0-9]{2}[/.]?[0-9]{2}(?:[/.]?[0-9]{2,4})?\s+[A-Z])")

# The words of a card processor's company name and of its payout to a shop.
_PROCESSOR_TAIL = (r"(?:\s+(?:PAYMENTS?|EUROPE|LIMITED|LTD|SA|SAS|BV|AB|INC|TECHNOLOGIES"
                   r"|PAYOUTS?|VERSEMENT|REGLEMENT|TRANSFERT|VIREMENT|STRIPE|SUMUP|ZETTLE))+")

#: The card terminals and web checkouts of shops: what a customer pays through one is the
#: shop's, never the processor's. With no shop behind it (``CB SUMUP 12/03``, a name cut at
#: 50 characters: ``PAIEMENT PSC 2001 SAINT ETIENNE DU ROUVRAY SUMUP``) a card payment names
#: no merchant (PayPal and the wallets are services of their own; ``BARE_INTERMEDIARY_LINES``).
TERMINALS = ("sumup", "zettle", "square", "stripe", "lyf_pay", "lydia_pro", "shopify", "mollie",
             "viva_wallet", "worldline", "payzen", "adyen", "payplug", "hipay", "lemonway",
             "mypos", "yavin", "paybox", "monext")

#: Rules in priority order: the first that matches a label decides.
INTERMEDIARY_RULES: tuple[IntermediaryRule, ...] = (
    # phone wallets wrap any shop: ``APPLE PAY CARREFOUR``
    IntermediaryRule("apple_pay", r"^(?:APPLE\s*PAY|APPLEPAY)\b\s*\*?\s*(.*)$"),
    IntermediaryRule("google_pay", r"^(?:GOOGLE\s*PAY|GPAY|G\s+PAY)\b\s*\*?\s*(.*)$"),
    IntermediaryRule("samsung_pay", r"^SAMSUNG\s*PAY\b\s*\*?\s*(.*)$"),
    IntermediaryRule("apple_pay", r"^(.*?)\s+(?:VIA\s+)?APPLE\s*PAY$"),
    IntermediaryRule("google_pay", r"^(.*?)\s+(?:VIA\s+)?GOOGLE\s*PAY$"),
    # online checkouts and card terminals of small shops
    IntermediaryRule("paypal", rf"^PAYPAL{_STAR}(.*)$"),
    # PayPal Europe's own direct debit, its name again at the end: no shop behind it
    IntermediaryRule("paypal", r"^PAYPAL\s+\(?EUROPE\)?.*\sPAYPAL()$"),
    # PayPal Europe's direct debit with the shop in its reference, as German banks print it
    # (``PAYPAL EUROPE S.A.R.L. ET CIE S.C.A SPOTIFY AB, IHR EINKAUF BEI SPOTIFY AB``)
    IntermediaryRule("paypal", r"^PAYPAL\s+\(?EUROPE\)?\s+S\.?\s?A\.?\s?R\.?\s?L\.?\s+ET\s+CIE"
                     r"\s+S\.?\s?C\.?\s?A\.?\s+(.+?)(?:,?\s+IHR\s+EINKAUF\s+BEI\b.*)?$"),
    IntermediaryRule("paypal", r"^PAYPAL(?:\s+\(?EUROPE\)?.*|\s+PTE.*|\s+ENVOI.*)?()$"),
    # a processor's own name, as the payer of a shop's takings (``SUMUP PAYMENTS PAYOUT``,
    # ``STRIPE PAYMENTS EUROPE``): no shop behind it
    IntermediaryRule("sumup", rf"^SUM\s*UP{_PROCESSOR_TAIL}()$"),
    IntermediaryRule("stripe", rf"^STRIPE{_PROCESSOR_TAIL}()$"),
    IntermediaryRule("zettle", rf"^I?ZETTLE{_PROCESSOR_TAIL}()$"),
    IntermediaryRule("sumup", rf"^SUM\s*UP(?:{_STAR}|\s+)(.*)$"),
    IntermediaryRule("square", rf"^(?:SQ|SQU|SQUARE){_STAR}(.*)$"),
    IntermediaryRule("zettle", rf"^(?:ZETTLE|IZETTLE|IZ|ZTL){_STAR}(.*)$"),
    IntermediaryRule("stripe", rf"^STRIPE{_STAR}(.*)$"),
    # a terminal's name alone: the shop's name was cut off (``PAIEMENT PSC 1709 SAINT
    # ETIENNE DU ROUVRAY STRIPE``, at 50 characters)
    IntermediaryRule("sumup", r"^SUM\s*UP()$"),
    IntermediaryRule("zettle", r"^(?:ZETTLE|IZETTLE)()$"),
    IntermediaryRule("stripe", r"^STRIPE()$"),
    # ``SQ *STAR51100REIMS``: the shop glued to its postcode went with the codes
    IntermediaryRule("square", r"^(?:SQ|SQUARE)()$"),
    IntermediaryRule("lyf_pay", rf"^(?:LYF|LYFPAY|LYF\s+PAY)(?:{_STAR}|\s+)(.*)$"),
    # the app's acceptance for shops (``LYDIA PRO *LE BISTROT``): a shop's checkout, no
    # money sent to a friend
    IntermediaryRule("lydia_pro", rf"^(?:LYDIA|SUMERIA)\s+PRO(?:{_STAR}|\s+)(.+)$"),
    IntermediaryRule("amazon_pay", rf"^(?:AMAZON\s+PAY(?:MENTS?)?|AMZN\s+PAY|PAY\.AMAZON)"
                     rf"{_STAR}(.+)$"),
    # Shopify Payments' web shops (``SP *LOUISE MISHA``, ``SHOPIFY *SEZANE``)
    IntermediaryRule("shopify", rf"^(?:SP|SHOPIFY){_STAR}(.+)$"),
    IntermediaryRule("google", rf"^GOOGLE{_STAR}(.*)$"),
    IntermediaryRule("mollie", rf"^(?:MOL|MOLLIE){_STAR}(.+)$"),
    IntermediaryRule("viva_wallet", rf"^(?:VIVA|VIVA\s*WALLET|VW){_STAR}(.+)$"),
    IntermediaryRule("worldline", rf"^(?:WL|WORLDLINE){_STAR}(.+)$"),
    IntermediaryRule("payzen", rf"^(?:LYRA|PAYZEN|SYSTEMPAY){_STAR}(.+)$"),
    IntermediaryRule("klarna", rf"^KLARNA{_STAR}(.+)$"),
    IntermediaryRule("curve", rf"^CRV{_STAR}(.+)$"),
    # The public bodies' online checkout (the Treasury's PayFiP, formerly TIPI): the town
    # hall, hospital or water board follows (``PAYFIP CH DE ROUEN``). So with the Treasury
    # collecting for a town's service (``TRESOR PUBLIC REGIE CANTINE SCOLAIRE``): the régie's
    # service, no tax.
    IntermediaryRule("payfip", r"^(?:PAYFIP|TIPI|(?:TRESOR\s+PUBLIC|DGFIP|DRFIP)\s+REGIE)"
                               r"(?:\s+(?:REGIE|TITRE))?\s+(.+)$"),
    # Other acquirers and checkouts of small and online shops, always with their star
    # (``ADYEN*UBER``, ``VIVA WALLET*LA CANTINE``); pay-later checkouts (``ALMA*LA
    # REDOUTE``) carry a purchase too, whose instalments the lender bills later.
    IntermediaryRule("adyen", rf"^ADYEN{_STAR}(.+)$"),
    IntermediaryRule("payplug", rf"^PAYPLUG{_STAR}(.+)$"),
    IntermediaryRule("hipay", rf"^HIPAY{_STAR}(.+)$"),
    IntermediaryRule("lemonway", rf"^LEMON\s*WAY{_STAR}(.+)$"),
    IntermediaryRule("mypos", rf"^MYPOS{_STAR}(.+)$"),
    IntermediaryRule("yavin", rf"^YAVIN{_STAR}(.+)$"),
    IntermediaryRule("paybox", rf"^PAYBOX{_STAR}(.+)$"),
    IntermediaryRule("monext", rf"^(?:MONEXT|PAYLINE){_STAR}(.+)$"),
    IntermediaryRule("gocardless", rf"^GOCARDLESS{_STAR}(.+)$"),
    IntermediaryRule("alma", rf"^ALMA{_STAR}(.+)$"),
    IntermediaryRule("scalapay", rf"^SCALAPAY{_STAR}(.+)$"),
    # The same wrappers after a town the cleaner does not know, in banks that print the town
    # first (``PAIEMENT CB 2811 ST PRIEST SUMUP *CAFE``): the star marks the wrapper.
    IntermediaryRule("paypal", rf"^.*?\bPAYPAL{_STAR}(.+)$"),
    IntermediaryRule("sumup", rf"^.*?\bSUM\s*UP{_STAR}(.+)$"),
    IntermediaryRule("square", rf"^.*?\b(?:SQ|SQUARE){_STAR}(.+)$"),
    IntermediaryRule("zettle", rf"^.*?\b(?:ZETTLE|IZETTLE){_STAR}(.+)$"),
    IntermediaryRule("stripe", rf"^.*?\bSTRIPE{_STAR}(.+)$"),
    IntermediaryRule("lyf_pay", rf"^.*?\b(?:LYF|LYFPAY){_STAR}(.+)$"),
    # person-to-person apps, usually inside a transfer
    IntermediaryRule("paylib", rf"^PAYLIB(?:\s+ENTRE\s+AMIS)?{_P2P_TAIL}"),
    IntermediaryRule("wero", rf"^(?:WERO|EPI\s+WERO){_P2P_TAIL}"),
    IntermediaryRule("lydia", rf"^(?:LYDIA|SUMERIA){_APP_SUFFIX}()$",
                     context=_P2P_CARD),
    IntermediaryRule("lydia", rf"^(?:LYDIA|SUMERIA){_APP_SUFFIX}{_P2P_TAIL}",
                     context=_P2P_PAYER),
    IntermediaryRule("lydia", rf"^(?:LYDIA|SUMERIA){_P2P_TAIL}",
                     context=rf"{_P2P_CONTEXT}(?:LYDIA|SUMERIA)\b"),
    IntermediaryRule("lydia", rf"^(?:LYDIA|SUMERIA){_P2P_TAIL}", context=_P2P_CARD_STAR),
    IntermediaryRule("lydia", r"^(?:LYDIA|SUMERIA)\s+(?:VERS|POUR|A|DE)\s+(.*)$"),
    IntermediaryRule("paylib", r"^(.*?)\s*\bPAYLIB\b\s*(.*)$", context=r"MOTIF\s*:?\s*PAYLIB\b"),
    IntermediaryRule("wero", r"^(.*?)\s*\bWERO\b\s*(.*)$", context=r"MOTIF\s*:?\s*WERO\b"),
    IntermediaryRule("lydia", r"^(.*?)\s*\bLYDIA\b\s*(.*)$", context=r"MOTIF\s*:?\s*LYDIA\b"),
)

# ``GOOGLE *YOUTUBE`` is Google billing its own service, not a store it carries.
_GOOGLE_OWN = r"^(?:GOOGLE|YOUTUBE|YT\b|GSUITE|G\s*SUITE|WORKSPACE|FI\b|NEST|STADIA|PIXEL)"


@functools.cache
def _any_rule() -> str:
    """One regex matching every label some rule's pattern matches (the patterns joined):
    labels it misses (most of them) need none of the per-rule regexes."""
    return "|".join(f"(?:{rule.pattern})" for rule in INTERMEDIARY_RULES)


@functools.cache
def _rules_exprs() -> tuple[pl.Expr, pl.Expr]:
    """(intermediary, merchant text) over ``_label``/``_upper``: the first matching rule,
    as expressions built once per process."""
    label, upper = pl.col("_label"), pl.col("_upper")
    inter: pl.Expr = pl.lit(None, pl.String)
    text: pl.Expr = pl.lit(None, pl.String)
    for rule in reversed(INTERMEDIARY_RULES):
        hit, merchant = _rule_parts(rule, label, upper)
        inter = pl.when(hit).then(pl.lit(rule.intermediary)).otherwise(inter)
        text = pl.when(hit).then(merchant).otherwise(text)
    return inter.alias("intermediary"), text.alias("_text")


def _rule_parts(rule: IntermediaryRule, label: pl.Expr, full: pl.Expr) -> tuple[pl.Expr,
                                                                                 pl.Expr]:
    """(did it match, merchant text) for one rule; two groups join with a space."""
    hit = label.str.contains(rule.pattern)
    if rule.context is not None:
        hit = hit & full.str.contains(rule.context)
    groups = label.str.extract_groups(rule.pattern)
    n_groups = re.compile(rule.pattern).groups
    parts = [groups.struct.field(str(i)) for i in range(1, n_groups + 1)]
    text = (pl.concat_str(parts, separator=" ", ignore_nulls=True) if len(parts) > 1
            else parts[0])
    return hit.fill_null(False), text.str.strip_chars()


def detect_intermediaries(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``intermediary`` (lower-case id or null) and ``merchant_text`` (the merchant
    part of ``clean_label``; ``clean_label`` itself when nothing wraps it).

    Needs ``clean_label``; reads ``full_label`` when present (a P2P app named in the
    transfer's reason). Works on distinct labels and joins back.
    """
    if "clean_label" not in frame.columns:
        from ledgerlens.exceptions import DataError

        raise DataError("detect_intermediaries needs a clean_label column (run clean_labels "
                        f"first); got columns {', '.join(frame.columns)}")
    full = (pl.col("full_label") if "full_label" in frame.columns else pl.col("clean_label"))
    if frame.height == 1:  # one transaction: the same rules on plain strings
        from ledgerlens.enrich._few_rows import row_text, with_row_values

        one = _resolve_one(row_text(frame, "clean_label"), row_text(
            frame, "full_label" if "full_label" in frame.columns else "clean_label"))
        if one is not None:
            return with_row_values(frame, intermediary=one[0], merchant_text=one[1])
    keys = frame.select(pl.col("clean_label").cast(pl.String).fill_null("").alias("_label"),
                        full.cast(pl.String).fill_null("").alias("_full"))
    label = pl.col("_label")
    labels = keys.select(label).unique()
    if not labels.select(label.str.contains(_any_rule()).any()).item():
        # No rule can match: nothing wraps these labels (one regex instead of dozens).
        return frame.with_columns(intermediary=pl.lit(None, pl.String),
                                  merchant_text=keys.get_column("_label"))
    # Only a label that a rule with a context matches needs its full label: the rest are
    # resolved once per distinct clean label (far fewer than distinct full labels).
    labels = labels.with_columns(label.str.contains(_context_rules()).alias("_ctx"))
    plain = _resolve(labels.filter(~pl.col("_ctx")).with_columns(_full=pl.lit("")))
    labels = labels.join(plain.select("_label", "intermediary", "merchant_text"),
                         on="_label", how="left")
    joined = keys.join(labels, on="_label", how="left", maintain_order="left")
    inter = joined.get_column("intermediary")
    text = joined.get_column("merchant_text")
    if labels.get_column("_ctx").any():
        at = joined.select(pl.arg_where(pl.col("_ctx"))).to_series()
        pairs = joined.select("_label", "_full").gather(at)
        solved = _resolve(pairs.unique())
        hits = pairs.join(solved, on=["_label", "_full"], how="left", maintain_order="left")
        inter = inter.scatter(at, hits.get_column("intermediary"))
        text = text.scatter(at, hits.get_column("merchant_text"))
    return frame.with_columns(inter, text)


@functools.cache
def _context_rules() -> str:
    """One regex matching every label the pattern of a rule with a context matches."""
    return "|".join(f"(?:{rule.pattern})" for rule in INTERMEDIARY_RULES
                    if rule.context is not None)


def _resolve(unique: pl.DataFrame) -> pl.DataFrame:
    """``intermediary`` and ``merchant_text`` for distinct (``_label``, ``_full``) rows."""
    label = pl.col("_label")
    unique = unique.with_columns(
        pl.col("_full").str.slice(0, 512).str.to_uppercase().alias("_upper"))
    unique = unique.with_columns(*_rules_exprs())
    own = (pl.col("intermediary") == "google") & pl.col("_text").str.contains(_GOOGLE_OWN)
    return unique.with_columns(
        pl.when(own).then(pl.lit(None, pl.String)).otherwise(pl.col("intermediary"))
        .alias("intermediary"),
        pl.when(own | pl.col("_text").is_null() | (pl.col("_text") == ""))
        .then(label).otherwise(pl.col("_text")).alias("merchant_text"))


@functools.cache
def _compiled() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str],
                         tuple[tuple[str, re.Pattern[str], re.Pattern[str] | None], ...]]:
    """(any rule, any rule with a context, Google's own services, each rule) compiled
    for Python's ``re``, once per process."""
    rules = tuple((r.intermediary, re.compile(r.pattern),
                   None if r.context is None else re.compile(r.context))
                  for r in INTERMEDIARY_RULES)
    return (re.compile(_any_rule()), re.compile(_context_rules()), re.compile(_GOOGLE_OWN),
            rules)


def _resolve_one(label: str | None, full: str | None) -> tuple[str | None, str] | None:
    """(``intermediary``, ``merchant_text``) of one label as the table path computes them,
    or None when its text holds a character only the table path handles exactly."""
    from ledgerlens.enrich._clean_row import safe_text

    if not safe_text(label, full):
        return None
    label, full = label or "", full or ""
    any_rule, context_rules, google_own, rules = _compiled()
    if not any_rule.search(label):
        return None, label
    # As the table path: only a label a context rule's pattern matches reads its full label.
    upper = full[:512].upper() if context_rules.search(label) else ""
    for name, pattern, context in rules:
        found = pattern.search(label)
        if found is None or (context is not None and not context.search(upper)):
            continue
        groups = found.groups()
        text = (" ".join(g for g in groups if g is not None) if len(groups) > 1
                else groups[0])
        text = text.strip() if text is not None else None
        if name == "google" and text is not None and google_own.search(text):
            return None, label
        return name, text or label
    return None, label
