"""scanner_drivers."""
