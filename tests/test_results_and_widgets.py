"""Results summarise, sweeps vary one config, panels re-run on every change (headless)."""

import pytest

from eventlab import sweep
from eventlab.core.settings import progress_enabled
from eventlab.scenarios import fowler
from eventlab.view.playback import Frame, playback
from eventlab.view.widgets import control_for, explore


def test_summary_is_a_small_table_with_rounded_numbers():
    summary = fowler.run(fowler.Config(pattern="notification")).summary()
    assert summary.index.name == "metric"
    latency = summary.loc[fowler.Metric.MEAN_UPDATE_LATENCY_MS, "value"]
    assert latency == round(latency, 3)


def test_the_repr_names_the_scenario_and_its_size():
    result = fowler.run()
    assert repr(result).startswith("FowlerResult(fowler: ")


def test_sweep_gives_one_row_per_combination_in_order():
    table = sweep(fowler.run, fowler.Config(), consumers=[1, 2], changes=[1, 3])
    assert table[["consumers", "changes"]].values.tolist() == [[1, 1], [1, 3], [2, 1], [2, 3]]
    assert table[fowler.Metric.CALLBACKS].tolist() == [1, 3, 2, 6]


def test_sweep_rejects_unknown_fields_and_non_lists():
    with pytest.raises(ValueError, match="'consumer' is not a field"):
        sweep(fowler.run, fowler.Config(), consumer=[1])
    with pytest.raises(TypeError, match="list of values"):
        sweep(fowler.run, fowler.Config(), consumers=3)
    with pytest.raises(ValueError, match="consumers"):
        sweep(fowler.run, fowler.Config(), consumers=[0])


def test_progress_bars_are_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("EVENTLAB_PROGRESS", raising=False)
    assert progress_enabled() is False
    monkeypatch.setenv("EVENTLAB_PROGRESS", "1")
    assert progress_enabled() is True
    assert progress_enabled(False) is False


def test_controls_follow_the_fields_ranges():
    from eventlab.core.config import spec_of

    slider = control_for("consumers", 3, spec_of(fowler.Config, "consumers"))
    assert (slider.min, slider.max, slider.value) == (1, 8, 3)
    dropdown = control_for("pattern", "cqrs", spec_of(fowler.Config, "pattern"))
    assert list(dropdown.options) == list(fowler.PATTERNS)


def test_moving_a_control_reruns_the_scenario_with_the_new_value():
    shown = []
    panel = explore(fowler.run, fowler.Config(), fields=["consumers", "pattern"],
                    view=lambda result: shown.append(result.metrics[fowler.Metric.CALLBACKS]))
    assert panel.runs == 1
    panel.controls["consumers"].value = 5
    assert panel.runs == 2
    assert panel.config.consumers == 5
    assert shown == [9, 15]
    panel.controls["pattern"].value = "state_transfer"
    assert shown[-1] == 0


def test_a_rejected_combination_shows_a_message_instead_of_raising():
    def picky(config):
        if config.consumers == 2:
            raise ValueError("consumers must not be 2 here")
        return fowler.run(config)

    panel = explore(picky, fowler.Config(), fields=["consumers"])
    panel.controls["consumers"].value = 2
    assert "consumers must not be 2" in panel.status.value
    assert panel.runs == 1


def test_explore_rejects_a_field_that_does_not_exist():
    with pytest.raises(ValueError, match="no field 'consumerz'"):
        explore(fowler.run, fowler.Config(), fields=["consumerz"])


def test_playback_steps_scrubs_and_redraws_the_caption_graph_and_table():
    frames = fowler.run(fowler.Config(pattern="state_transfer", consumers=2)).frames()
    panel = playback(frames)
    first = (panel.caption.value, panel.table.value)
    panel.step(+1)
    assert panel.index == 1
    assert panel.caption.value != first[0]
    panel.slider.value = len(frames) - 1
    assert f"frame {len(frames)}/{len(frames)}" in panel.caption.value
    assert panel.table.value != first[1]
    panel.step(+5)
    assert panel.index == len(frames) - 1
    panel.forward.click()
    panel.back.click()
    assert panel.index == len(frames) - 2
    panel.speed.value = "4×"
    assert panel.play.interval < 700
    assert panel.graph.value


def test_playback_needs_at_least_one_frame():
    with pytest.raises(ValueError, match="frames"):
        playback([])
    assert isinstance(fowler.run().frames(max_frames=3)[0], Frame)
    assert len(fowler.run().frames(max_frames=3)) <= 3


def test_a_sweep_shows_a_progress_bar_only_when_asked(monkeypatch):
    import tqdm.auto

    bars = []

    def fake_bar(items, **kwargs):
        bars.append(kwargs["desc"])
        return items

    monkeypatch.setattr(tqdm.auto, "tqdm", fake_bar)
    quiet = sweep(fowler.run, fowler.Config(), consumers=[1, 2])
    assert bars == []
    loud = sweep(fowler.run, fowler.Config(), consumers=[1, 2], progress=True)
    assert bars == ["sweep"]
    assert loud.equals(quiet)


def test_the_first_panel_freezes_what_is_alive_once_and_later_panels_leave_it(monkeypatch):
    from eventlab.view import widgets

    monkeypatch.setattr(widgets, "_settled", [False])
    calls = []
    monkeypatch.setattr(widgets.gc, "collect", lambda: calls.append("collect") or 0)
    monkeypatch.setattr(widgets.gc, "freeze", lambda: calls.append("freeze"))
    explore(fowler.run, fowler.Config(), fields=("consumers",))
    explore(fowler.run, fowler.Config(), fields=("consumers",))
    assert calls == ["collect", "freeze"]  # collected first, so no garbage is frozen


def test_a_slider_combination_over_the_run_budget_says_why_in_the_panel():
    from eventlab.core import budget
    from eventlab.scenarios import bank

    panel = explore(bank.run, bank.Config(), fields=["days", "payments_per_day"])
    with budget.budget(seconds=1.0):  # a slower laptop: the same panel, a smaller budget
        panel.controls["days"].value = 730
        panel.controls["payments_per_day"].value = 20.0
    status = panel.status.value
    assert status.startswith("<b>Not run:</b> bank: this combination would take about")
    assert "lower days (now 730) to &lt;= " in status  # escaped, so the browser shows it
    assert panel.config.days == 730
    assert panel.runs == 2  # the first move (days) still fitted and ran
