"""core/uploads.py: the one upload check that support proofs, learning files and case attachments share."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from keychannel.core.uploads import PDF_PNG_JPEG, PDF_PNG_JPEG_TEXT, checked_content_type


def _check(upload, allowed=PDF_PNG_JPEG, max_bytes=1024):
    return checked_content_type(upload, field="proof", allowed=allowed, max_bytes=max_bytes,
                                too_large="too large", wrong_type="wrong type")


def test_a_real_pdf_passes_and_is_left_readable_from_the_start():
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.7 body", content_type="application/pdf; charset=binary")
    assert _check(upload) == "application/pdf"
    assert upload.read(4) == b"%PDF"


@pytest.mark.parametrize(("name", "content", "content_type", "message"), [
    ("a.pdf", b"MZ\x90\x00 an executable", "application/pdf", "wrong type"),   # renamed, declared as a PDF
    ("a.exe", b"MZ\x90\x00", "application/octet-stream", "wrong type"),       # a type nobody allows
    ("a.pdf", b"%PDF" + b"x" * 2000, "application/pdf", "too large"),
    ("a.txt", b"plain notes", "text/plain", "wrong type"),                     # text only where it is allowed
])
def test_refused_on_the_callers_field_with_the_callers_message(name, content, content_type, message):
    with pytest.raises(ValidationError) as refused:
        _check(SimpleUploadedFile(name, content, content_type=content_type))
    assert refused.value.message_dict == {"proof": [message]}


def test_plain_text_passes_where_the_caller_allows_it():
    assert _check(SimpleUploadedFile("a.txt", b"notes", content_type="text/plain"), allowed=PDF_PNG_JPEG_TEXT) == "text/plain"
