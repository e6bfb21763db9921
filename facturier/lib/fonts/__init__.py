"""The fonts every PDF is set in, and the Typst compilers that use them.

Documents print what users type: names, lines and notes in any script, emoji included. A PDF/A file
may not show a character with a font that lacks it, so Typst refuses such a text rather than printing
an empty box; every compiler therefore gets the same fonts, shipped with the project so that every
machine makes the same file (system fonts are ignored):

- Libertinus Serif (embedded in Typst) sets French and most European text, as before;
- Noto fonts in this folder (OFL, see OFL.txt) take what it lacks: Noto Sans (Latin, Greek, Cyrillic,
  combining marks), Arabic, Hebrew, a few other scripts, symbols, and monochrome emoji;
- Noto Sans CJK (the `noto-cjk-sans-otc` package: the same file as Debian's fonts-noto-cjk) sets
  Chinese, Japanese and Korean.

Typst takes each character from the first family of `FAMILIES` that has it. docs/architecture.md (PDF)
lists the files, their sources and sizes.
"""

import functools
import json
from pathlib import Path

import noto_cjk_sans_otc
import typst

FOLDER = Path(__file__).parent

FAMILIES = (
    "Libertinus Serif",
    "Noto Sans",
    "Noto Naskh Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Armenian",
    "Noto Sans Georgian",
    "Noto Sans Devanagari",
    "Noto Sans Bengali",
    "Noto Sans Tamil",
    "Noto Sans Thai",
    # Simplified Chinese forms for the ideographs Chinese, Japanese and Korean share: one face, so a
    # name prints the same whatever the document's language.
    "Noto Sans CJK SC",
    "Noto Emoji",
    "Noto Sans Symbols",
    "Noto Sans Symbols2",
)

# What every template reads as `sys.inputs.fonts` (`#set text(font: json(bytes(sys.inputs.fonts)))`).
INPUTS = {"fonts": json.dumps(FAMILIES)}


def folders() -> list[str]:
    """The folders Typst reads fonts from (Typst takes folders, not files)."""
    return [str(FOLDER), str(Path(str(noto_cjk_sans_otc.FONT_PATH)).parent)]


@functools.cache
def fonts() -> typst.Fonts:
    # Found once per process and shared by every compiler: reading the CJK collection's tables takes
    # longer than a render. Glyph data is read when a document first uses a font.
    return typst.Fonts(include_system_fonts=False, include_embedded_fonts=True, font_paths=folders())


def compiler(template: Path | bytes) -> typst.Compiler:
    """A Typst compiler of `template` (a file, or the source itself) with these fonts. Callers keep it
    for the process (the template is parsed once) and pass `INPUTS` with their data."""
    if isinstance(template, Path):
        return typst.Compiler(template, root=template.parent, font_paths=fonts(), ignore_system_fonts=True)
    return typst.Compiler(template, font_paths=fonts(), ignore_system_fonts=True)
