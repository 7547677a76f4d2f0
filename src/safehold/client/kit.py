"""The Emergency Kit: the one page a person prints to sign in on a new device (spec §8).

It carries the server URL, the email and the account key, as text and as a QR code whose payload
is :meth:`KitPayload.to_uri`, plus a blank line for the password. Reading a kit back accepts a
PNG/JPEG (a photo or the PNG this module writes) or the PDF itself.

    KitError (safehold.crypto)
    └── KitReadError    the file is missing, not an image or PDF, holds no QR code,
                        or holds a QR code that is not a Safehold kit

A kit whose QR carries a mistyped or unreadable account key raises the crypto layer's
``AccountKeyTypo`` / ``AccountKeyFormat`` unchanged, so the CLI shows the same message as for a
typed key. The kit holds the account key: every file written here is created readable by its
owner only, and replaced atomically so a crash never leaves half a kit.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pypdfium2
import segno
import zxingcpp
from fpdf import FPDF
from PIL import Image, UnidentifiedImageError

from safehold.crypto import KitError, KitPayload, RecoveryCode

__all__ = ["KitReadError", "kit_qr", "qr_for_terminal", "read_kit", "write_kit_pdf", "write_kit_png"]

#: QR error correction: "M" survives a crease or a smudge on paper and keeps the code small
#: enough for an 80-column terminal.
QR_ERROR: Final = "m"
PNG_SCALE: Final = 10
QUIET_ZONE: Final = 4
#: Rendering resolution for reading a PDF kit; the QR's modules come out ~7 px wide.
PDF_DPI: Final = 200
_PDF_MAX_PAGES: Final = 4
_PDF_MAGIC: Final = b"%PDF"
_QR_ONLY: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

# fpdf2's built-in fonts only cover Latin-1; an email or server name beyond it needs a TrueType
# font. Debian's DejaVu is the usual one; without it such text is printed with '?' and the
# page says the QR code holds the exact value.
_FONT_DIRS: Final = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")
_UNICODE_FONTS: Final = {
    ("sans", ""): "DejaVuSans.ttf",
    ("sans", "B"): "DejaVuSans-Bold.ttf",
    ("mono", "B"): "DejaVuSansMono-Bold.ttf",
}

_INSTRUCTIONS: Final = (
    "Print this page, or save it somewhere only you can reach (not in this vault).",
    "To sign in on a new device you need your email, your password and this account key. "
    "Type the key, or run:  safehold login EMAIL --kit <this file or a photo of it>",
    "Safehold never sends your account key or your password to the server, so nobody can "
    "recover them for you. Anyone holding both this kit and your password can open your vault: "
    "keep them apart.",
)


_RECOVERY_INSTRUCTIONS: Final = (
    "If you forget your password, this code and a link emailed to you give the account a new password "
    "and a new account key, and every item stays:  safehold recover EMAIL",
    "Anyone who has this code AND can read your email can do the same: keep this page away from "
    "your email and your devices.",
    "The code works once. Making a new one (safehold recovery-code) makes this one useless; "
    "safehold recovery-code --revoke removes it.",
)


class KitReadError(KitError):
    """An Emergency Kit file could not be read; the message names the file and the reason."""


# ----- writing ---------------------------------------------------------------------------


def kit_qr(payload: KitPayload) -> segno.QRCode:
    return segno.make_qr(payload.to_uri(), error=QR_ERROR)


def qr_for_terminal(payload: KitPayload) -> str:
    """The kit's QR as text of half-block characters, light modules drawn, for a dark terminal."""
    out = io.StringIO()
    kit_qr(payload).terminal(out=out, compact=True, border=QUIET_ZONE)
    return out.getvalue()


def write_kit_png(path: str | os.PathLike[str], payload: KitPayload) -> None:
    """The QR alone, with its quiet zone, at a scale any phone or zxing reads."""
    _write_private(Path(path), _qr_png(payload))


def write_kit_pdf(
    path: str | os.PathLike[str],
    payload: KitPayload,
    *,
    created: datetime | None = None,
    recovery_code: RecoveryCode | None = None,
) -> None:
    """The A4 Emergency Kit: one page, and a second with the recovery code when given."""
    _write_private(Path(path), render_kit_pdf(payload, created=created, recovery_code=recovery_code))


def render_kit_pdf(
    payload: KitPayload, *, created: datetime | None = None, recovery_code: RecoveryCode | None = None
) -> bytes:
    created = (created or datetime.now(UTC)).astimezone(UTC)
    pdf = _KitPdf(payload, created, recovery_code)
    return pdf.build()


