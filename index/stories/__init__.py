"""Stories over time: how well an article matches a followed topic, and timelines."""
