"""Benchmark: how often `vsv monitor` raises a finding where nothing changed, and which planted shifts it finds.

For each seed a world without drift (`vsv generate --no-drift`, scaled to --youths) and a champion fitted as `vsv
train` fits by default (every 1 October from 2014, the registrations' first years included; the newest complete
cohort tests) are monitored at every 1 October 2022-2026: the false-alarm rate is the share of those runs whose
status is not `ok` (exit code not 0), with every finding printed. (`weeks_since_last_report` looks back to the
first report in the data: the profile and the monitor compare it over what every fit date could see,
`vsv_model.feature_spec.OpenLookback`.) With --shifts, the same seed's world with one shift
planted from 2025-10-01 (`--drift NAME=SIZE`; identical up to then, so the same champion serves) is monitored at
2026-10-01 and the findings are printed: found means at least a warning on the shift's own subject.

Usage: python benchmarks/monitoring.py [--seeds 1 2 3 4 5] [--youths 40000]
       [--shifts reporting_stop=1 reporting_stop=0.5 absence_level=1 absence_level=0.5 mbo_mix=0.5 dropout_hazard=1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from data_synthetic.generate import WorldConfig, generate_world, write_world  # noqa: E402
from monitoring.config import MonitorConfig  # noqa: E402
from monitoring.run import monitor  # noqa: E402
from tests.builders import fast_config, monitored_champion  # noqa: E402
from vsv_model.reader import read_data_dir  # noqa: E402

DATES = [dt.date(y, 10, 1) for y in range(2022, 2027)]
CONFIG = replace(MonitorConfig(), history_years=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--youths", type=int, default=40_000)
    parser.add_argument("--shifts", nargs="*", default=[])
    args = parser.parse_args()
    runs = alarms = 0
    shift_results = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            calm = Path(scratch) / "calm"
            write_world(calm, generate_world(WorldConfig(youths=args.youths, seed=seed, drift=False)))
            data = read_data_dir(calm)
            served = monitored_champion(calm, None, fast_config(), data)
            for day in DATES:
                result = monitor(served, data, day, CONFIG)
                runs += 1
                alarms += result.status != "ok"
                print(f"seed {seed} {day} no drift: {result.status} ({len(result.findings)} findings)", flush=True)
                for finding in result.findings:
                    print("    " + finding.line(), flush=True)
            for spec in args.shifts:
                name, size = spec.split("=")
                shifted = Path(scratch) / f"{name}-{size}"
                write_world(shifted, generate_world(WorldConfig(youths=args.youths, seed=seed, drift=False,
                                                                shifts=((name, float(size)),))))
                result = monitor(served, read_data_dir(shifted), DATES[-1], CONFIG)
                shift_results.append((seed, spec, result.status, [f.line() for f in result.findings]))
                print(f"seed {seed} {spec} planted: {result.status} ({len(result.findings)} findings)", flush=True)
                for finding in result.findings:
                    print("    " + finding.line(), flush=True)
            print(f"seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
    print(f"\nfalse alarms without drift: {alarms} of {runs} monitoring runs ({alarms / max(runs, 1):.1%}); "
          f"{len(args.seeds)} seeds x {len(DATES)} dates, {args.youths:,} youths")
    for seed, spec, status, _ in shift_results:
        print(f"planted {spec} (seed {seed}): {status}")


if __name__ == "__main__":
    main()
