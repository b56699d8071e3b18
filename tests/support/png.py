"""Just enough of PNG to look at a screenshot: Chromium's are 8-bit RGB or RGBA, not interlaced."""

import struct
import zlib
from collections.abc import Iterator

Pixel = tuple[int, int, int]


def pixels(png: bytes) -> Iterator[Pixel]:
    """Every pixel's red, green and blue, row by row."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, b"", b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        data = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            chunks += data
        position += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0), (depth, interlace)
    assert color in (2, 6), color
    size = 3 if color == 2 else 4
    raw, stride = zlib.decompress(chunks), width * size
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up, up_left = previous[i], previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - up_left
                nearest = min(
                    (abs(estimate - left), 0, left),
                    (abs(estimate - up), 1, up),
                    (abs(estimate - up_left), 2, up_left),
                )
                line[i] = (line[i] + nearest[2]) & 0xFF
        for x in range(0, stride, size):
            yield line[x], line[x + 1], line[x + 2]
        previous = line


def dark_share(png: bytes) -> float:
    """The share of pixels that are dark (text on a light background)."""
    counted = dark = 0
    for red, green, blue in pixels(png):
        counted += 1
        dark += red + green + blue < 3 * 96
    return dark / counted


def colours(png: bytes) -> int:
    return len(set(pixels(png)))
