"""A camt document read safely: its message, statements and the plain XML text of each entry.

Safety: lxml parses with ``resolve_entities=False``, ``no_network=True``, ``load_dtd=False``
and ``huge_tree=False``; a document that declares a DTD (the carrier of entity expansion and
external entity attacks) is refused with ``IngestError`` before it is parsed, and checked
again after. A file that is not well-formed XML (truncated, wrongly encoded) raises
``IngestError`` naming the line where parsing failed.

Speed: the entries are not read from lxml's tree but column-wise, from each ``Ntry``'s text
(see ``_camt``). That text is cut from the file when the entry is plain XML (no prefixes,
comments, CDATA, character references or attributes other than ``Amt/@Ccy``), else lxml
re-serialises the entry in that plain form first, so both give the same values.

Building lxml's tree of every entry is most of a large file's parse, so a plain document
(UTF-8, every entry plain and written ``<Ntry>...</Ntry>``, no comment, CDATA, processing
instruction or DTD, entries far from lxml's limits) is read without it: the whole file is
parsed by the same safe parser into a target that keeps nothing (well-formedness, encoding,
entity references and nesting are all checked; on a second thread for a large file), and
only its skeleton (the file with each entry emptied) becomes a tree, for the statements'
headers. There every literal ``<Ntry>`` tag is an entry element, so the entries' texts are
those the full tree would give. Any doubt, any error, sends the file through the full tree
instead, which reports errors as always.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from ledgerlens.exceptions import IngestError

__all__ = ["FORMAT", "Document", "read_document"]

FORMAT = "camt053"
#: message element -> its statement (report, notification) element
_MESSAGES = {"BkToCstmrStmt": "Stmt", "BkToCstmrAcctRpt": "Rpt", "BkToCstmrDbtCdtNtfctn": "Ntfctn"}
_PLAIN_TAG = r'<Amt Ccy="[^"]*">'
_ANY_ATTRIBUTE_OR_PREFIX = r"</?[A-Za-z][\w.-]*[\s:]"
_MARKERS = ("/>", "&#", "\r", "<!", "<?")
# what keeps a document off the fast path: comments, CDATA, DTDs, processing instructions
# (beyond the XML declaration), and entries written other than <Ntry>...</Ntry>
_NOT_PLAIN_DOCUMENT = r"<!|<\?|:Ntry|<Ntry[\s/]"
_XML_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[\s?]")
#: The fast path leaves entries this long (bytes) to the full tree, far below lxml's limits
#: on one text (10 MB), so that both paths refuse the same files.
_PLAIN_ENTRY_BYTES = 1_000_000
#: Files from this size (bytes) are checked on a second thread; below, a thread costs more.
_CHECK_ALONGSIDE_BYTES = 1 << 20
#: lxml's limit on nesting without ``huge_tree`` is 256; the fast path keeps well below it.
_PLAIN_DEPTH = 240


@dataclass(frozen=True)
class Document:
    """The parts of a camt file the reader maps: its statement elements, in order, with
    their entry counts, and the plain text of every entry in document order."""

    ns: str  # "{namespace}" of the message, or ""
    kind: str  # Stmt, Rpt or Ntfctn
    containers: list[Any]
    counts: list[int]
    texts: pl.Series


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_document(data: bytes, source: str) -> Document:
    """The document's statements and entry texts; ``IngestError`` if it cannot be read."""
    at = _doctype_at(data)
    if at is not None:
        line = data.count(b"\n", 0, at) + 1
        raise IngestError(source, FORMAT, f"line {line}",
                          "the document declares a DTD (possible entity expansion or "
                          "external entity attack); camt files never need one")
    plain = _plain_document(data)
    if plain is not None:
        return plain
    root = _parse(data, source)
    document = _statements(_message(root, source), pl.Series("text", [], dtype=pl.String))
    texts = _entry_texts(data, document, root.getroottree().docinfo.encoding)
    return Document(document.ns, document.kind, document.containers, document.counts, texts)


def _parser(target: Any = None) -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, remove_comments=True, remove_pis=True, target=target)


def _parse(data: bytes, source: str) -> Any:
    """The root element, parsed without DTDs, entities or network."""
    from lxml import etree

    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        why = str(err.msg or "not well-formed XML").splitlines()[0][:200]
        raise IngestError(source, FORMAT, f"line {err.lineno or 1}", why) from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise IngestError(source, FORMAT, "line 1", "the document declares a DTD")
    return root


