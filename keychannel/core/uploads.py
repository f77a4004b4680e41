"""One check for every uploaded file (support proofs, learning files, service-case attachments): the size, the
declared content type against an allow-list, and the file's first bytes against that type's signature, so a
renamed executable never passes as a PDF. Each caller keeps its own field name and its own messages."""

from __future__ import annotations

from django.core.exceptions import ValidationError

# Content type -> the bytes a file of that type starts with (b"": any, for plain text).
PDF_PNG_JPEG = {
    "application/pdf": b"%PDF",
    "image/png": b"\x89PNG",
    "image/jpeg": b"\xff\xd8\xff",
}
PDF_PNG_JPEG_TEXT = {**PDF_PNG_JPEG, "text/plain": b""}


def checked_content_type(upload, *, field: str, allowed: dict[str, bytes], max_bytes: int, too_large, wrong_type) -> str:
    """The upload's content type once it passes; else a ValidationError on ``field`` with the caller's message."""
    if upload.size > max_bytes:
        raise ValidationError({field: too_large})
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    magic = allowed.get(declared)
    head = upload.read(8)
    upload.seek(0)
    if magic is None or not head.startswith(magic):
        raise ValidationError({field: wrong_type})
    return declared
