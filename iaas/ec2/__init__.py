"""What the EC2 API needs beyond the other services' APIs: its ids."""
