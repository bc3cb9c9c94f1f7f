"""gobinopt: measure why a Go binary is as big as it is and what each knob would save."""

__version__ = "0.1.0"
