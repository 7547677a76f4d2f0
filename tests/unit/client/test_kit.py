from __future__ import annotations

import io
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2
import pytest
import segno
import zxingcpp
from PIL import Image

from safehold.client.kit import (
    KitReadError,
    qr_for_terminal,
    read_kit,
    render_kit_pdf,
    write_kit_pdf,
    write_kit_png,
)
from safehold.crypto import AccountKey, AccountKeyTypo, KitError, KitPayload

KEY = AccountKey(bytes(range(16)))
PAYLOAD = KitPayload(server="https://vault.example.com:8443", email="alice@example.com", account_key=KEY)


def typo(text: str) -> str:
    """The key's text with its last symbol changed: a single mistyped character."""
    last = text[-1]
    return text[:-1] + ("1" if last != "1" else "2")


def pdf_text(path: Path) -> str:
    document = pypdfium2.PdfDocument(path)
    try:
        assert len(document) == 1
        return str(document[0].get_textpage().get_text_range())
    finally:
        document.close()


def test_pdf_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "kit.pdf"
    write_kit_pdf(path, PAYLOAD, created=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    assert read_kit(path) == PAYLOAD
    text = pdf_text(path)
    for expected in (
        "Safehold Emergency Kit",
        PAYLOAD.server,
        PAYLOAD.email,
        KEY.to_text(),
        "PASSWORD",
        "2024-05-01",
    ):
        assert expected in text


def test_a_folder_vault_kit_names_the_folder_and_how_to_join(tmp_path: Path) -> None:
    payload = KitPayload(
        server="", email="ann@example.com", account_key=KEY, folder="/home/ann/Dropbox/Vault"
    )
    path = tmp_path / "kit.pdf"
    write_kit_pdf(path, payload)
    assert read_kit(path) == payload
    text = pdf_text(path)
    assert "VAULT FOLDER" in text and "/home/ann/Dropbox/Vault" in text and "--folder" in text
    assert "SERVER" not in text


@pytest.mark.parametrize(
    "payload",
    [
        PAYLOAD,
        # The longest email (254 characters) and a long server URL: wrapped, not spilled.
        KitPayload(
            server="https://" + "long-subdomain." * 14 + "example.com:8443/vault/prefix/",
            email="a" * 64 + "@" + ("b" * 60 + ".") * 3 + "xyz.io",
            account_key=KEY,
        ),
        KitPayload(server="https://hold.example", email="jürgen.ωμέγα@bücher.example", account_key=KEY),
    ],
    ids=["typical", "longest", "non-latin"],
)
def test_pdf_is_exactly_one_page(tmp_path: Path, payload: KitPayload) -> None:
    path = tmp_path / "kit.pdf"
    write_kit_pdf(path, payload)
    document = pypdfium2.PdfDocument(path)
    try:
        assert len(document) == 1
    finally:
        document.close()
    assert read_kit(path) == payload


def test_pdf_with_characters_beyond_latin1(tmp_path: Path) -> None:
    payload = KitPayload(server="https://hold.example", email="jürgen.ωμέγα@example.com", account_key=KEY)
    path = tmp_path / "kit.pdf"
    write_kit_pdf(path, payload)
    assert read_kit(path) == payload


def test_png_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "kit.png"
    write_kit_png(path, PAYLOAD)
    assert read_kit(path) == PAYLOAD
    with Image.open(path) as image:
        assert image.width >= 400  # scale large enough for a camera or zxing


def test_written_kits_are_private(tmp_path: Path) -> None:
    for name, write in (("kit.pdf", write_kit_pdf), ("kit.png", write_kit_png)):
        path = tmp_path / name
        path.write_bytes(b"old")
        os.chmod(path, 0o644)
        write(path, PAYLOAD)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kit.pdf", "kit.png"]  # no temp files left


def test_photo_like_jpeg_of_the_page_is_read(tmp_path: Path) -> None:
    page = pypdfium2.PdfDocument(render_kit_pdf(PAYLOAD))[0].render(scale=150 / 72).to_pil()
    photo = page.convert("RGB").rotate(3, expand=True, fillcolor="white")
    path = tmp_path / "photo.jpg"
    photo.save(path, quality=70)
    assert read_kit(path) == PAYLOAD


def test_transparent_png_is_read(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    segno.make_qr(PAYLOAD.to_uri()).save(str(path), kind="png", scale=8, light=None)
    assert read_kit(path) == PAYLOAD


def test_terminal_qr_is_text_that_decodes() -> None:
    art = qr_for_terminal(PAYLOAD)
    assert "\x1b" not in art
    rows = art.splitlines()
    assert rows and len({len(r) for r in rows}) == 1
    # Re-draw the half-block art as pixels (space = dark) and decode it.
    scale = 6
    image = Image.new("L", (len(rows[0]) * scale, len(rows) * 2 * scale), 255)
    for y, row in enumerate(rows):
        for x, ch in enumerate(row):
            top, bottom = {" ": (0, 0), "▀": (255, 0), "▄": (0, 255), "█": (255, 255)}[ch]
            image.paste(top, (x * scale, 2 * y * scale, (x + 1) * scale, (2 * y + 1) * scale))
            image.paste(bottom, (x * scale, (2 * y + 1) * scale, (x + 1) * scale, (2 * y + 2) * scale))
    hits = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    assert [h.text for h in hits] == [PAYLOAD.to_uri()]


# ----- errors --------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KitReadError, match="no such file"):
        read_kit(tmp_path / "nope.pdf")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(KitReadError, match="not a file"):
        read_kit(tmp_path)


@pytest.mark.parametrize("content", [b"hello, world\n", b"", b"\x89PNG\r\n\x1a\n broken"])
def test_not_an_image_or_pdf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "kit.png"
    path.write_bytes(content)
    with pytest.raises(KitReadError, match=r"not an image or a PDF|damaged"):
        read_kit(path)


def test_broken_pdf(tmp_path: Path) -> None:
    path = tmp_path / "kit.pdf"
    path.write_bytes(b"%PDF-1.7\nthis is not really a pdf")
    with pytest.raises(KitReadError, match="cannot be opened"):
        read_kit(path)


def test_image_without_a_qr_code(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.new("RGB", (300, 300), "white").save(path)
    with pytest.raises(KitReadError, match="no QR code"):
        read_kit(path)


def test_pdf_without_a_qr_code(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Just a letter")
    path = tmp_path / "letter.pdf"
    path.write_bytes(bytes(pdf.output()))
    with pytest.raises(KitReadError, match="no QR code"):
        read_kit(path)


def test_qr_that_is_not_a_safehold_kit(tmp_path: Path) -> None:
    path = tmp_path / "wifi.png"
    segno.make_qr("WIFI:T:WPA;S:home;P:secret-pass;;").save(str(path), kind="png", scale=8)
    with pytest.raises(KitReadError, match="not a Safehold Emergency Kit") as info:
        read_kit(path)
    assert "secret-pass" not in str(info.value)
    assert isinstance(info.value, KitError)


def test_safehold_qr_of_an_unknown_version(tmp_path: Path) -> None:
    path = tmp_path / "future.png"
    segno.make_qr(PAYLOAD.to_uri().replace("v=1", "v=9")).save(str(path), kind="png", scale=8)
    with pytest.raises(KitReadError, match="version"):
        read_kit(path)


def test_account_key_typo_in_the_qr_is_reported_as_a_typo(tmp_path: Path) -> None:
    uri = PAYLOAD.to_uri().replace(KEY.to_text(), typo(KEY.to_text()))
    assert uri != PAYLOAD.to_uri()
    path = tmp_path / "typo.png"
    segno.make_qr(uri).save(str(path), kind="png", scale=8)
    with pytest.raises(AccountKeyTypo):
        read_kit(path)


def test_kit_found_among_other_codes(tmp_path: Path) -> None:
    other = Image.open(io.BytesIO(_png("https://example.com/menu")))
    kit = Image.open(io.BytesIO(_png(PAYLOAD.to_uri())))
    sheet = Image.new("RGB", (other.width + kit.width + 40, max(other.height, kit.height)), "white")
    sheet.paste(other, (0, 0))
    sheet.paste(kit, (other.width + 40, 0))
    path = tmp_path / "sheet.png"
    sheet.save(path)
    assert read_kit(path) == PAYLOAD


def _png(data: str) -> bytes:
    out = io.BytesIO()
    segno.make_qr(data).save(out, kind="png", scale=6)
    return out.getvalue()
