"""Many projects at once: the portfolio table's figures per project (issue 16 point 3)."""
