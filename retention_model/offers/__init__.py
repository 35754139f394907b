"""Retention offers: marketer rules, the per-turn decision, coupons, budgets, hold-outs and reports."""
