"""Does a variant still run? The smoke probe (latency measurement comes with its own module)."""
