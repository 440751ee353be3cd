"""Accounts: the account directory interface and its embedded SQL implementation."""
