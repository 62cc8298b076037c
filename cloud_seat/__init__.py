"""cloud_seat."""
