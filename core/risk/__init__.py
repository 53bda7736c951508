"""Risk controls that act on their own, without waiting for the master: follower stop-loss,
take-profit and drawdown limit, per-subscription entry guards (in the planner), and the
suspension of a trader whose drawdown passes the platform threshold."""
