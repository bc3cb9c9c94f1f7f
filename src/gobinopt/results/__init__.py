"""Typed results of matrix runs: the variant record and its export formats."""
