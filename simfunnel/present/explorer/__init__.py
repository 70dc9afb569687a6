"""A live explorer: sliders for the keys that move the results most, a chart picker,
the chart and its headline, re-simulated on the same seed at every change.

- :mod:`~simfunnel.present.explorer.core`: the logic both front ends share
  (:class:`~simfunnel.present.explorer.core.Explorer`), framework-free and tested
  headlessly;
- :mod:`~simfunnel.present.explorer.notebook`: the Jupyter widget, ``sf.explore(...)``
  (ipywidgets, ``pip install 'simfunnel[interactive]'``);
- :mod:`~simfunnel.present.explorer.web`: the same explorer as a local web page,
  ``simfunnel app`` (Panel);
- :mod:`~simfunnel.present.explorer.defaults`: the slider keys, openings and charts
  (no Matplotlib: the CLI reads them for its help).

Nothing is imported here, so the CLI can read the defaults without loading Matplotlib.
"""
