"""Person names in transfer and direct-debit labels.

Words are first *tagged* in the marked text with a prefix character: label keywords and
reasons (``VIR``, ``LOYER``, months), grammatical words, organisation words (``SARL``,
``BTP``, ``CPAM``), titles, and the first and last names of the lexicon. A name is then a
short run of untagged or name-tagged words in a position where a bank writes one: after
a title (``M``, ``MME``...), after a transfer's direction word (``DE``, ``VERS``,
``POUR:``, ``/BEN``...), or right after the transfer's own words (two words or more, or
one the lexicon knows). The run follows the usual orders (``JEAN DUPONT``,
``DUPONT JEAN``, ``DUPONT J``, ``LE GALL``, ``DE LA ROCHE``) and stops at a tagged word, a
digit or punctuation, so the free-text reason stays. Runs next to an organisation word
are protected first: ``DUPONT BTP`` paying a salary is a company. Card labels never go
through these rules: a shop named after its owner is a merchant.

Labels are cut at their bank's line width, often in the middle of a name or of what
follows it; a name that reaches the end of a line takes the cut word along, the second
line's first word goes on with it, and in a transfer to or from a person what is left at
the end of a cut label (``FR76``, ``06 12``, ``JEAN.DU``, ``VA``) is masked too.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import polars as pl

from ledgerlens.privacy import _words as w
from ledgerlens.privacy._patterns import (
    CLOSE,
    OPEN,
    iban_country_alternation,
    protect,
    reference_keep,
    wrap,
    wrap_either,
)

__all__ = [
    "Lexicon",
    "NameRules",
    "ends_open",
    "extend_names",
    "mark_continuation",
    "mark_cut_email",
    "mark_identifier_continuation",
    "mark_name_echo",
    "mark_person_details",
    "mark_titled_names",
    "mark_transfer_names",
    "name_regions",
    "name_rules",
    "person_names",
    "strip_tags",
    "tag_cut_word",
    "tag_words",
]

# A number right after a reference word or a transfer's own words is its reference.
_NUMBER_KEEP = reference_keep(w.REFERENCE_WORDS | w.TRANSFER_HEADING_WORDS)

# Tags: a prefix character before a word says what the word is.
KEYWORD, ORG, FIRST, TITLE = "\ufde0", "\ufde1", "\ufde2", "\ufde3"
LAST, FUNCTION = "\ufde5", "\ufde6"
_TAGS = f"[{KEYWORD}{ORG}{FIRST}{TITLE}{LAST}{FUNCTION}]"
_NAMEISH = f"[{ORG}{FIRST}{TITLE}{LAST}{FUNCTION}]"

# an e-mail cut before or inside its domain, at the end of a label
_CUT_EMAIL = (r"(?P<pre>\s)(?P<x>\p{L}{2,}[\p{L}0-9_%+\-]*[.@][\p{L}0-9._%+@\-]*)"
              r"(?P<post>\s*)$")
# the digits a cut leaves of a phone (0..., +...), a social security number (1 or 2 ...) or
# a card number (four digits or more after a card network's prefix: Visa 4, Mastercard
# 51-55 and 22-27, American Express 34 and 37, Discover 6)
_DIGIT_TAIL = (r"(?P<pre>\s+)(?:(?P<p>(?:\+|0)[0-9]*(?: [0-9]+)*)|(?P<n>[12](?: [0-9]{1,3})*)|"
               r"(?P<c>(?:4[0-9]|5[1-5]|2[2-7]|3[47]|6[0-9])[0-9]{2,17}))(?P<post>\s*)$")
# a character of a word: not a space, not a marker or a tag
_CHARS = "[^\\s\ufdd0-\ufdef]"
_TOK = r"\p{L}(?:[\p{L}'’\-]*\p{L})?\b"
# a text as alternating pieces: a word (up to a separator) or a run of separators
_PIECE = r"[^\s/:;,(]+|[\s/:;,(]+"


@dataclass(frozen=True)
class Lexicon:
    """First and last names (upper-case ASCII words) the rules may use as evidence, and
    words of known organisations' names (``MGEN``, ``MALAKOFF``) that are nobody's name."""

    first_names: frozenset[str]
    last_names: frozenset[str]
    organisations: frozenset[str] = frozenset()

    @classmethod
    def bundled(cls) -> Lexicon:
        """The lexicons shipped in ``ledgerlens.datasets``: French first and last names, and
        the first words of the curated label spellings of insurers, banks, public bodies,
        lenders, utilities and the platforms that pay their users that are neither a name
        nor a word the rules read otherwise."""
        return _bundled()


#: Curated merchant kinds that send money to customers (refunds, benefits, interest).
_PAYING_KINDS = ("insurer", "bank", "public_body", "lender", "investment", "utility", "telecom")
#: Ordinary words that head some of their spellings (``DIRECT ENERGIE``, ``ESPACE
#: CITOYENS``): after a person's name they are a transfer's reason, not an organisation.
_PLAIN_WORDS = frozenset((
    "ACCUEIL", "AGENT", "AMENDES", "DIRECT", "DIRECTION", "ESPACE", "EURO", "FORFAIT", "HELLO",
    "LASER", "MINT", "PLACEMENT", "PLANETE", "PORTAIL", "RED", "TIMBRE", "TIMBRES", "TRADE",
    "SWISS", "INTERACTIVE"))


@functools.cache
def _bundled() -> Lexicon:
    from ledgerlens.datasets import load_curated_merchants, load_first_names, load_last_names

    def words(names: pl.Series) -> frozenset[str]:
        return frozenset(t for name in names.to_list() for t in re.split(r"[ \-]", name) if t)

    firsts = words(load_first_names()["first_name"])
    lasts = words(load_last_names()["last_name"])
    # The first word of each spelling of the organisations that pay customers by transfer
    # (a brand, not a trade word: only these head a transfer's counterparty), platforms
    # paying out sales, rents and fares included (``VIR DE VINTED``, ``AIRBNB PAYMENTS``).
    curated = load_curated_merchants().filter(
        pl.col("kind").is_in(_PAYING_KINDS) | pl.col("billing").str.contains("transfer_in"))
    spelt = frozenset(re.split(r"[^A-Z0-9]+", spelling)[0]
                      for spelling in curated["descriptors"].str.split("|").explode().to_list()
                      if spelling)
    read = (w.KEYWORDS | w.COMMON_WORDS | w.FUNCTION_WORDS | w.CALENDAR_WORDS | w.P2P_WORDS
            | w.TITLES | w.PARTICLES | w.TRANSFER_WORDS | w.ANCHORS | w.REFERENCE_WORDS
            | w.TRANSFER_HEADING_WORDS)
    organisations = frozenset(t for t in spelt if len(t) >= 3 and t.isalpha()) - firsts - lasts
    return Lexicon(firsts, lasts, organisations - read - _PLAIN_WORDS)


def _alternation(words: frozenset[str]) -> str:
    """Any of ``words``, in any case (the only case-blind part of the patterns: a global
    case-insensitive flag makes every Unicode class bigger and the rules slower)."""
    ordered = sorted(words, key=lambda x: (-len(x), x))
    return "(?i:" + "|".join(re.escape(word) for word in ordered) + ")"


@dataclass(frozen=True)
class NameRules:
    """The pattern strings of the name rules for one lexicon, built once."""

    word_tags: tuple[tuple[str, str], ...]
    end_prefixes: tuple[str, ...]
    title: str
    org: str
    anchor: str
    bare: str
    p2p: str
    extend: tuple[str, str]
    ends_open: str
    continuation: str
    ends_in: tuple[tuple[str, str, str], ...]
    other_first: str
    cut_tails: tuple[tuple[str, str], ...]
    short_tail: str
    whole_person: str
    whole_name: str


@functools.cache
def name_rules(lexicon: Lexicon) -> NameRules:
    """Build the patterns once per lexicon (they hold its words)."""
    names = (lexicon.first_names | lexicon.last_names) - w.PARTICLES
    keywords = (w.KEYWORDS | w.COMMON_WORDS) - w.FUNCTION_WORDS - w.ORG_WORDS
    keywords = (keywords - names) | w.CALENDAR_WORDS | w.P2P_WORDS
    firsts = lexicon.first_names - w.PARTICLES - keywords - w.ORG_WORDS - w.TITLES
    lasts = lexicon.last_names - w.PARTICLES - keywords - w.ORG_WORDS - w.TITLES - firsts
    # A label cut at its bank's line width leaves reason words half written (``CADEA``).
    prefixes = {word[:n] for word in keywords if len(word) > 3 for n in range(3, len(word))}
    prefixes -= {name[:n] for name in names for n in range(3, len(name) + 1)}
    # one tag per word, the first class that holds it winning
    word_tags: dict[str, str] = {}
    for words, tag in ((w.ORG_WORDS | lexicon.organisations, ORG), (keywords, KEYWORD),
                       (w.FUNCTION_WORDS, FUNCTION),
                       (w.TITLES, TITLE), (firsts, FIRST), (lasts, LAST)):
        for word in words:
            word_tags.setdefault(word, tag)

    f = FIRST + _TOK
    last = LAST + _TOK
    n = f"[{FIRST}{LAST}]?{_TOK}"
    p = f"[{KEYWORD}{FUNCTION}]?{_alternation(w.PARTICLES)}\\b"
    initial = f"{TITLE}?\\p{{L}}\\b\\.?"
    # a surname, particles included (``LE GALL``, ``DE LA ROCHE``, even ``LE DU``)
    sur = f"(?:(?:{p}\\s+){{0,3}}{n}|(?:{p}\\s+){{1,2}}{p})"
    sur_last = f"(?:{p}\\s+){{0,3}}{last}"
    firsts_run = f"{f}(?:\\s+{f}){{0,2}}"
    first_last = f"{firsts_run}\\s+{sur}"
    last_first = f"{sur}(?:\\s+{f}){{1,3}}"
    last_initial = f"{sur}\\s+{initial}"
    # the order is the preference: the first alternative that fits wins
    name = (f"(?:{first_last}|{last_initial}|{last_first}|{n}\\s+{n}\\s+{sur}|{n}\\s+{sur}|"
            f"{sur}\\s+{n}|{sur})")
    # a name the lexicon vouches for: a first name in it, a known last name, an initial
    evidenced = (f"(?:{first_last}|{last_initial}|{last_first}|{sur_last}\\s+{n}|"
                 f"{n}\\s+{sur_last})")
    # right after the transfer's own words: two words or more, or one the lexicon knows
    bare_name = (f"(?:{first_last}|{last_initial}|{last_first}|{n}\\s+{sur}|{sur}\\s+{n}|"
                 f"{sur_last}|{f})")
    # any word but a whole label keyword: what a cut name may leave at a line's edge
    loose = (f"(?:[{FIRST}{LAST}{TITLE}{FUNCTION}{ORG}]?{_TOK}|{KEYWORD}\\p{{L}}{{1,3}}\\b)")
    title_tok = f"{TITLE}\\p{{L}}+\\.?"
    et = f"(?:[{FUNCTION}]?(?i:ET)|&)"
    anchors = _alternation(w.ANCHORS)
    transfer = _alternation(w.TRANSFER_WORDS)
    skipped = f"(?:\\s+(?:[{KEYWORD}{FUNCTION}]{_CHARS}+|[0-9]+|[/\\-*:.]+))*?"
    org_tok = f"{ORG}{_CHARS}+"
    name_end = f"{OPEN['name']}[^{CLOSE}]*{CLOSE}"
    # what a line width leaves of an e-mail or an IBAN at the end of a label
    cut_tails = (
        (rf"(?P<pre>\s)(?P<x>{_TAGS}?[\p{{L}}0-9._%+\-]*[.@][\p{{L}}0-9._%+@\-]*)"
         r"(?P<post>\s*)$", "email"),
        (rf"(?P<pre>\s)(?P<x>(?i:{iban_country_alternation()}(?:[0-9][0-9A-Z]*)?))"
         r"(?P<post>\s*)$", "iban"),
    )
    ends_in = tuple(
        (f"{OPEN[kind]}[^{CLOSE}]*{CLOSE}\\s*$", f"(?P<pre>^\\s*)(?P<x>{rest})", kind)
        for kind, rest in (("phone", r"[0-9]+(?: [0-9]+)*"),
                           ("national_id", r"[0-9]+(?: [0-9]+)*"),
                           ("iban", r"[0-9](?i:[0-9A-Z]*)"),
                           ("email", rf"{_TAGS}?[\p{{L}}0-9._%+@\-]+")))
    return NameRules(
        word_tags=tuple(sorted(word_tags.items())),
        end_prefixes=tuple(sorted(prefixes)),
        title=f"(?P<pre>{title_tok}(?:\\s+{et}\\s+{title_tok})?\\s+)(?P<x>{name})",
        # an organisation word with a name before it, or a long one on its own (a lone
        # ``SA`` or ``AG`` at the end of a cut label is more likely a piece of a name)
        org=(f"(?P<pre>^|[\\s/:(])(?P<x>(?:(?:(?:{n}|{p}|{et})\\s+){{1,3}}{org_tok}|"
             f"{ORG}\\p{{L}}{{3}}{_CHARS}*)(?:\\s+(?:{org_tok}|{et}))*(?:\\s+{n})?)"),
        # the direction word must follow the transfer's own words, a number or a slash, so
        # that ``LUCIEN DE LA ROCHE`` is not cut at ``DE``
        anchor=(f"(?P<pre>(?:^\\s*|(?:{KEYWORD}{_CHARS}+|[0-9]+)\\s+|/)[{KEYWORD}{FUNCTION}]?"
                f"{anchors}\\s*:?\\s+)(?P<x>{name})"),
        bare=f"(?P<pre>^\\s*[{KEYWORD}]?{transfer}\\b\\.?{skipped}\\s+)(?P<x>{bare_name})",
        p2p=(f"(?P<pre>^\\s*{KEYWORD}{_alternation(w.P2P_WORDS)}\\b{skipped}\\s+)"
             f"(?P<x>{name})"),
        extend=(f"(?P<a>{OPEN['name']}[^{CLOSE}]*){CLOSE}"
                f"(?P<b>(?:\\s+{p})*(?:\\s+{loose})?)(?P<c>\\s*)$",
                "${a}${b}" + CLOSE + "${c}"),
        ends_open=(f"(?:{name_end}|{title_tok}|(?:^|[\\s/])[{KEYWORD}{FUNCTION}]?{anchors}"
                   f"\\s*:?)\\s*$"),
        continuation=f"(?P<pre>^\\s*)(?P<x>(?:{name}|{loose})(?:\\s+{sur})?)(?P<post>\\s|$)",
        ends_in=ends_in,
        other_first=f"(?P<pre>^|[\\s/:])(?P<x>{f})(?P<post>\\s|$)",
        cut_tails=cut_tails,
        # one or two letters, all that is left of a word at the end
        short_tail=(rf"(?P<pre>\s)(?P<x>{_NAMEISH}?\p{{L}}{{1,2}})(?P<post>\s*)$"),
        whole_person=(f"^\\s*(?:{title_tok}(?:\\s+{et}\\s+{title_tok})?\\s+{name}|"
                      f"{evidenced})\\s*$"),
        whole_name=f"^\\s*(?:{title_tok}\\s+)?{name}\\s*$",
    )


@functools.cache
def _tag_table(rules: NameRules) -> pl.DataFrame:
    return pl.DataFrame(list(rules.word_tags), schema={"key": pl.String, "tag": pl.String},
                        orient="row")


def tag_words(texts: pl.Series, rules: NameRules) -> pl.Series:
    """Put the tag characters before the words the rules read.

    Words are looked up in a table (a hash join over the exploded words), case and
    accents aside: a word is a run of letters after a space or ``/:;,(``, followed by
    anything but a letter or digit (``JEAN`` in ``JEAN-PIERRE``, ``DE`` in ``DE:``).
    """
    frame = texts.rename("t").to_frame().with_row_index("row")
    pieces = (frame.drop_nulls("t")
              .select("row", pl.col("t").str.extract_all(_PIECE).alias("p"))
              .explode("p")
              .with_columns(core=pl.col("p").str.extract(r"^(\p{L}+)(?:[^\p{L}0-9]|$)", 1))
              .with_columns(key=pl.col("core").str.to_uppercase().str.normalize("NFKD")
                            .str.replace_all(r"\p{Mn}", ""))
              .join(_tag_table(rules), on="key", how="left", maintain_order="left")
              .with_columns(p=pl.concat_str([pl.col("tag").fill_null(""), pl.col("p")]))
              .group_by("row", maintain_order=True).agg(pl.col("p").str.join("")))
    return (frame.select("row").join(pieces, on="row", how="left", maintain_order="left")
            ["p"].alias(texts.name))


def tag_cut_word(texts: pl.Expr, rules: NameRules) -> pl.Expr:
    """Tag the last word as a keyword when it is a keyword cut short (``CADEA``).

    ``texts`` is read three times: pass a column, not a long expression."""
    last = texts.str.extract(r"\s(\p{L}+)\s*$", 1).str.to_uppercase()
    cut_word = last.is_in(pl.Series(rules.end_prefixes, dtype=pl.String).implode())
    tagged = texts.str.replace(r"(?P<pre>\s)(?P<w>\p{L}+)(?P<post>\s*)$",
                               "${pre}" + KEYWORD + "${w}${post}")
    return pl.when(cut_word.fill_null(False)).then(tagged).otherwise(texts)


def mark_titled_names(texts: pl.Expr, rules: NameRules) -> pl.Expr:
    """Names after a civil title (any context where names are looked for)."""
    return wrap(texts, rules.title, "name")


def extend_names(texts: pl.Expr, rules: NameRules) -> pl.Expr:
    """A name that reaches the end of a label takes the cut word after it along."""
    pattern, replacement = rules.extend
    return texts.str.replace(pattern, replacement)


def mark_transfer_names(texts: pl.Expr, rules: NameRules) -> pl.Expr:
    """Names in a transfer's positions, companies protected first."""
    texts = protect(extend_names(texts, rules), rules.org)
    texts = wrap(texts, rules.anchor, "name")
    texts = wrap(texts, rules.p2p, "name")
    texts = wrap(texts, rules.bare, "name")
    return extend_names(texts, rules)


def ends_open(texts: pl.Expr, rules: NameRules) -> pl.Expr:
    """Whether a label ends inside a name's position (its second line may continue it)."""
    return texts.str.contains(rules.ends_open)


def mark_continuation(first: pl.Expr, second: pl.Expr, rules: NameRules) -> pl.Expr:
    """The start of a second line that goes on with a name cut at the end of the first."""
    return pl.when(ends_open(first, rules)).then(
        wrap(second, rules.continuation, "name")).otherwise(second)


def mark_identifier_continuation(first: pl.Expr, second: pl.Expr, rules: NameRules) -> pl.Expr:
    """The start of a second line that goes on with a phone, IBAN, e-mail or id number
    cut at the end of the first."""
    out = second
    for ending, start, kind in reversed(rules.ends_in):
        out = pl.when(first.str.contains(ending)).then(wrap(second, start, kind)).otherwise(out)
    return out


def mark_cut_email(texts: pl.Expr) -> pl.Expr:
    """A transfer label that ends in an e-mail cut before its domain (``ARTHUR.MARTIN@``,
    ``SONIA.PI``): wrapped before the name rules read its first part as a name."""
    return wrap(texts, _CUT_EMAIL, "email")


def mark_person_details(texts: pl.Expr, rules: NameRules) -> pl.Expr:
    """In a transfer to or from a person: other first names, and what is left at the end
    of a cut label of an e-mail, IBAN, phone, id or card number."""
    texts = wrap(texts, rules.other_first, "name")
    for pattern, kind in rules.cut_tails:
        texts = wrap(texts, pattern, kind)
    # one pattern for both, so that the whole trailing run of digits is taken at once
    texts = wrap_either(texts, _DIGIT_TAIL, {"p": "phone", "n": "national_id",
                                             "c": "card_number"}, keep=_NUMBER_KEEP)
    return wrap(texts, rules.short_tail, "name")


def mark_name_echo(texts: pl.Expr, regions: pl.Expr) -> pl.Expr:
    """A cut last word that starts like the person's own name (an e-mail handle or a
    signature such as ``JEANGUYMI`` after ``JEAN GUY MICHEL``) is part of the name."""
    words = strip_tags(regions).str.replace_all(r"[^\p{L}\s]", "").str.to_uppercase()
    forward = words.str.replace_all(r"\s", "")
    backward = words.str.split(" ").list.reverse().list.join("")
    # an initial stands for a first name the handle may spell out (``LUCAS K`` -> ``KAR``)
    initials = words.str.extract_all(r"\b\p{L}\b").list.join("")
    tail = texts.str.extract(rf"\s{_NAMEISH}?(\p{{L}}{{3,}})\s*$", 1).str.to_uppercase()
    echo = tail.is_not_null() & (forward.str.starts_with(tail) | backward.str.starts_with(tail)
                                 | initials.str.contains(tail.str.head(1), literal=True))
    marked = texts.str.replace(rf"(?P<pre>\s)(?P<x>{_NAMEISH}?\p{{L}}{{3,}})(?P<post>\s*)$",
                               "${pre}" + OPEN["name"] + "${x}" + CLOSE + "${post}")
    return pl.when(echo).then(marked).otherwise(texts)


def name_regions(texts: pl.Expr) -> pl.Expr:
    """The text of every name region, joined by spaces."""
    return texts.str.extract_all(f"{OPEN['name']}[^{CLOSE}]*{CLOSE}").list.join(" ")


def person_names(names: pl.Series, rules: NameRules) -> tuple[pl.Series, pl.Series]:
    """For each counterparty name: whether it surely is a person's (a title, or a name
    the lexicon vouches for, and nothing else), and whether it reads as a name at all
    (a person's when the label itself names a person)."""
    tagged = tag_words(names, rules).rename("t").to_frame()
    verdicts = tagged.select(
        sure=pl.col("t").str.contains(rules.whole_person).fill_null(False),
        maybe=pl.col("t").str.contains(rules.whole_name).fill_null(False))
    return verdicts["sure"], verdicts["maybe"]


def strip_tags(texts: pl.Expr) -> pl.Expr:
    return texts.str.replace_all(_TAGS, "")
