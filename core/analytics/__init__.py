"""Performance analytics: pure functions over daily equity points and closed trades.

Nothing here touches the database or the network; callers load the rows and pass plain values in,
so every figure on a strategy card can be checked by hand (see docs/analytics.md).
"""
