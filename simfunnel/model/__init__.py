"""The model: the scenario schema and every stage of an opening (MODEL.md section 1),
as pure functions over arrays. Imports nothing from the other layers.
"""
