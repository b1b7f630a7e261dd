"""Export watermarks: every file that carries personal data (or reports on
it) names who exported it and when, so a copy that turns up elsewhere can
be traced (docs/security.md, "Exports").

- Excel: the document properties (creator, last modified by, description,
  keywords) and a header and footer on every sheet, printed on every page.
  No note row is added to a sheet: people exports are also import files,
  and a note row would break the round trip.
- CSV: a last column 导出水印 with the mark on every row (the header row
  included). A trailing or leading comment line is not safe: importers,
  Excel and `csv` readers take it for data; a column travels with every
  row that is copied out of the file. Wangge's own importer ignores it.
- PDF: a footer on every page and a light diagonal mark across the page
  (CSS for WeasyPrint, `pdf_css`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

HEADER = "导出水印"


@dataclass(frozen=True)
class Watermark:
    name: str
    username: str
    at: dt.datetime = field(default_factory=timezone.now)

    @classmethod
    def for_user(cls, user, at: dt.datetime | None = None) -> Watermark:
        name = getattr(user, "name", "") or ""
        return cls(name=name, username=user.get_username(), at=at or timezone.now())

    @property
    def who(self) -> str:
        return f"{self.name}（{self.username}）" if self.name else self.username

    @property
    def when(self) -> str:
        return timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M:%S")

    @property
    def text(self) -> str:
        return f"导出人：{self.who}　导出时间：{self.when}　内部资料，注意保密"


def _hf(text: str) -> str:
    # "&" starts a code in Excel header/footer text.
    return text.replace("&", "&&")


def apply_xlsx(book, mark: Watermark) -> None:
    """Mark a workbook (normal or write-only) before it is saved: document
    properties, and the header/footer of every sheet."""
    props = book.properties
    props.creator = mark.who
    props.lastModifiedBy = mark.who
    props.created = props.modified = timezone.localtime(mark.at).replace(tzinfo=None)
    props.description = mark.text
    props.keywords = f"{HEADER}; {mark.username}; {mark.when}"
    for sheet in book.worksheets:
        sheet.oddHeader.right.text = _hf(f"导出人：{mark.who}")
        sheet.oddFooter.left.text = _hf(mark.text)
        sheet.oddFooter.right.text = "第 &P 页 / 共 &N 页"
        sheet.evenHeader.right.text = sheet.oddHeader.right.text
        sheet.evenFooter.left.text = sheet.oddFooter.left.text


def pdf_css(mark: Watermark) -> str:
    """A stylesheet to add to a WeasyPrint document: who in the left and
    when in the right footer box of every page (the centre is left to the
    document's own page number), and a faint diagonal mark over every page
    (the element from `pdf_html`)."""

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    box = "font-size: 7pt; color: #555;"
    return (
        f"@page {{ @bottom-left {{ content: {quoted('导出人：' + mark.who)}; {box} }}"
        f" @bottom-right {{ content: {quoted('导出时间：' + mark.when + ' 内部资料')}; {box} }} }}\n"
        ".wg-watermark { position: fixed; top: 45%; left: -10%; width: 120%;"
        " transform: rotate(-30deg); text-align: center; font-size: 20pt;"
        " color: rgba(120, 120, 120, 0.18); z-index: 1000; }\n"
    )


def pdf_html(mark: Watermark) -> str:
    """The diagonal mark as an element (position: fixed repeats it on every
    page); goes right after <body>."""
    from django.utils.html import escape

    return f'<div class="wg-watermark" aria-hidden="true">{escape(mark.text)}</div>'
