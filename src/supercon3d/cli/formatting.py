"""Small parsing and formatting helpers shared by the CLI commands."""

from __future__ import annotations

import dataclasses
import math

import typer


def parse_folds(text: str | None, n_folds: int) -> tuple[int, ...] | None:
    """'0,3' -> (0, 3); 'all' or None -> None (every fold)."""
    if text is None or text.strip() == "all":
        return None
    try:
        folds = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: expected 'all' or comma-separated fold numbers"
        ) from None
    if not folds or not all(0 <= f < n_folds for f in folds):
        raise typer.BadParameter(f"{text!r}: folds must be in 0..{n_folds - 1}")
    return folds


def parse_overrides(pairs: list[str], *config_classes: type) -> dict:
    """'key=value' strings -> typed values, for fields of the given dataclasses."""
    types = {f.name: f.type for cls in config_classes for f in dataclasses.fields(cls)}
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in types:
            known = ", ".join(sorted(types))
            raise typer.BadParameter(f"{pair!r}: expected key=value with key one of {known}")
        kind = str(types[key])
        try:
            if "bool" in kind:
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                overrides[key] = value.lower() in ("true", "1")
            elif "int" in kind:
                overrides[key] = int(value)
            elif "float" in kind:
                overrides[key] = float(value)
            else:
                overrides[key] = value
        except ValueError:
            raise typer.BadParameter(f"{pair!r}: {value!r} is not a valid {kind}") from None
    return overrides


def without_nan(value):
    """The value with NaN floats replaced by None, so that the JSON is standard."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: without_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nan(v) for v in value]
    return value


def number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
