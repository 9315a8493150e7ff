"""Real files made for the video, text and file tests: videos with ffmpeg, a DOCX with
python-docx, PDFs with pypdf, and texts in English and Persian."""

from __future__ import annotations

import subprocess
from pathlib import Path

FFMPEG = "/usr/bin/ffmpeg"

ENGLISH = (
    "And so, my fellow Americans: ask not what your country can do for you, ask what you can "
    "do for your country. We choose to go to the Moon in this decade, not because it is easy, "
    "but because it is hard. This is a wonderful and great day for the whole nation. The "
    "country will remember this great day for a very long time."
)
PERSIAN = (
    "تهران پایتخت ایران است. این شهر بزرگ‌ترین شهر کشور است و جمعیت زیادی دارد. مردم تهران "
    "به زبان فارسی صحبت می‌کنند و هوای شهر در زمستان سرد است. کوه‌های البرز در شمال شهر قرار "
    "دارند و در زمستان پر از برف هستند."
)


def make_video(
    target: Path,
    audio: Path | None,
    *,
    seconds: float = 11,
    size: str = "320x240",
    shortest: bool = True,
) -> Path:
    """A test-pattern video of `seconds` (25 fps), with `audio` as its sound track if given;
    `shortest=False` keeps the whole picture when the sound ends first."""
    command = [FFMPEG, "-loglevel", "error", "-y", "-f", "lavfi"]
    command += ["-i", f"testsrc=duration={seconds}:size={size}:rate=25"]
    if audio is not None:
        command += ["-i", str(audio), "-c:a", "aac" if target.suffix != ".webm" else "libopus"]
    codec = ["-c:v", "libvpx"] if target.suffix == ".webm" else ["-c:v", "libx264"]
    command += [*codec, "-pix_fmt", "yuv420p", *(["-shortest"] if shortest else []), str(target)]
    subprocess.run(command, check=True, timeout=120)
    return target


def make_docx(target: Path, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Meeting notes", level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Owner"
    table.rows[0].cells[1].text = "Kennedy"
    document.save(str(target))
    return target


def make_pdf(target: Path, lines: list[str]) -> Path:
    """A one-page PDF with `lines` (ASCII) as real text, or a blank page for no lines."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    if lines:
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        shown = " ".join(
            f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -16 Td" for line in lines
        )
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td {shown} ET".encode("latin-1"))
        page.replace_contents(stream)
    with target.open("wb") as out:
        writer.write(out)
    return target
