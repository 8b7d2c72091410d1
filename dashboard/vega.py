"""Draw Altair charts without Altair's per-rerun schema checks; their data travels as Arrow.

Altair checks every object against the Vega-Lite JSON schema when it is built and again in
`to_dict()`: on a page of charts that was about half of the server's Python time per rerun. The
chart definitions do not change with the data, so the tests validate every page's specs instead
(`test_every_page_renders_with_units_and_exact_tooltips`).

Layered charts go one step further: building a layer costs Altair ~15 ms (it re-merges the
layers on every copy). Where the spec does not depend on the data, a `template` builder makes
it once per arguments and the data is attached per rerun; where it does (a sort order, a height
from the row count), a `cached` builder memoises the finished spec, data already in Arrow IPC
bytes, by its arguments, data included. Single-mark charts are cheaper to build than to hash
their data frame, so they are built on every rerun.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import altair as alt
import pandas as pd
import streamlit as st
from altair.utils import schemapi
from streamlit import dataframe_util

P = ParamSpec("P")
R = TypeVar("R")
# Altair's switch is one process-wide flag; the lock keeps concurrent sessions from leaving it off
# for code outside these functions.
_flag_lock = threading.RLock()
_COMPOSED = {alt.LayerChart: "layer", alt.VConcatChart: "vconcat", alt.HConcatChart: "hconcat"}


def unchecked(build: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run a chart builder without Altair's construction-time schema checks."""

    @functools.wraps(build)
    def without_checks(*args: P.args, **kwargs: P.kwargs) -> R:
        with _flag_lock, schemapi.debug_mode(False):
            return build(*args, **kwargs)

    return without_checks


@unchecked
def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec, each data frame left whole under `datasets` for Arrow."""
    datasets: dict[str, pd.DataFrame] = {}
    names: dict[int, str] = {}

    def by_name(part: Any) -> Any:
        data = getattr(part, "data", alt.Undefined)
        if isinstance(data, pd.DataFrame):
            name = names.setdefault(id(data), f"data-{len(names)}")
            datasets[name] = data
            part = part.copy(deep=False)
            part.data = alt.NamedData(name=name)
        field = _COMPOSED.get(type(part))
        if field:
            part = part.copy(deep=False)
            setattr(part, field, [by_name(child) for child in getattr(part, field)])
        return part

    result = by_name(chart).to_dict(validate=False)
    result["datasets"] = datasets
    # Canvas, not Streamlit's default SVG: an SVG chart is hundreds of DOM nodes (with ARIA
    # attributes on every mark) that the browser styles and lays out again on every rerun.
    result["usermeta"] = {"embedOptions": {"renderer": "canvas"}}
    result.setdefault("config", {})["aria"] = False
    return result


def cached(build: Callable[P, alt.TopLevelMixin]) -> Callable[P, dict[str, Any]]:
    """Decorator: a chart builder that returns its spec, data as Arrow bytes, memoised by arguments."""

    @st.cache_data(max_entries=2000, show_spinner=False)
    def arrow_spec(builder: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # `builder` keeps builders apart: they share this function's code, hence its cache
        result = spec(build(*args, **kwargs))
        result["datasets"] = {
            name: dataframe_util.convert_anything_to_arrow_bytes(frame)
            for name, frame in result["datasets"].items()
        }  # what st.vega_lite_chart would do on every rerun; it passes bytes through as they are
        return result

    @functools.wraps(build)
    def built(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        return arrow_spec(f"{build.__module__}.{build.__qualname__}", *args, **kwargs)

    return built


def template(build: Callable[P, alt.TopLevelMixin]) -> Callable[P, dict[str, Any]]:
    """Decorator: a builder of a chart on *named* data, its spec made once per arguments.

    For charts whose spec depends only on their (hashable) arguments, never on the data: the
    caller attaches this rerun's frames with `with_data`. Nothing is hashed but the arguments,
    and Altair builds nothing on a rerun; a layered chart cost ~15 ms to build and its frames
    ~5 ms to hash (`cached`) on every rerun with new data.
    """
    made = functools.lru_cache(maxsize=512)(lambda *args, **kwargs: spec(build(*args, **kwargs)))

    @functools.wraps(build)
    def copied(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        return copy.deepcopy(made(*args, **kwargs))  # the caller and Streamlit may change it

    return copied


def with_data(chart: dict[str, Any], **frames: pd.DataFrame) -> dict[str, Any]:
    """A `template` spec with this rerun's data: one frame per name its charts draw from."""
    chart["datasets"] = frames
    return chart


def show(chart: alt.TopLevelMixin | dict[str, Any]) -> None:
    """Draw an Altair chart or a finished spec (`cached`, `template`); theme off: they carry
    their own look."""
    st.vega_lite_chart(chart if isinstance(chart, dict) else spec(chart), theme=None)
