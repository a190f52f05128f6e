"""Communications patterns, co-location, centrality and communities."""
