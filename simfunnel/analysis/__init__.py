"""Running scenarios and what they report: runs, summaries with CIs, comparisons,
sweeps, sensitivity, `you`, and the analysis outputs. Imports the model and I/O.
"""
