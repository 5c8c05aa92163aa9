"""Scanned pages made on the spot: Chinese text rendered to a grey, slightly rotated, noisy
A4 image at 200 dpi (Pillow, Noto Sans CJK), as PNG/JPEG/TIFF bytes or wrapped into an
image-only PDF (no text layer); the same seed gives the same pixels. Used by the OCR tests
and bench/ocr.py."""
from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
DPI = 200
A4 = (round(8.27 * DPI), round(11.69 * DPI))  # 1654 x 2338 pixels
SENTENCES = [
    "门禁系统已完成安装调试，各出入口读卡器工作正常。", "停车场道闸与车牌识别联动测试通过。",
    "视频监控平台接入摄像机一百二十八路，录像保存三十天。", "机房不间断电源满载切换时间小于十毫秒。",
    "综合布线共敷设六类网线四千二百米，测试合格率百分之百。", "消防联动信号已接入楼宇自控系统。",
    "会议室音视频系统支持无线投屏和远程会议。", "核心交换机采用双机热备，链路冗余。",
    "用户培训已于本月完成，共十二人参加。", "项目文档已按合同约定移交建设单位。",
    "验收小组现场抽查设备四十台，未发现缺陷。", "信息发布系统在大厅部署显示屏六块。",
    "入侵报警系统布防撤防操作正常。", "电子巡更系统设置巡更点五十个。",
    "服务器虚拟化平台运行稳定，资源利用率正常。", "数据备份策略为每日增量每周全量。",
]


def page_text(seed: int, lines: int = 12) -> str:
    """A known text of `lines` sentences (one per line), the same for the same seed."""
    rnd = random.Random(seed)
    return "\n".join(rnd.choice(SENTENCES) for _ in range(lines))


def scan_image(text: str, seed: int = 0, size_px: int = 40) -> Image.Image:
    """`text` printed on A4 and scanned: grey paper, a 0.4° skew, a little blur and noise,
    a signature scribble at the bottom."""
    rnd = random.Random(seed)
    img = Image.new("L", A4, 250)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, size_px, index=2)  # index 2: the SC face of the collection
    y = 180
    draw.text((160, y), "验收报告（扫描件）", font=ImageFont.truetype(FONT, size_px + 16, index=2), fill=20)
    y += size_px * 3
    for line in text.splitlines():
        draw.text((160, y), line, font=font, fill=rnd.randint(15, 45))
        y += int(size_px * 1.8)
    xs = [1000 + i * 12 for i in range(40)]
    draw.line([(x, 2000 + rnd.randint(-30, 30)) for x in xs], fill=40, width=4)  # a signature
    img = img.rotate(0.4, resample=Image.BICUBIC, fillcolor=250).filter(ImageFilter.GaussianBlur(0.6))
    # Sensor noise, ±12 grey levels, the same for the same seed (OCR results must be repeatable).
    noise = Image.frombytes("L", A4, rnd.randbytes(A4[0] * A4[1])).point(lambda v: 116 + v * 24 // 255)
    return ImageChops.add(img, noise, scale=1.0, offset=-128)


def image_bytes(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, dpi=(DPI, DPI), **({"quality": 85} if fmt == "JPEG" else {}))
    return buf.getvalue()


def image_pdf(images: list[Image.Image]) -> bytes:
    """An image-only PDF (a scanner's output: no text layer) of `images`, one per page."""
    buf = io.BytesIO()
    first, *rest = [i.convert("RGB") for i in images]
    first.save(buf, format="PDF", resolution=DPI, save_all=True, append_images=rest)
    return buf.getvalue()


def char_accuracy(expected: str, got: str) -> float:
    """1 - (edit distance / expected length), over the texts without white space."""
    a = "".join(expected.split())
    b = "".join(got.split())
    if not a:
        return 1.0 if not b else 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return max(0.0, 1 - prev[-1] / len(a))
