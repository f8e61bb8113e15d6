"""Imports from the national registers (data·inclusion, FINESS) into a review queue.

A register file is read into ``ImportedRecord`` values (``datainclusion``, ``finess``),
each keeping where it came from; ``proposals`` matches them with the directory and
turns them into proposals (a new entry, or field-by-field differences) that a
coordinator accepts or rejects (``workspace.review``). Nothing here writes an entry.
"""
