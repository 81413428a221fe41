"""Results stated by the run: a sentence built from a result renders as Markdown.

A number in a notebook's prose could drift from what the run shows. Instead, a code cell
builds the sentence from the result and shows it::

    stated(cmp.verdict("events_lost", "outbox", "commit_then_publish"))

It renders as Markdown (bold, lists) in JupyterLab, Notebook 7 and VS Code, also in a notebook
nobody has run or trusted; its plain-text form is the same sentence, which the notebook tests
compare.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventlab.core.errors import check_text


@dataclass(frozen=True)
class Stated:
    """One or more sentences that state what a run measured."""

    text: str

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return self.text


def stated(*sentences: str) -> Stated:
    """Sentences from results, shown as one Markdown paragraph (several: a bullet list)."""
    if not sentences:
        raise TypeError("stated needs at least one sentence")
    for sentence in sentences:
        check_text("sentence", sentence)
    if len(sentences) == 1:
        return Stated(sentences[0])
    return Stated("\n".join(f"- {s}" for s in sentences))
