"""The edges: reading scenario files and tables (within limits, :mod:`.tables`) and
writing result folders whole.
Imports the model only.
"""
