"""Photos are stored re-encoded: no EXIF (GPS, device, owner), the
orientation applied to the pixels."""

from __future__ import annotations

import io

from PIL import Image

from wangge.cases.media import decode

GPS_IFD = 0x8825


def _jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "手机厂商"  # Make
    exif[0x013B] = "张三"  # Artist
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[GPS_IFD] = {1: "N", 2: (30.0, 45.0, 12.5), 3: "E", 4: (120.0, 45.0, 1.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_metadata_is_stripped_and_orientation_kept():
    original = _jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif()  # the upload carries EXIF
    photo = decode("photo.jpg", original)
    stored = Image.open(io.BytesIO(photo.data))
    assert not stored.getexif()
    assert b"Exif" not in photo.data[:2000] and "张三".encode() not in photo.data
    assert stored.info.get("exif") is None and stored.info.get("icc_profile") is None
    # rotated by the orientation tag: 40x20 shows as 20x40
    assert (photo.width, photo.height) == stored.size == (20, 40)
    assert photo.content_type == "image/jpeg"


def test_png_text_chunks_are_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "李四 13812345678")
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    photo = decode("a.png", out.getvalue())
    assert b"13812345678" not in photo.data
    assert Image.open(io.BytesIO(photo.data)).mode == "RGBA"
