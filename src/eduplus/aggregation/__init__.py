"""Resource aggregation (一点接入、全省共享): the published JSON feed and harvesting."""
