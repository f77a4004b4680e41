"""Hostile workbooks, written part by part with zipfile (no spreadsheet library could be made to write them)."""

import io
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
HEADER = ["Data factură", "CUI client", "Cod produs", "Cantitate", "Valoare fără TVA (RON)"]


def inline_row(number: int, values) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{value}</t></is></c>' for i, value in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def workbook(rows_xml: str, *, dimension: str | None = None) -> bytes:
    """An XLSX whose only sheet holds ``rows_xml`` (``<row>`` elements) and declares ``dimension``."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{declared}<sheetData>{rows_xml}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def declared_huge() -> bytes:
    """The finding's 1.6 KB file: declares A1:XFD1048576, one header and one cell at row 1,048,576."""
    return workbook(inline_row(1, HEADER) + '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>',
                    dimension="A1:XFD1048576")


def bomb(megabytes: int) -> bytes:
    """A header, then ``megabytes`` MB of empty cells (four million a 16 MB) that deflate a thousandfold."""
    filler = "<c/>" * (megabytes * 1024 * 1024 // 4)
    return workbook(inline_row(1, HEADER) + f'<row r="2">{filler}</row>')


def long_text(megabytes: int) -> bytes:
    """A header, then one cell of ``megabytes`` MB of one letter: few elements, many bytes."""
    return workbook(inline_row(1, HEADER) + inline_row(2, ["A" * (megabytes * 1024 * 1024)]))


def no_sheet() -> bytes:
    """A workbook that lists no sheet (openpyxl opens it; reading "the first sheet" was an IndexError, a 500)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK.replace('<sheet name="Sheet1" sheetId="1" r:id="rId1"/>', ""))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
    return out.getvalue()
