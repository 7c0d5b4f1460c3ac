#!/usr/bin/env python3
"""png-columns.py PNG COLUMNS: check a heatmap screenshot.

The heatmap draws each time column as cells one pixel apart on white, so a pixel row that crosses
the grid holds exactly one run of non-white pixels per column; text rows give other counts. The
most common run count among rows with more than one run is the number of columns. The image is
"not blank" when it has coloured (non-grey) pixels: cells with events.
A minimal PNG decoder (8-bit RGB/RGBA, all five filters) keeps this free of non-stdlib modules."""
import struct
import sys
import zlib
from collections import Counter


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6) or interlace:
        sys.exit(f"{path}: unsupported PNG (depth {depth}, colour type {ctype})")
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return rows


def main():
    rows, want = decode(sys.argv[1]), int(sys.argv[2])
    coloured = sum(1 for r in rows for (R, G, B) in r if max(R, G, B) - min(R, G, B) > 40)
    counts = Counter()
    for r in rows:
        runs, inside = 0, False
        for px in r:
            ink = px != (255, 255, 255)
            runs += ink and not inside
            inside = ink
        if runs > 1:
            counts[runs] += 1
    cols = counts.most_common(1)[0][0] if counts else 0
    print(f"png: {len(rows[0])}x{len(rows)}, coloured pixels {coloured}, columns {cols}")
    if coloured == 0:
        sys.exit("blank: no coloured cells")
    if cols != want:
        sys.exit(f"expected {want} columns, found {cols}")


main()
