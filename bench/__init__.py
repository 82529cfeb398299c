"""`make bench`: the clinic at network scale, measured (see README, "Performance")."""
