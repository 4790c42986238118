"""Prediction intervals for ln Tc from a conformal calibration shipped beside a model.

A run folder may hold ``intervals.json``: the half-widths (ln K) of intervals at a stated
coverage level, pooled and per chemical family, fitted by
:func:`supercon3d.evaluation.intervals.fit_calibration` on the fold models' validation
errors. The interval of a prediction is its ensemble mean ln Tc plus or minus the half-width
of its family (the pooled one for a family with fewer than :data:`MIN_GROUP_SIZE`
calibration entries); in kelvin, ``exp`` of both ends.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

INTERVALS_FILE = "intervals.json"
FORMAT = "supercon3d-intervals-1"
MIN_GROUP_SIZE = 30
"""Fewest calibration entries for a family to get a half-width of its own."""
ALL = "all"
"""The name of the pooled group."""


@dataclass(frozen=True)
class IntervalCalibration:
    """Half-widths (ln K) of the intervals at ``level``, pooled (``"all"``) and per family,
    with the number of calibration entries behind each."""

    level: float
    half_width: dict[str, float]
    n: dict[str, int]

    def half_width_for(self, family: str | None) -> float:
        """The family's half-width (ln K), or the pooled one for a small or unknown family."""
        if family in self.half_width and self.n.get(family, 0) >= MIN_GROUP_SIZE:
            return self.half_width[family]
        return self.half_width[ALL]

    def bounds(self, ln_tc: float, family: str | None) -> tuple[float, float]:
        """The interval (ln K) around ``ln_tc`` for a crystal of ``family``."""
        width = self.half_width_for(family)
        return ln_tc - width, ln_tc + width

    def to_dict(self) -> dict:
        return {"format": FORMAT, "level": self.level, "half_width": self.half_width, "n": self.n}

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> IntervalCalibration:
        """A saved calibration; ``ValueError`` naming the file if it is not one."""
        try:
            values = json.loads(Path(path).read_text())
            if values.get("format") != FORMAT:
                raise ValueError(f"format is {values.get('format')!r}, expected {FORMAT!r}")
            calibration = cls(
                float(values["level"]),
                {str(k): float(v) for k, v in values["half_width"].items()},
                {str(k): int(v) for k, v in values["n"].items()},
            )
            widths = calibration.half_width.values()
            if ALL not in calibration.half_width or not all(math.isfinite(w) for w in widths):
                raise ValueError("needs a finite pooled half-width and finite family widths")
        except (OSError, AttributeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path}: not a readable interval calibration ({error})") from None
        return calibration


def read_calibration(folder: str | os.PathLike) -> IntervalCalibration | None:
    """The folder's ``intervals.json``, or None when it has none."""
    path = Path(folder) / INTERVALS_FILE
    return IntervalCalibration.load(path) if path.is_file() else None
