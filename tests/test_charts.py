"""Charts render as PNG and read as text (their title and data)."""

import pandas as pd
import pytest

from eventlab.view import charts


def table():
    return pd.DataFrame({"notification": [25.6, 40.7], "state_transfer": [5.4, 5.8]},
                        index=pd.Index([1, 2], name="consumers"))


def test_a_line_chart_is_a_png_and_its_text_is_the_data_it_draws():
    chart = charts.lines(table(), title="time until a consumer knows", ylabel="ms")
    assert chart.png().startswith(b"\x89PNG")
    text = repr(chart)
    assert text.splitlines()[0] == "Chart: time until a consumer knows"
    assert "notification" in text
    assert "40.7" in text
    assert len(chart.figure.axes[0].lines) == 2


def test_a_chart_needs_a_table_and_a_title():
    with pytest.raises(TypeError, match="DataFrame"):
        charts.lines([1, 2], title="t", ylabel="y")
    with pytest.raises(ValueError, match="title"):
        charts.lines(table(), title=" ", ylabel="y")
