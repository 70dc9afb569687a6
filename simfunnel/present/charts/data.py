"""Tidy tables the charts draw: cluster-honest rates and offer probability.

They are computed in :mod:`simfunnel.analysis.outputs.run` (which imports no Matplotlib) and
re-exported here, where the charts have always offered them.
"""

from simfunnel.analysis.outputs.rates import (
    QUALITY_BINS,
    cluster_rate,
    offer_probability_table,
    quality_percentile,
)

__all__ = ["QUALITY_BINS", "cluster_rate", "offer_probability_table", "quality_percentile"]
