"""The poll runner: runs a trigger on a schedule with durable state and delivery sinks."""
