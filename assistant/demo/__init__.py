"""The demo shop generator: a seeded, realistic shop written as canonical files."""
