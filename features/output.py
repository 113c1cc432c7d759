"""Writing a feature table: CSV or Parquet by extension (`vsv_model.table_io`), with its data-quality summary
next to it."""

from __future__ import annotations

from pathlib import Path

from features.build import FeatureTable
from vsv_model.table_io import write_frame


def quality_path_for(out: Path) -> Path:
    return out.with_name(out.stem + ".quality.json")


def write_feature_table(table: FeatureTable, out: Path, *, with_label: bool) -> Path:
    """Write the rows to `out` and the summary to `<stem>.quality.json`; returns the summary's path."""
    write_frame(table.to_frame(with_label), out)
    quality = quality_path_for(out)
    table.quality.write_json(quality)
    return quality
