"""Writing a feature table: CSV or Parquet by extension, with its data-quality summary next to it."""

from __future__ import annotations

from pathlib import Path

from features.build import FeatureTable


def quality_path_for(out: Path) -> Path:
    return out.with_name(out.stem + ".quality.json")


def write_feature_table(table: FeatureTable, out: Path, *, with_label: bool) -> Path:
    """Write the rows to `out` and the summary to `<stem>.quality.json`; returns the summary's path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = table.to_frame(with_label)
    if out.suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False, float_format="%.10g")
    quality = quality_path_for(out)
    table.quality.write_json(quality)
    return quality
