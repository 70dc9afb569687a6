"""What people read: the terminal report and the charts. Imports everything below;
nothing below imports it.
"""
