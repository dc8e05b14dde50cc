"""Instance metadata server (OpenStack and EC2 layouts)."""
