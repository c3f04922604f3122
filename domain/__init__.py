"""The model's vocabulary, shared by every layer: statuses and Lomé time, the clock, the business calendar,
French formatting, the configuration and the procedures' catalogue. It imports no other Vigie package."""
