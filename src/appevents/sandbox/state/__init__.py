"""The sandbox state: a local Stripe's data in SQLite, as plain functions over a connection."""
