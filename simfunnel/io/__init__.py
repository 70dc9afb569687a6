"""The edges: reading scenario files and writing result folders whole.
Imports the model only.
"""
