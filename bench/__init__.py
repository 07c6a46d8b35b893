"""Speed goals from the issues, measured as ratios against named baselines in the same run."""