def _doctype_at(data: bytes) -> int | None:
    """Offset of a ``<!DOCTYPE`` in the prolog (before the root element), if any."""
    i, n = (3 if data.startswith(b"\xef\xbb\xbf") else 0), len(data)
    while i < n:
        while i < n and data[i] in b" \t\r\n":
            i += 1
        if data.startswith(b"<?", i):
            end = data.find(b"?>", i)
        elif data.startswith(b"<!--", i):
            end = data.find(b"-->", i)
        else:
            return i if data.startswith(b"<!DOCTYPE", i) else None
        if end < 0:
            return None
        i = end + 2
    return None


def _message(root: Any, source: str) -> Any:
    """The ``BkToCstmr...`` message element, under ``Document`` or a business envelope."""
    for element in root.iter():
        if _local(element.tag) in _MESSAGES:
            return element
    raise IngestError(source, FORMAT, f"<{_local(root.tag)}>",
                      "no BkToCstmrStmt, BkToCstmrAcctRpt or BkToCstmrDbtCdtNtfctn message: "
                      "not a camt.053, camt.052 or camt.054 document")


def _count(element: Any, ns: str, tag: str) -> int:
    if not ns:
        return int(element.xpath(f"count({tag})"))
    return int(element.xpath(f"count(n:{tag})", namespaces={"n": ns[1:-1]}))


def _statements(message: Any, texts: pl.Series) -> Document:
    ns = message.tag[: message.tag.index("}") + 1] if message.tag[0] == "{" else ""
    kind = _MESSAGES[_local(message.tag)]
    containers = list(message.iterchildren(ns + kind))
    return Document(ns, kind, containers, [_count(c, ns, "Ntry") for c in containers], texts)


def _utf8(encoding: str | None) -> bool:
    return (encoding or "UTF-8").upper().replace("-", "") in ("UTF8", "USASCII", "ASCII")


# ------------------------------------------------------------------ the fast path

class _Nothing:
    """A parser target that keeps nothing: the parse only checks the document."""

    def __init__(self) -> None:
        self.declares_dtd = False

    def doctype(self, *_: Any) -> None:
        self.declares_dtd = True

    def close(self) -> None:
        return None


def _well_formed(data: bytes) -> bool:
    """Whether the safe parser reads ``data`` without error (no tree is built)."""
    from lxml import etree

    target = _Nothing()
    try:
        etree.fromstring(data, _parser(target))
    except etree.XMLSyntaxError:
        return False
    return not target.declares_dtd


