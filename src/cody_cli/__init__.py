"""The cody command and the composition root that wires it."""
