"""Benchmark: a letter rendered to PDF (target: at most 1 s a letter).

Renders each letter template (its newest version, for a hand-made context) N times and prints the median, p95 and
maximum per letter, and apart the import of WeasyPrint (it loads Pango) and the first letter of the process (it
reads the fonts). Beside them, in the
same run, the floor: the Jinja2 render alone (the letter's HTML), the plain text taken from that HTML, and
WeasyPrint on a one-line HTML page (what any PDF costs here, whatever it says). Prints figures, asserts nothing.
Usage: python benchmarks/letter_render.py [--repeats N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from casework import letters  # noqa: E402

CONTEXTS = {
    letters.WARNING: {"youth_id": "Y000123", "date": dt.date(2026, 12, 7), "event": "report_first"},
    letters.INVITATION: {"youth_id": "Y000123", "date": dt.date(2026, 12, 7), "event": "report_repeat",
                         "meeting_at": dt.datetime(2026, 12, 14, 10, 30), "contact_name": "Sanne de Vries"},
}
ONE_LINE = '<html><body><p style="font-family: DejaVu Sans">Hallo.</p></body></html>'


def timings(action, repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return seconds


def show(label: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{label:<44} median {1000 * statistics.median(ordered):7.1f} ms   p95 {1000 * p95:7.1f} ms   "
          f"max {1000 * ordered[-1]:7.1f} ms   (n={len(ordered)})", flush=True)


def letter_html(template: str) -> str:
    office = letters.OfficeSettings()
    version = letters.choose_version(template, None)
    values = letters.checked_context(template, CONTEXTS[template], office)
    return letters.letter_environment(letters.TEMPLATE_DIR).get_template(f"{template}/{version}.html.j2").render(
        **values, template=template, version=version, office=office)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    repeats = parser.parse_args().repeats

    start = time.perf_counter()
    import weasyprint  # noqa: F401 - timed: loads Pango, HarfBuzz and fontconfig
    print(f"{'import weasyprint (loads Pango)':<44} {1000 * (time.perf_counter() - start):7.1f} ms", flush=True)
    [first] = timings(lambda: letters.render_letter(letters.WARNING, CONTEXTS[letters.WARNING]), 1)
    print(f"{'first letter of the process (reads the fonts)':<44} {1000 * first:7.1f} ms", flush=True)
    for template, context in CONTEXTS.items():
        rendered = letters.render_letter(template, context)
        show(f"{template} {rendered.version} ({len(rendered.pdf) / 1024:.1f} KiB PDF)",
             timings(lambda t=template, c=context: letters.render_letter(t, c), repeats))
    print("floor, same run:")
    for template in CONTEXTS:
        show(f"  Jinja2 only: {template} HTML", timings(lambda t=template: letter_html(t), repeats))
        html = letter_html(template)
        show(f"  plain text from {template} HTML", timings(lambda h=html: letters.html_to_text(h), repeats))
    show("  WeasyPrint, a one-line page", timings(lambda: letters.html_to_pdf(ONE_LINE), repeats))


if __name__ == "__main__":
    main()
