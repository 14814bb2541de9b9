"""Static attacks: transforms of a behavior into fixed prompts, planned before any model call."""
