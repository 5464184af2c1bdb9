"""一师一优课 (one teacher, one good lesson) and 精品 resource selection by expert scoring."""
