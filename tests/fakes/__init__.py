"""In-memory fakes of the ports, shared by every unit test."""
