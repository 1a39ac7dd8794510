"""Learning from incidents: postmortems, retrospectives, action items, search."""
