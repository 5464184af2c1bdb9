"""Learning spaces (一人一空间、人人用空间) and the learning-record store (xAPI)."""
