"""Public questions to the Performance Scrutiny Meeting and the Commissioner's dashboard."""
