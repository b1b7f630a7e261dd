"""Photos: at most 9 per step, images only, at most 10 MB each, checked by
decoding them with Pillow (a renamed PDF or a truncated JPEG fails here),
before anything is written; what is stored is re-encoded without metadata
(`reencode`)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image

from wangge.core.errors import DomainError

MAX_PHOTOS = 9
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str
    ext: str
    width: int
    height: int
    sha256: str


def _read(f) -> tuple[str, bytes]:
    name = getattr(f, "name", "") or "photo"
    size = getattr(f, "size", None)
    if size is not None and size > MAX_BYTES:
        raise DomainError(
            "photo_too_large", f"照片“{name}”超过 10 MB", details={"file": name}, status=422
        )
    data = f.read() if hasattr(f, "read") else bytes(f)
    return name, data


def validate_photos(files) -> list[Photo]:
    files = list(files or [])
    if len(files) > MAX_PHOTOS:
        raise DomainError("too_many_photos", f"最多上传 {MAX_PHOTOS} 张照片", status=422)
    out = []
    for f in files:
        name, data = _read(f)
        if len(data) > MAX_BYTES:
            raise DomainError(
                "photo_too_large", f"照片“{name}”超过 10 MB", details={"file": name}, status=422
            )
        out.append(decode(name, data))
    return out


def reencode(data: bytes, fmt: str) -> tuple[bytes, int, int]:
    """The stored photo is a fresh encoding of the pixels: EXIF (GPS
    position, device, owner name), XMP, comments and ICC data are dropped.
    The orientation is applied to the pixels first, so the photo still
    shows the right way up; the case keeps its own point (lng/lat)."""
    from PIL import ImageOps

    with Image.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img)
        if fmt == "JPEG" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        out = io.BytesIO()
        if fmt == "JPEG":
            img.save(out, "JPEG", quality=88, optimize=True)
        elif fmt == "PNG":
            img.save(out, "PNG", optimize=False)
        else:
            img.save(out, "WEBP", quality=88)
        return out.getvalue(), img.width, img.height


def decode(name: str, data: bytes) -> Photo:
    bad = DomainError(
        "not_an_image",
        f"文件“{name}”不是有效的图片（支持 JPEG、PNG、WebP）",
        details={"file": name},
        status=422,
    )
    if not data:
        raise bad
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                width, height = img.size
                if fmt not in FORMATS or width * height > MAX_PIXELS:
                    raise bad
                img.load()  # decode every pixel: truncated or corrupt files fail
    except DomainError:
        raise
    except Exception as exc:
        raise bad from exc
    data, width, height = reencode(data, fmt)
    content_type, ext = FORMATS[fmt]
    return Photo(
        data=data,
        content_type=content_type,
        ext=ext,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
