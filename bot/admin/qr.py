"""QR codes as SVG data URIs: an <img> the page's CSP allows, no script, no files."""

from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg


def svg_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg: bytes = image.to_string(encoding="unicode").encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
