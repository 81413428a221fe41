"""Charts and widget views for the Zeebe scenarios (notebooks 03 and 04).

Every chart function returns a :class:`~eventlab.view.charts.Chart`: a matplotlib figure plus the
small table it draws, which is what the notebooks' text output (and their tests) show. The
``*_view`` functions turn one run into what an explore panel displays.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from eventlab.core.errors import ConfigError
from eventlab.core.results import RunResult
from eventlab.engines.zeebe.records import OK
from eventlab.scenarios.zeebe.single_writer import Metric
from eventlab.view.charts import Chart, Figure

__all__ = [
    "backpressure_chart",
    "contention_chart",
    "disk_chart",
    "scaling_chart",
    "segments_chart",
    "staleness_chart",
    "timeline_chart",
    "utilisation_chart",
]

MODE_COLOURS = {"locking": "#d93025", "single_writer": "#1a73e8"}


def _figure(columns: int = 1, width: float = 6.4, height: float = 3.6) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(1, columns)
    return figure, axes


def contention_chart(table: pd.DataFrame, x: str = "clients") -> Chart:
    """Throughput, p99 latency and conflicts against `x`, one line per mode.

    `table` is ``single_writer.compare(clients=[...])`` (or any other grid over one field).
    """
    if x not in table.columns:
        raise ConfigError(f"x must be a column of the table ({', '.join(table.columns)}), "
                          f"got {x!r}")
    metrics = [Metric.THROUGHPUT_COMMANDS_S, Metric.P50_LATENCY_MS, Metric.P99_LATENCY_MS,
               Metric.CONFLICTS]
    shown = table.pivot(index=x, columns="mode", values=metrics)
    figure, axes = _figure(3, width=10.0, height=3.4)
    panels = [(Metric.THROUGHPUT_COMMANDS_S, "commands/s"), (Metric.P99_LATENCY_MS, "ms"),
              (Metric.CONFLICTS, "conflicts")]
    for ax, (metric, unit) in zip(axes, panels, strict=True):
        for mode in shown[metric].columns:
            ax.plot(shown.index, shown[metric][mode], marker="o", label=mode.replace("_", " "),
                    color=MODE_COLOURS.get(mode))
        ax.set_title(metric.split(" (")[0])
        ax.set_xlabel(x.replace("_", " "))
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False)
    title = f"locking vs single writer as {x.replace('_', ' ')} grows"
    figure.suptitle(title)
    flat = shown.copy()
    flat.columns = [f"{pair[1]} {str(pair[0]).split(' (')[0]}" for pair in flat.columns]
    return Chart(figure, title, flat)


def timeline_chart(steps: pd.DataFrame) -> Chart:
    """One command's steps (from ``replication.run().timeline()``) as dots per node over time."""
    nodes = sorted(steps["node"].unique(), key=lambda n: (not n.startswith("client"), n))
    figure, ax = _figure(1, width=9.0, height=0.9 * len(nodes) + 1.6)
    rows = {node: i for i, node in enumerate(reversed(nodes))}
    seen: set[tuple[str, str]] = set()
    span = float(steps["time"].max() - steps["time"].min()) or 1.0
    last: dict[str, tuple[float, int]] = {}  # node -> (x of its last label, stack height)
    for row in steps.itertuples(index=False):
        pair = (str(row.step), str(row.node))
        if pair in seen:
            continue
        seen.add(pair)
        node, x = str(row.node), float(str(row.time))
        y = rows[node]
        number = str(row.step).split(" ", 1)[0]
        colour = "#1a73e8" if int(number) <= 5 else "#188038"
        ax.plot(x, y, "o", color=colour)
        previous = last.get(node)
        stack = previous[1] + 1 if previous and x - previous[0] < 0.25 * span else 0
        last[node] = (x, stack)
        ax.annotate(str(row.step), (x, y), xytext=(4, 6 + 10 * stack),
                    textcoords="offset points", fontsize=8)
    ax.set_yticks(list(rows.values()), list(rows.keys()))
    ax.set_ylim(-0.5, len(nodes) - 0.2)
    ax.set_xlabel("time (ms)")
    ax.grid(axis="x", alpha=0.3)
    title = "one command through the processing loop (blue: until the response; green: after)"
    ax.set_title(title, fontsize=10)
    table = steps.drop_duplicates(["step", "node"]).assign(time=lambda f: f["time"].round(2))
    return Chart(figure, "one command through the processing loop", table.reset_index(drop=True))


