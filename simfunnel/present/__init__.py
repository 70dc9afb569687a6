"""What people read: the terminal report and the charts. Imports everything below;
nothing below imports it.
"""

CHART_FORMATS = ("png", "svg", "pdf")
"""File formats charts are written in (here, not in ``charts``: the CLI checks flags
without loading Matplotlib)."""
