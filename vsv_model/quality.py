"""The data-quality summary every run reports: what was read, dropped, mapped and ignored."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class DataQuality:
    """Counts of soft issues. Keys are table names, or `table.column` for column-level counts."""

    rows_read: dict[str, int] = field(default_factory=dict)
    duplicates_dropped: dict[str, int] = field(default_factory=dict)
    redeliveries_dropped: dict[str, int] = field(default_factory=dict)  # a report read twice (same report_id) counts once
    unknown_youth_records: dict[str, int] = field(default_factory=dict)
    municipality_names_mapped: dict[str, int] = field(default_factory=dict)
    unknown_enum_values: dict[str, int] = field(default_factory=dict)
    records_after_as_of: dict[str, int] = field(default_factory=dict)
    out_of_scope: dict[str, int] = field(default_factory=dict)
    in_scope: int | None = None
    as_of: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def add(self, other: DataQuality) -> None:
        """Add another reading's counts (another table, or another file of a table) to these."""
        for name, counts in other.to_dict().items():
            if isinstance(counts, dict):
                mine = getattr(self, name)
                for key, count in counts.items():
                    mine[key] = mine.get(key, 0) + int(count)

    def write_json(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def describe(self) -> str:
        """A short human-readable report, one line per kind of count."""
        lines = [f"Data-quality summary{' at ' + self.as_of if self.as_of else ''}:"]
        for name, counts in self.to_dict().items():
            if isinstance(counts, dict):
                shown = ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"
                lines.append(f"  {name.replace('_', ' ')}: {shown}")
        if self.in_scope is not None:
            lines.append(f"  in scope: {self.in_scope}")
        return "\n".join(lines)
