"""Every font name and Chinese size name used by the renderers, in one place.

Client sites often have 仿宋_GB2312 / 方正小标宋; plain Windows has 仿宋 / 宋体 / 黑体.
Change the names here only.
"""

from __future__ import annotations

#: Latin letters and digits.
LATIN = "Times New Roman"
#: Body text of the 技术 profile and all table text.
SONG = "宋体"
#: Headings and cover titles.
HEI = "黑体"
#: Body text of the 公文 profile.
FANGSONG = "仿宋"
#: Second-level headings of the 公文 profile.
KAI = "楷体"
#: Title of the 公文 profile. 方正小标宋 is rarely installed, so the title font falls back to 宋体;
#: set ``GONGWEN_TITLE = XIAOBIAOSONG`` on machines that have it.
XIAOBIAOSONG = "方正小标宋简体"
GONGWEN_TITLE = SONG

#: Language written into docDefaults, themeFontLang and core properties.
LANG_EAST_ASIA = "zh-CN"
LANG_LATIN = "en-US"

#: Point sizes of the Chinese size names.
SIZES: dict[str, float] = {
    "初号": 42,
    "小初": 36,
    "一号": 26,
    "小一": 24,
    "二号": 22,
    "小二": 18,
    "三号": 16,
    "小三": 15,
    "四号": 14,
    "小四": 12,
    "五号": 10.5,
    "小五": 9,
}


def pt(size_name: str) -> float:
    """Point size of a Chinese size name such as ``"小四"``."""
    return SIZES[size_name]
