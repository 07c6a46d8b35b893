"""Public pages, no sign-in: report ASB, advice on ASB, and ASB figures for an area."""
