"""Learned vs real: the measures of DESIGN.md, one definition everywhere."""