def segments_chart(result: RunResult, bin_ms: float = 50.0) -> Chart:
    """Committed vs not committed requests per segment over time (``cp.run`` results)."""
    table = result.over_time(bin_ms)  # type: ignore[attr-defined]
    cfg = result.config
    flat = pd.DataFrame(index=table.index)
    segments = sorted({seg for seg, _ in table.columns})
    for seg in segments:
        part = table[seg]
        flat[f"{seg} committed"] = part[OK] if OK in part.columns else 0
        flat[f"{seg} not committed"] = part.drop(columns=[OK], errors="ignore").sum(
            axis=1).astype(int)
    figure, axes = _figure(len(segments), width=10.0, height=3.4)
    axes = axes if len(segments) > 1 else [axes]
    names = {"A": "segment A (majority)", "B": "segment B (minority)"}
    for ax, seg in zip(axes, segments, strict=True):
        ok, bad = flat[f"{seg} committed"], flat[f"{seg} not committed"]
        ax.bar(flat.index, ok, width=bin_ms * 0.9, align="edge", color="#188038",
               label="committed (OK)")
        ax.bar(flat.index, bad, width=bin_ms * 0.9, align="edge", bottom=ok, color="#d93025",
               label="not committed")
        for at, label in ((cfg.split_at, "split"), (cfg.heal_at, "heal")):
            ax.axvline(at, color="black", linestyle="--", linewidth=1)
            ax.annotate(label, (at, 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -12), textcoords="offset points", fontsize=8)
        ax.set_title(names.get(seg, f"segment {seg}"))
        ax.set_xlabel("request sent at (ms)")
        ax.set_ylabel(f"requests per {bin_ms:g} ms")
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, frameon=False, loc="outside lower center", ncols=2)
    title = f"{cfg.mode}: {cfg.cluster_size} brokers, {cfg.minority} cut off, committed per segment"
    figure.suptitle(title)
    flat.index = flat.index.astype(int)
    return Chart(figure, title, flat)


