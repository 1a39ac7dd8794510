"""Alert intake: integrations, alerts from every common sender, routing, grouping, noise control."""
