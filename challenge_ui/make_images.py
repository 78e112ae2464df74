"""Makes the PNG logos the app channel's CRes points to (issuerImage, psImage), three densities
each. Run once when a logo changes; the PNGs are committed. SDKs load PNG (not SVG) in native
UIs, so these are PNGs. The scheme badges are plain text, not the schemes' trademarks.

    pip install --target /tmp/pil pillow
    PYTHONPATH=/tmp/pil python3 challenge_ui/make_images.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).parent / "static" / "images"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
DENSITIES = {"medium": 1, "high": 1.5, "extraHigh": 2}  # the EMV Image object's keys
BADGES = {  # name: (text, background, ink)
    "demo-bank": ("Demo Bank", "#1a1f71", "#ffffff"),
    "visa": ("VISA", "#1a1f71", "#ffffff"),
    "mastercard": ("Mastercard", "#eb001b", "#ffffff"),
    "amex": ("AMEX", "#2e77bb", "#ffffff"),
    "discover": ("Discover", "#ff6000", "#ffffff"),
    "jcb": ("JCB", "#0e4c96", "#ffffff"),
    "unionpay": ("UnionPay", "#d10429", "#ffffff"),
    "cartes_bancaires": ("CB", "#1f4e8c", "#ffffff"),
}


def badge(text: str, background: str, ink: str, scale: float) -> Image.Image:
    height = round(48 * scale)
    font = ImageFont.truetype(FONT, round(24 * scale))
    left, top, right, bottom = font.getbbox(text)
    width = right - left + round(24 * scale)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    draw.text(
        ((width - (right - left)) / 2 - left, (height - (bottom - top)) / 2 - top),
        text,
        font=font,
        fill=ink,
    )
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (text, background, ink) in BADGES.items():
        for density, scale in DENSITIES.items():
            badge(text, background, ink, scale).save(OUT / f"{name}-{density}.png", optimize=True)


if __name__ == "__main__":
    main()
