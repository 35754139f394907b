"""Retention: churn risk, customer value, recommendations, offers and their reports."""