class _KitPdf:
    _LEFT: Final = 20.0
    _WIDTH: Final = 170.0
    _QR_SIZE: Final = 58.0

    def __init__(
        self, payload: KitPayload, created: datetime, recovery_code: RecoveryCode | None = None
    ) -> None:
        self.payload = payload
        self.recovery_code = recovery_code
        self.created = created
        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_margins(self._LEFT, 18, self._LEFT)
        self.pdf.set_auto_page_break(auto=False)
        self.pdf.set_creation_date(created)
        self.pdf.set_title("Safehold Emergency Kit")
        self.pdf.set_creator("Safehold")
        self.unicode = self._load_unicode_fonts()
        self.lossy = False

    def build(self) -> bytes:
        pdf = self.pdf
        pdf.add_page()
        self._font("sans", "B", 24)
        pdf.cell(self._WIDTH, 12, "Safehold Emergency Kit", new_x="LMARGIN", new_y="NEXT")
        self._font("sans", "", 10)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(self._WIDTH, 6, f"Created {self.created:%Y-%m-%d %H:%M} UTC", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(6)

        top = pdf.get_y()
        text_width = self._WIDTH - self._QR_SIZE - 8
        if self.payload.folder is not None:
            self._labelled("VAULT FOLDER (no server; it may be elsewhere on another device)",
                           self.payload.folder, text_width)  # fmt: skip
        else:
            self._labelled("SERVER", self.payload.server, text_width)
        self._labelled("EMAIL ADDRESS", self.payload.email, text_width)
        pdf.image(
            io.BytesIO(_qr_png(self.payload)),
            x=self._LEFT + self._WIDTH - self._QR_SIZE,
            y=top,
            w=self._QR_SIZE,
            h=self._QR_SIZE,
        )
        pdf.set_y(max(pdf.get_y(), top + self._QR_SIZE) + 4)

        self._label("ACCOUNT KEY")
        self._font("mono", "B", 17)
        pdf.cell(self._WIDTH, 11, self.payload.account_key.to_text(), border=1, align="C")
        pdf.ln(16)

        self._label("PASSWORD (write it here only if this page will be kept somewhere safe)")
        pdf.ln(12)
        y = pdf.get_y()
        pdf.set_draw_color(0, 0, 0)
        pdf.line(self._LEFT, y, self._LEFT + self._WIDTH, y)
        pdf.ln(10)

        self._label("WHAT TO DO WITH THIS PAGE")
        self._font("sans", "", 10.5)
        instructions = _INSTRUCTIONS
        if self.payload.folder is not None:
            instructions = (
                _INSTRUCTIONS[0],
                "To sign in on a new device you need your email, your password, this account key and "
                "the vault folder as that device sees it. Run:  safehold login EMAIL --folder FOLDER "
                "--kit <this file or a photo of it>",
                _INSTRUCTIONS[2].replace("to the server", "anywhere"),
            )
        for number, text in enumerate(instructions, start=1):
            pdf.multi_cell(
                self._WIDTH, 5.5, f"{number}.  {self._safe(text)}", align="L", new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(1.5)
        if self.lossy:
            pdf.ln(2)
            self._font("sans", "B", 10)
            pdf.multi_cell(
                self._WIDTH,
                5.5,
                "Some characters could not be printed and are shown as '?'. The QR code holds the "
                "exact values.",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        if self.recovery_code is not None:
            self._recovery_page(self.recovery_code)
        return bytes(pdf.output())

    def _recovery_page(self, code: RecoveryCode) -> None:
        """Page 2 (spec §9.2): the recovery code as text only. No QR code: a photo of this page
        should not be enough for a scanner to pick the code up by itself."""
        pdf = self.pdf
        pdf.add_page()
        self._font("sans", "B", 24)
        pdf.cell(self._WIDTH, 12, "Safehold Recovery Code", new_x="LMARGIN", new_y="NEXT")
        self._font("sans", "", 10)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(self._WIDTH, 6, f"Created {self.created:%Y-%m-%d %H:%M} UTC", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(6)
        self._labelled("EMAIL ADDRESS", self.payload.email, self._WIDTH)
        self._label("RECOVERY CODE")
        text = code.to_text()
        half = text.index("-", len(text) // 2)
        self._font("mono", "B", 15)
        pdf.multi_cell(self._WIDTH, 9, f"{text[:half]}-\n{text[half + 1:]}", border=1, align="C",
                       new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.ln(8)
        self._label("WHAT THIS CODE DOES")
        self._font("sans", "", 10.5)
        for number, line in enumerate(_RECOVERY_INSTRUCTIONS, start=1):
            pdf.multi_cell(self._WIDTH, 5.5, f"{number}.  {line}", align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)

    def _labelled(self, label: str, value: str, width: float) -> None:
        self._label(label)
        self._font("sans", "", 13)
        self.pdf.multi_cell(width, 7, self._safe(value), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(4)

    def _label(self, text: str) -> None:
        self._font("sans", "B", 8.5)
        self.pdf.set_text_color(90, 90, 90)
        self.pdf.cell(self._WIDTH, 5, text, new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(0, 0, 0)

    def _font(self, family: str, style: str, size: float) -> None:
        if self.unicode and (family, style) in _UNICODE_FONTS:
            self.pdf.set_font(f"safehold-{family}", style, size)
        else:
            self.pdf.set_font("Courier" if family == "mono" else "Helvetica", style, size)

    def _safe(self, text: str) -> str:
        if self.unicode:
            return text
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            self.lossy = True
            return text.encode("latin-1", errors="replace").decode("latin-1")
        return text

    def _load_unicode_fonts(self) -> bool:
        needed = self.payload.server + self.payload.email + (self.payload.folder or "")
        if needed.isascii():
            return False
        for folder in _FONT_DIRS:
            paths = {key: Path(folder, name) for key, name in _UNICODE_FONTS.items()}
            if all(p.is_file() for p in paths.values()):
                for (family, style), font_path in paths.items():
                    self.pdf.add_font(f"safehold-{family}", style, str(font_path))
                return True
        return False


def _qr_png(payload: KitPayload) -> bytes:
    out = io.BytesIO()
    kit_qr(payload).save(out, kind="png", scale=PNG_SCALE, border=QUIET_ZONE)
    return out.getvalue()


def _write_private(path: Path, data: bytes) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ----- reading ---------------------------------------------------------------------------


def read_kit(path: str | os.PathLike[str]) -> KitPayload:
    """The payload of the kit in a PNG/JPEG/other image or a PDF (its first pages, at 200 dpi)."""
    file = Path(path)
    if not file.exists():
        raise KitReadError(f"{file}: no such file")
    if not file.is_file():
        raise KitReadError(f"{file}: not a file")
    try:
        with file.open("rb") as handle:
            head = handle.read(len(_PDF_MAGIC))
    except OSError as exc:
        raise KitReadError(f"{file}: cannot be read ({exc.strerror or exc})") from None
    images = _pdf_pages(file) if head == _PDF_MAGIC else iter([_open_image(file)])
    texts: list[str] = []
    for image in images:
        texts += [hit.text for hit in zxingcpp.read_barcodes(image, formats=_QR_ONLY)]
        for text in texts:
            if text.startswith("safehold:"):
                return _payload(file, text)
    if not texts:
        raise KitReadError(f"{file}: no QR code found; scan or photograph the kit again, flat and in focus")
    raise KitReadError(f"{file}: the QR code in it is not a Safehold Emergency Kit")


def _payload(file: Path, text: str) -> KitPayload:
    try:
        return KitPayload.from_uri(text)
    except KitError as exc:
        raise KitReadError(f"{file}: {exc}") from None


def _open_image(file: Path) -> Image.Image:
    try:
        with Image.open(file) as opened:
            opened.load()
            image: Image.Image = opened.copy()
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise KitReadError(f"{file}: not an image or a PDF (an Emergency Kit is a .pdf or .png)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise KitReadError(f"{file}: the image is damaged ({exc})") from None
    return _for_zxing(image)


def _for_zxing(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels would turn black and swallow the quiet zone: put them on white.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("L")
    return image if image.mode in ("L", "RGB") else image.convert("RGB")


def _pdf_pages(file: Path) -> Iterator[Image.Image]:
    try:
        document = pypdfium2.PdfDocument(file)
    except pypdfium2.PdfiumError as exc:
        raise KitReadError(f"{file}: looks like a PDF but cannot be opened ({exc})") from None
    try:
        for index in range(min(len(document), _PDF_MAX_PAGES)):
            page = document[index]
            try:
                bitmap = page.render(scale=PDF_DPI / 72, grayscale=True)
                yield _for_zxing(bitmap.to_pil())
            finally:
                page.close()
    finally:
        document.close()
