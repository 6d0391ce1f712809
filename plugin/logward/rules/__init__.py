"""Detection rules as data: the typed model, its limits, and conditions over fields."""
