"""booth_client."""