def _plain_document(data: bytes) -> Document | None:
    """The document read without building its entries, or None when it is not plain.

    The check that the whole file is well-formed runs on a second thread (lxml lets go of
    the interpreter while it parses) while Polars cuts the entries."""
    from concurrent.futures import ThreadPoolExecutor

    try:
        whole = pl.Series("doc", [data], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:  # not UTF-8
        return None
    # the XML declaration is the one processing instruction a plain document has
    declared = 1 if _XML_DECLARATION.match(data) else 0
    if whole.str.count_matches(_NOT_PLAIN_DOCUMENT).item() != declared:
        return None
    if len(data) < _CHECK_ALONGSIDE_BYTES:
        document = _plain_entries(whole)
        return document if document is not None and _well_formed(data) else None
    with ThreadPoolExecutor(1, thread_name_prefix="ledgerlens-xml") as pool:
        well_formed = pool.submit(_well_formed, data)
        document = _plain_entries(whole)
        return document if well_formed.result() else None


def _plain_entries(whole: pl.Series) -> Document | None:
    """The entries cut from the document's text and its skeleton's statements, or None."""
    from lxml import etree

    part = pl.col("part")
    parts = whole.str.split("<Ntry>").explode().to_frame("part").select(
        ends=part.str.count_matches("</Ntry>", literal=True),
        cut=part.str.split_exact("</Ntry>", 1))
    # the head has no end tag; each entry's part holds one, then what follows the entry
    ends = parts["ends"]
    if ends[0] != 0 or ends.slice(1).min() not in (1, None):
        return None
    head: str = parts["cut"].struct.field("field_0")[0]
    cut = parts.slice(1)
    del parts
    rest = cut.select(pl.concat_str([pl.lit("<Ntry></Ntry>"),
                                     pl.col("cut").struct.field("field_1")]).str.join(""))
    try:
        root = etree.fromstring((head + (rest.item() if cut.height else "")).encode(),
                                _parser())
    except etree.XMLSyntaxError:
        return None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype or not _utf8(docinfo.encoding):
        return None
    try:
        message = _message(root, "")
    except IngestError:
        return None
    texts = cut.select(pl.concat_str([pl.lit("<Ntry>"), pl.col("cut").struct.field("field_0"),
                                      pl.lit("</Ntry>")]).alias("text")).to_series()
    document = _statements(message, texts)
    depth = sum(1 for _ in message.iterancestors()) + 3
    if sum(document.counts) != texts.len() or not _all_plain(texts, depth):
        return None
    return document


def _all_plain(texts: pl.Series, depth: int) -> bool:
    """Whether every entry is plain XML, short and shallow enough for the fast path."""
    if texts.is_empty():
        return True
    text = pl.col("text")
    found = texts.to_frame().select(
        plain=(_plain(text) & (text.str.len_bytes() < _PLAIN_ENTRY_BYTES)).all(),
        # an element is at most as deep as the start tags before it
        tags=text.str.count_matches("<", literal=True).max())
    plain, tags = found.row(0)
    return bool(plain) and depth + tags // 2 < _PLAIN_DEPTH


def _plain(text: pl.Expr) -> pl.Expr:
    """Whether an entry's text is plain XML (see the module docstring)."""
    plain = text.str.count_matches(_ANY_ATTRIBUTE_OR_PREFIX) == text.str.count_matches(_PLAIN_TAG)
    for marker in _MARKERS:
        plain = plain & ~text.str.contains(marker, literal=True)
    return plain.fill_null(False)


# ------------------------------------------------------------------ the full tree

def _entry_texts(data: bytes, document: Document, encoding: str | None) -> pl.Series:
    """The plain XML text of every entry, in document order (see the module docstring)."""
    total = sum(document.counts)
    spans = _spans(data, total)
    texts = pl.Series("text", [None] * total, dtype=pl.String)
    if spans is not None and total:
        texts = _view(data, spans) if _utf8(encoding) else pl.Series(
            "text", [data[a:b].decode(encoding or "utf-8", "replace") for a, b in spans])
    redo = (~texts.to_frame().select(_plain(pl.col("text"))).to_series()).arg_true()
    if redo.len():
        entries = [n for c in document.containers for n in c.iterchildren(document.ns + "Ntry")]
        texts = texts.scatter(redo, [_canonical(entries[i]) for i in redo.to_list()])
    return texts


def _spans(data: bytes, expected: int) -> list[tuple[int, int]] | None:
    """Byte spans of the entries, when every ``Ntry`` element is written ``<Ntry>`` (no
    prefix, no attribute) and the text holds no other ``<Ntry>``: then the literal tags are
    exactly the parsed elements, in order. Else None (lxml re-serialises every entry)."""
    if b":Ntry" in data or re.search(rb"<Ntry[\s/]", data):
        return None
    starts = [m.start() for m in re.finditer(rb"<Ntry>", data)]
    ends = [m.end() for m in re.finditer(rb"</Ntry>", data)]
    if len(starts) != expected or len(ends) != expected:
        return None
    spans = list(zip(starts, ends, strict=True))
    if any(b <= a for a, b in spans) or any(
            spans[i][1] > spans[i + 1][0] for i in range(len(spans) - 1)):
        return None
    return spans


def _view(data: bytes, spans: list[tuple[int, int]]) -> pl.Series:
    """Entry texts cut from UTF-8 ``data`` in one copy, without a Python string per entry."""
    import numpy as np
    import pyarrow as pa

    view = memoryview(data)
    buffer = b"".join([view[a:b] for a, b in spans])
    bounds = np.array(spans, dtype=np.int64).reshape(-1, 2)
    offsets = np.concatenate([[0], np.cumsum(bounds[:, 1] - bounds[:, 0])])
    array = pa.LargeStringArray.from_buffers(len(spans), pa.py_buffer(offsets),
                                             pa.py_buffer(buffer))
    return pl.Series("text", array)


def _canonical(ntry: Any) -> str:
    """The entry re-serialised as plain XML: local names, no attribute but ``Amt/@Ccy``."""
    from lxml import etree

    for element in ntry.iter():
        local = _local(element.tag)
        currency = element.get("Ccy") if local == "Amt" else None
        element.attrib.clear()
        element.tag = local
        if currency is not None:
            element.set("Ccy", currency)
        if element.text is None and not len(element):
            element.text = ""  # written <X></X>, which the extraction reads, not <X/>
    text: str = etree.tostring(ntry, encoding="unicode", with_tail=False)
    return "<Ntry>" + text[text.index(">") + 1:]  # drop inherited xmlns declarations
