"""HTTP for the action executor: the SSRF guard, a transport that connects to the address it validated, and
a response reader capped after decompression."""
