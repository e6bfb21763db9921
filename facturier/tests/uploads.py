"""Files for the upload tests, built at test time in a few KB whatever their size once decoded."""

import struct
import zlib


def big_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of width × height pixels: a few KB on disk, width × height / 8 bytes
    once decoded (a 12,000 × 12,000 logo is 144 megapixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit per pixel, grey
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # the filter byte, then the pixels
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
