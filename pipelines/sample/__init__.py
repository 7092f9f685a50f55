"""A deterministic generator for the bundled sample partner data package."""