def scaling_chart(table: pd.DataFrame, extra: Mapping[str, pd.DataFrame] | None = None) -> Chart:
    """Throughput and per-broker throughput vs brokers: the model next to the 2019 benchmark.

    `table` is ``partitions.scaling()``; `extra` adds further simulated curves by name (for
    example the same sweep with a coordination cost switched on).
    """
    curves = {"model": table, **dict(extra or {})}
    figure, axes = _figure(2, width=10.0, height=3.6)
    shown = pd.DataFrame(index=table["brokers"])
    bench = table.set_index("brokers")
    for ax, column, bench_column in ((axes[0], "simulated (commands/s)",
                                      "benchmark 2019 (instances/s)"),
                                     (axes[1], "simulated per broker", "benchmark per broker")):
        for name, curve in curves.items():
            frame = curve.set_index("brokers")
            ax.plot(frame.index, frame[column], marker="o", label=name)
            shown[f"{name}: {column}"] = frame[column]
        ax.plot(bench.index, bench[bench_column], marker="s", color="black", linestyle="--",
                label="benchmark 2019")
        shown[bench_column] = bench[bench_column]
        ax.set_xlabel("brokers (8 partitions each)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("started per second")
    axes[0].set_title("throughput")
    axes[1].set_ylabel("per broker per second")
    axes[1].set_title("per-broker efficiency")
    axes[1].set_ylim(bottom=0)
    axes[0].legend(frameon=False, fontsize=8)
    title = "scaling out: the model next to the 2019 benchmark"
    figure.suptitle(title)
    return Chart(figure, title, shown)


def utilisation_chart(result: RunResult) -> Chart:
    """Per-partition utilisation of a ``partitions.run`` result, bars coloured by leader."""
    table = result.utilisation()  # type: ignore[attr-defined]
    figure, ax = _figure(1, width=9.0, height=3.4)
    leaders = sorted(table["leader"].unique(), key=lambda b: int(b.rsplit("-", 1)[-1]))
    palette = ["#1a73e8", "#f29900", "#188038", "#a142f4", "#d93025", "#12b5cb"]
    for i, broker in enumerate(leaders):
        rows = table[table["leader"] == broker]
        ax.bar(rows["partition"], rows["utilisation"], color=palette[i % len(palette)],
               label=f"led by {broker}")
    ax.set_xlabel("partition")
    ax.set_ylabel("share of time busy")
    ax.set_ylim(0, 1.05)
    ax.grid(axis="y", alpha=0.3)
    if len(leaders) <= 6:
        ax.legend(frameon=False, fontsize=8, ncols=len(leaders), loc="upper right")
    cfg = result.config
    title = f"utilisation per partition (key skew {cfg.key_skew:g})"
    ax.set_title(title)
    shown = table["utilisation"].describe()[["min", "50%", "max"]].round(3)
    return Chart(figure, title, shown.rename({"50%": "median"}).to_frame().T)


def staleness_chart(result: RunResult) -> Chart:
    """Histogram of how long records took to be visible in the read model."""
    samples = result.staleness()  # type: ignore[attr-defined]
    figure, ax = _figure(1)
    ax.hist(samples, bins=20, color="#1a73e8")
    for q, style in ((0.5, "-"), (0.99, "--")):
        value = float(samples.quantile(q))
        ax.axvline(value, color="black", linestyle=style, linewidth=1,
                   label=f"p{int(q * 100)} = {value:.1f} ms")
    ax.set_xlabel("ms from commit until visible in the read model")
    ax.set_ylabel("records")
    ax.legend(frameon=False)
    title = "staleness of the elasticsearch read model"
    ax.set_title(title)
    shown = samples.quantile([0.0, 0.5, 0.99, 1.0]).round(1).rename("staleness (ms)")
    shown.index = ["min", "p50", "p99", "max"]
    return Chart(figure, title, shown.to_frame().T)


def disk_chart(runs: Mapping[str, RunResult]) -> Chart:
    """Records on disk over time for each named ``read_models.run`` result."""
    figure, ax = _figure(1)
    shown = pd.DataFrame()
    for name, result in runs.items():
        disk = result.disk().set_index("time")["disk (records)"]  # type: ignore[attr-defined]
        ax.plot(disk.index, disk.to_numpy(), marker=".", label=name)
        shown[name] = disk
        cfg = result.config
        if cfg.stall_for:
            ax.axvspan(cfg.stall_at, cfg.stall_at + cfg.stall_for, color="#d93025", alpha=0.1)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("records on disk (not yet truncated)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    title = "disk usage: truncation waits for the slowest exporter"
    ax.set_title(title)
    shown.index = shown.index.astype(int)
    return Chart(figure, title, shown.iloc[::2])


def backpressure_chart(runs: Mapping[str, RunResult], bin_ms: float = 50.0) -> Chart:
    """Whole requests per time bin of their first attempt, one line per run: the p99 latency
    (first attempt to success) of those that succeeded, and the share that gave up."""
    figure, axes = _figure(2, width=10.0, height=3.4)
    shown = pd.DataFrame()
    for name, result in runs.items():
        table = result.over_time(bin_ms)  # type: ignore[attr-defined]
        p99 = table["p99 latency (ms)"]
        counts = table.drop(columns=["p99 latency (ms)"])
        gave_up = counts.get("gave up", pd.Series(0, index=table.index)) / counts.sum(axis=1)
        axes[0].plot(table.index, p99, marker="o", label=name)
        axes[1].plot(table.index, gave_up, marker="o", label=name)
        shown[f"{name} p99 (ms)"] = p99.round(1)
        shown[f"{name} gave up"] = gave_up.round(2)
    axes[0].set_ylabel("p99 latency (ms)")
    axes[0].set_title("first attempt to success")
    axes[1].set_ylabel("share of requests")
    axes[1].set_title("gave up after every attempt")
    axes[1].set_ylim(0, 1.05)
    for ax in axes:
        ax.set_xlabel(f"first attempt sent at (ms, bins of {bin_ms:g})")
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False)
    title = "overload, whole requests over time"
    figure.suptitle(title)
    shown.index = shown.index.astype(int)
    return Chart(figure, title, shown)
