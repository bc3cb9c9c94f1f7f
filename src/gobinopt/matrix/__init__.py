"""The build matrix: matrix files, their validation and their expansion into variants."""

from gobinopt.matrix.interface import (
    BuildSpec,
    Environment,
    Matrix,
    MatrixError,
    Pipeline,
    Probe,
    Program,
    Step,
    Variant,
)
from gobinopt.matrix.model import load, parse
from gobinopt.matrix.plan import Plan, expand, github_matrix

__all__ = [
    "BuildSpec",
    "Environment",
    "Matrix",
    "MatrixError",
    "Pipeline",
    "Plan",
    "Probe",
    "Program",
    "Step",
    "Variant",
    "expand",
    "github_matrix",
    "load",
    "parse",
]
