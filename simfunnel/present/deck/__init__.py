"""A 16:9 slide deck of a run: one slide per chart, the finding as its title.

``build_deck(result, "talk.pptx")`` writes a PowerPoint deck (python-pptx, the
optional extra ``simfunnel[deck]``):

- a title slide: the scenario's name and story, the openings simulated and the seed;
- one slide per chart the result supports (:func:`~simfunnel.present.charts.render.
  supported_charts`), titled with the chart's finding, with the chart (drawn by the
  chart code, without its own title: the slide title states it) and speaker notes:
  the numbers with their 95% CIs (from the output's ``.to_df()``), the definitions of
  the words on the slide (from :mod:`simfunnel.metrics`) and where the values that
  drive the chart come from (the scenario keys' descriptions and citations);
- with ``comparison=`` (what :func:`simfunnel.compare` returns), one slide per
  compared scenario: its paired differences against the first.

The deck is written to a temporary file beside ``path`` and renamed, so a failure
never leaves half a deck; ``formats=("svg", "pdf")`` also keeps every chart (with
its title) in the folder ``<stem>_charts/`` beside the deck, written whole or not at
all. Nothing is written anywhere else: chart images go into the deck from memory.
"""

# One module per part (import from here, ``simfunnel.present.deck``):
#   slides  which slides a deck has and what each shows (no python-pptx)
#   notes   the speaker notes: numbers with CIs, definitions, sources
#   layout  where things sit on a 16:9 slide; titles fitted with font metrics
#   build   the .pptx itself (python-pptx), written atomically

from __future__ import annotations

from simfunnel.analysis.outputs import RUN_OUTPUTS
from simfunnel.present.charts.render import supported_charts
from simfunnel.present.deck.build import (
    DECK_SUFFIX,
    build_deck,
    chart_png,
    charts_folder,
    check_deck_path,
    require_pptx,
)
from simfunnel.present.deck.layout import (
    TITLE_SIZES_PT,
    picture_size,
    title_layout,
    title_lines,
    title_size,
)
from simfunnel.present.deck.notes import scenario_title, title_notes
from simfunnel.present.deck.preview import slide_images
from simfunnel.present.deck.slides import (
    SLIDE_KEYS,
    SLIDE_METRICS,
    Slide,
    chart_slides,
    story_slides,
)

BUILDERS = RUN_OUTPUTS  # chart name -> the output it draws (the registry's old name here)

__all__ = [
    "BUILDERS",
    "DECK_SUFFIX",
    "SLIDE_KEYS",
    "SLIDE_METRICS",
    "TITLE_SIZES_PT",
    "Slide",
    "build_deck",
    "chart_png",
    "chart_slides",
    "charts_folder",
    "check_deck_path",
    "picture_size",
    "require_pptx",
    "scenario_title",
    "slide_images",
    "story_slides",
    "supported_charts",
    "title_layout",
    "title_lines",
    "title_notes",
    "title_size",
]
