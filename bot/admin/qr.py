"""QR codes as SVG data URIs: an <img> the page's CSP allows, no script, no files."""

from __future__ import annotations

import base64


def svg_data_uri(text: str) -> str:
    # Imported here: only pages for setting up sign-in codes or linking a chat draw one,
    # and qrcode brings xml.etree with it; a web process need not carry them until then.
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg: bytes = image.to_string(encoding="unicode").encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
