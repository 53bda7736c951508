"""Exchange gateways: one interface (`base.Gateway`), ccxt and paper implementations."""
