"""Uplift modelling: who changes their behaviour *because of* an offer (not who is merely at risk)."""
