"""Reports of stored results: tradeoff curves, Pareto sets, recommendations, REPORT.md/HTML."""
