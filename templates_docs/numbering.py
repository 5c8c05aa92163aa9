"""Heading numbers shared by the DOCX and Markdown renderers.

技术: 1 / 1.1 / 1.1.1 / 1.1.1.1, appendices 附录A / A.1 / A.1.1.
公文: 一、 / （一） / 1. / （1）, appendices 附件1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .outline import Outline, Section

_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 23 -> 二十三 (1..99)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class Heading:
    """A numbered heading of the body."""

    level: int
    label: str
    section: Section
    appendix: bool = False

    @property
    def text(self) -> str:
        return f"{self.label}{self.section.title}"


def _tech_label(path: list[int], appendix_letter: str | None) -> str:
    if appendix_letter:
        if len(path) == 1:
            return f"附录{appendix_letter} "
        return ".".join([appendix_letter] + [str(n) for n in path[1:]]) + " "
    return ".".join(str(n) for n in path) + " "


def _gongwen_label(path: list[int], appendix_no: int | None) -> str:
    if appendix_no and len(path) == 1:
        return f"附件{appendix_no} "
    n = path[-1]
    return {1: f"{chinese_number(n)}、", 2: f"（{chinese_number(n)}）", 3: f"{n}.", 4: f"（{n}）"}[len(path)]


def headings(outline: Outline) -> Iterator[Heading]:
    """The body headings of ``outline`` in order, with their numbers."""
    body_no = 0
    appendix_no = 0

    def label(path, appendix):
        if outline.profile == "tech":
            return _tech_label(path, chr(ord("A") + appendix - 1) if appendix else None)
        return _gongwen_label(path, appendix or None)

    def rec(section, path, appendix):
        yield Heading(len(path), label(path, appendix), section, bool(appendix))
        for i, sub in enumerate(section.sections, start=1):
            yield from rec(sub, path + [i], appendix)

    for top in outline.sections:
        if top.appendix:
            appendix_no += 1
            yield from rec(top, [appendix_no], appendix_no)
        else:
            body_no += 1
            yield from rec(top, [body_no], 0)


def heading_texts(outline: Outline) -> list[str]:
    """Texts of all body headings, numbers included."""
    return [h.text for h in headings(outline)]
